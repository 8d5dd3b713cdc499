import { gitGuardConfig } from "./runner.js";

const FALLBACK_NAME = "omk";
const FALLBACK_EMAIL = "omk@localhost";

/**
 * `-c user.name=… -c user.email=…` for whichever half of the identity git config lacks, so a commit on a
 * fresh machine (CI, container) never fails with "Please tell me who you are". A configured identity,
 * and GIT_AUTHOR_* / GIT_COMMITTER_* from the environment, still win.
 */
export function identityArgs(cwd: string): Promise<string[]> {
  // Read once per directory and process: a run asks when it commits, and can ask early (in parallel
  // with other work) so the commit does not wait for one more git process.
  let args = identities.get(cwd);
  if (args === undefined) {
    args = readIdentityArgs(cwd);
    args.catch(() => identities.delete(cwd));
    identities.set(cwd, args);
  }
  return args;
}

const identities = new Map<string, Promise<string[]>>();

async function readIdentityArgs(cwd: string): Promise<string[]> {
  // The guard's config read of `cwd` lists user.name and user.email too: no git process of its own.
  const set = new Set<string>();
  for (const e of await gitGuardConfig(cwd))
    if ((e.key === "user.name" || e.key === "user.email") && (e.value ?? "").trim() !== "") set.add(e.key);
  const args: string[] = [];
  if (!set.has("user.name")) args.push("-c", `user.name=${FALLBACK_NAME}`);
  if (!set.has("user.email")) args.push("-c", `user.email=${FALLBACK_EMAIL}`);
  return args;
}
