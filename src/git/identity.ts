import { git } from "./runner.js";

export const FALLBACK_NAME = "omk";
export const FALLBACK_EMAIL = "omk@localhost";

/**
 * `-c user.name=… -c user.email=…` for whichever half of the identity git config lacks, so a commit on a
 * fresh machine (CI, container) never fails with "Please tell me who you are". A configured identity,
 * and GIT_AUTHOR_* / GIT_COMMITTER_* from the environment, still win.
 */
export async function identityArgs(cwd: string): Promise<string[]> {
  const g = git(cwd);
  const args: string[] = [];
  for (const [key, fallback] of [
    ["user.name", FALLBACK_NAME],
    ["user.email", FALLBACK_EMAIL],
  ] as const) {
    const r = await g(["config", "--get", key], { allowFail: true });
    if (r.code !== 0 || r.stdout.trim() === "") args.push("-c", `${key}=${fallback}`);
  }
  return args;
}
