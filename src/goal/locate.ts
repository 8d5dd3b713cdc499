import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { OmkError } from "../core/errors.js";
import type { ProjectLocation } from "../project/locate.js";
import { projectStateDir } from "../store/paths.js";

/** Where a goal's ledger and proof live, and its integration branch. */
export interface GoalLocation {
  goalId: string;
  dir: string;
  proofFile: string;
  integrationBranch: string;
}

const GOAL_ID = /^goal-[0-9a-z]+-[0-9a-z]+$/;

export function goalsDir(p: ProjectLocation): string {
  return join(projectStateDir(p.dirs, p.projectId), "goals");
}

export function goalLocation(p: ProjectLocation, goalId: string): GoalLocation {
  if (!GOAL_ID.test(goalId)) {
    throw new OmkError("UNSAFE_PATH", `invalid goal id ${JSON.stringify(goalId)}`, {
      hint: "goal ids look like goal-<time>-<random>; list them with `omk goal list`",
    });
  }
  const dir = join(goalsDir(p), goalId);
  return {
    goalId,
    dir,
    proofFile: join(dir, "proof.json"),
    integrationBranch: `omk/goal/${goalId}/integration`,
  };
}

export async function listGoalIds(p: ProjectLocation): Promise<string[]> {
  try {
    return (await readdir(goalsDir(p))).filter((n) => GOAL_ID.test(n)).sort();
  } catch {
    return [];
  }
}

/** A full id, a unique prefix or suffix, or `last`. */
export async function resolveGoalId(p: ProjectLocation, query: string): Promise<GoalLocation> {
  const ids = await listGoalIds(p);
  const match =
    query === "last"
      ? ids.slice(-1)
      : ids.includes(query)
        ? [query]
        : ids.filter((id) => id.startsWith(query) || id.endsWith(query));
  if (match.length === 1) {
    const loc = goalLocation(p, match[0]!);
    if ((await stat(join(loc.dir, "events.jsonl")).catch(() => null)) !== null) return loc;
  }
  throw new OmkError(
    "GOAL_NOT_FOUND",
    match.length > 1
      ? `goal id "${query}" is ambiguous: ${match.slice(0, 10).join(", ")}`
      : `no goal "${query}" in this project`,
    {
      hint:
        ids.length === 0
          ? 'start one with `omk goal run "<goal>"`'
          : "list goals with `omk goal list`; `last` names the newest",
    },
  );
}
