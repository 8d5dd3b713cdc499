import { OmkError } from "../core/errors.js";
import { fastForwardTo } from "../git/merge.js";
import { branchCommit, currentBranch, headCommit, isAncestor } from "../git/refs.js";
import { isDirty } from "../git/repo.js";
import type { Project } from "../project/open.js";
import { gatesOn, goalGatesSandbox } from "./integrate.js";
import { assertGoalWritable, GoalJournal, readGoalJournal } from "./journal.js";
import type { GoalLocation } from "./locate.js";

export interface AcceptResult {
  goalId: string;
  commit: string;
  onto: string | null;
  alreadyAccepted: boolean;
}

function refuse(message: string, hint: string): never {
  throw new OmkError("LAND_REFUSED", message, { hint });
}

/**
 * `omk goal accept`: lands a `ready` goal's integration head on the branch the goal started from, by
 * the rules of `omk land`: the integration branch must be exactly what the goal recorded, the checkout
 * clean and on the goal's base branch, and the project's gates (the clean checkout's, not the
 * ledger's) re-run on that exact commit before a fast-forward. A moved base is refused.
 */
export async function acceptGoal(o: {
  project: Project;
  loc: GoalLocation;
  signal: AbortSignal;
  onProgress?: ((line: string) => void) | undefined;
}): Promise<AcceptResult> {
  const root = o.project.root;
  const s = assertGoalWritable(await readGoalJournal(o.loc.dir), o.loc.goalId);
  if (s.accepted)
    return { goalId: s.goalId, commit: s.accepted.commit, onto: s.accepted.onto, alreadyAccepted: true };
  if (!s.finished)
    refuse(`goal ${s.goalId} has not finished`, `resume it with \`omk goal resume ${s.goalId}\``);
  if (s.finished.status !== "ready")
    refuse(
      `goal ${s.goalId} is ${s.finished.status}: ${s.finished.reasons.join("; ")}`,
      "only a ready goal is accepted",
    );
  if (s.rejectedByUser !== null)
    refuse(`goal ${s.goalId} was rejected: ${s.rejectedByUser}`, "start a new goal");
  const tip = await branchCommit(root, s.integrationBranch);
  if (tip !== s.head)
    refuse(
      `branch ${s.integrationBranch} is at ${tip?.slice(0, 12) ?? "(missing)"} but the goal recorded ${s.head.slice(0, 12)}`,
      "the integration branch was changed after the goal; accept only what was verified",
    );
  const here = await currentBranch(root);
  if (s.baseBranch && here !== s.baseBranch)
    refuse(
      `the goal started from ${s.baseBranch} but ${here ?? "a detached HEAD"} is checked out`,
      `git switch ${s.baseBranch}`,
    );
  if ((await isDirty(root, { ignore: [".omk/"] })).dirty)
    refuse("the working tree has uncommitted changes", "commit or stash them before accepting");
  const head = await headCommit(root);
  if (!(await isAncestor(root, head, s.head)))
    refuse(
      `${here ?? "HEAD"} moved since the goal started: cannot fast-forward to ${s.head.slice(0, 12)}`,
      "start a new goal from the current base",
    );
  o.onProgress?.(`re-running the gates on ${s.head.slice(0, 12)} before accepting`);
  const g = await gatesOn(o.project, s.head, o.signal, await goalGatesSandbox(s, o.project));
  if (!g.ok)
    refuse(
      `gates fail on the integration head: ${g.failing.join(", ")}`,
      "the recorded result does not hold; do not accept it",
    );
  await fastForwardTo(root, s.head);
  const commit = await headCommit(root);
  const journal = await GoalJournal.open(o.loc.dir, o.loc.goalId);
  try {
    await journal.append("GoalAccepted", { commit, onto: here, fastForward: true });
  } finally {
    await journal.close();
  }
  return { goalId: s.goalId, commit, onto: here, alreadyAccepted: false };
}
