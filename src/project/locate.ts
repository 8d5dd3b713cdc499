import { readdir, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import { OmkError } from "../core/errors.js";
import { sanitizeName } from "../security/paths.js";
import { type OmkDirs, omkDirs, projectId, projectStateDir, runDir } from "../store/paths.js";

/** Where one project's runs live, and where one run's worktree and branch are. */
export interface ProjectLocation {
  root: string;
  dirs: OmkDirs;
  projectId: string;
  runsDir: string;
}

export async function locateProject(
  root: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ProjectLocation> {
  const real = await realpath(root);
  const dirs = omkDirs(env);
  const pid = projectId(real);
  return { root: real, dirs, projectId: pid, runsDir: join(projectStateDir(dirs, pid), "runs") };
}

export function runLocation(p: ProjectLocation, runId: string) {
  const safe = sanitizeName(runId);
  return {
    runId: safe,
    dir: runDir(p.dirs, p.projectId, safe),
    artifacts: join(runDir(p.dirs, p.projectId, safe), "artifacts"),
    proofFile: join(runDir(p.dirs, p.projectId, safe), "proof.json"),
    ...runCheckout(p.root, safe),
  };
}

/** A run's worktree and branch: all of its location that needs nothing but the repository's top level. */
export function runCheckout(root: string, runId: string): { worktree: string; branch: string } {
  const safe = sanitizeName(runId);
  return { worktree: join(root, ".omk", "worktrees", safe), branch: `omk/run/${safe}` };
}

export type RunLocation = ReturnType<typeof runLocation>;

/** All run ids of the project, oldest first (ids sort by creation time). */
export async function listRunIds(p: ProjectLocation): Promise<string[]> {
  try {
    const names = await readdir(p.runsDir);
    return names.filter((n) => n.startsWith("run-")).sort();
  } catch {
    return [];
  }
}

/** Accepts a full id, a unique prefix or suffix, or "last". */
export async function resolveRunId(p: ProjectLocation, query: string): Promise<RunLocation> {
  const ids = await listRunIds(p);
  let match: string[];
  if (query === "last" || query === "latest") match = ids.slice(-1);
  else if (ids.includes(query)) match = [query];
  else match = ids.filter((id) => id.startsWith(query) || id.endsWith(query));
  if (match.length === 1) {
    const loc = runLocation(p, match[0]!);
    if ((await stat(join(loc.dir, "events.jsonl")).catch(() => null)) !== null) return loc;
  }
  throw new OmkError(
    "RUN_NOT_FOUND",
    match.length > 1
      ? `run id "${query}" is ambiguous: it matches ${match.length} runs: ${match.slice(0, 10).join(", ")}${match.length > 10 ? ", …" : ""}`
      : `no run "${query}" in this project`,
    {
      hint:
        ids.length === 0
          ? 'start one with `omk run "<task>"`'
          : match.length > 1
            ? "give more of the id (a unique prefix or suffix), or the whole id"
            : "list runs with `omk run list`; `last` names the newest",
    },
  );
}
