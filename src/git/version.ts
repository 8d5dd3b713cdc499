import { runProcess } from "../proc/run-process.js";

/** `git --version` for `omk doctor`: the version, or why it is unknown. Never throws. */
export async function gitVersion(
  cwd: string,
  parentEnv: Readonly<Record<string, string | undefined>>,
): Promise<{ version: string | null; how: string }> {
  const res = await runProcess(["git", "--version"], {
    cwd,
    parentEnv,
    timeoutMs: 10_000,
    maxOutputBytes: 4096,
  });
  if (res.failedToStart !== null)
    return { version: null, how: `\`git --version\` failed to start: ${res.failedToStart}` };
  const m = /(\d+\.\d+(?:\.\d+)?)/.exec(res.stdout);
  if (res.exitCode !== 0 || m?.[1] === undefined)
    return { version: null, how: `\`git --version\` exit ${String(res.exitCode)}` };
  return { version: m[1], how: "`git --version`" };
}
