import { accessSync, constants, statSync } from "node:fs";
import * as path from "node:path";

/**
 * Finds the executable an adapter will spawn, before spawning it, so "not installed" is a clear
 * AGENT_NOT_FOUND instead of a spawn error, and so a relative `--agent-bin` means relative to where
 * the user typed it, not to the worktree the agent runs in.
 *
 * `bin` containing a slash is a path (resolved against `baseDir`); otherwise each PATH entry is tried.
 * Returns the absolute path, or null when nothing executable is there.
 */
export function findExecutable(bin: string, pathEnv: string | undefined, baseDir: string): string | null {
  if (bin === "") return null;
  if (bin.includes("/") || bin.includes(path.sep)) {
    const abs = path.resolve(baseDir, bin);
    return isExecutableFile(abs) ? abs : null;
  }
  for (const dir of (pathEnv ?? "").split(path.delimiter)) {
    if (dir === "" || !path.isAbsolute(dir)) continue; // relative PATH entries would depend on the cwd
    const candidate = path.join(dir, bin);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
