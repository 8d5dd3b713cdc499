import type { Command } from "commander";
import { OmkError } from "../../core/errors.js";
import { ExitCode } from "../../core/exit-codes.js";
import type { GoalLocation } from "../../goal/locate.js";
import type { Project } from "../../project/open.js";
import { examples, outputFor } from "../context.js";
import type { Output } from "../output.js";

async function openGoal(id: string): Promise<{ project: Project; loc: GoalLocation }> {
  const { openProject } = await import("../../project/open.js");
  const { resolveGoalId } = await import("../../goal/locate.js");
  const project = await openProject(process.cwd(), process.env);
  return { project, loc: await resolveGoalId(project, id) };
}

export function registerGoalControl(goal: Command): void {
  goal
    .command("pause <goal>")
    .description(
      "Ask the omk driving a goal to start no more tasks: the running ones finish and are integrated, then it " +
        "stops (recorded as GoalPaused); `omk goal resume` continues. The request is polled every " +
        "OMK_GOAL_INTERRUPT_POLL_MS (default 500).",
    )
    .addHelpText("after", examples(["omk goal pause last", "omk goal resume last"]))
    .action(async (id: string, _f: unknown, cmd: Command) => control(outputFor(cmd), id, "pause"));

  goal
    .command("cancel <goal>")
    .description(
      "Cancel a goal: a running goal's tasks are interrupted and it ends `cancelled` with its proof; a goal " +
        "nobody drives (interrupted, paused or crashed) is closed as `cancelled` at once.",
    )
    .addHelpText("after", examples(["omk goal cancel last", "omk goal cancel goal-mf3k2x9a0-7q --json"]))
    .action(async (id: string, _f: unknown, cmd: Command) => control(outputFor(cmd), id, "cancel"));

  goal
    .command("reject <goal>")
    .description("Record that a finished goal will not be accepted (`omk goal accept` then refuses it).")
    .option("--reason <text>", "why", "rejected by the reviewer")
    .addHelpText("after", examples(['omk goal reject last --reason "the parser split is not what we want"']))
    .action(async (id: string, flags: { reason: string }, cmd: Command) => {
      const { GoalJournal } = await import("../../goal/journal.js");
      const out = outputFor(cmd);
      const { loc } = await openGoal(id);
      const journal = await GoalJournal.open(loc.dir, loc.goalId);
      try {
        const s = journal.state;
        if (!s.finished)
          throw new OmkError("USAGE", `goal ${s.goalId} has not finished`, {
            hint: `omk goal cancel ${s.goalId}`,
          });
        if (s.accepted)
          throw new OmkError("LAND_REFUSED", `goal ${s.goalId} was already accepted`, {
            hint: "revert the merge on the branch instead",
          });
        if (s.rejectedByUser === null) await journal.append("GoalRejected", { reason: flags.reason });
      } finally {
        await journal.close();
      }
      if (out.opts.json) out.json({ ok: true, goalId: loc.goalId, rejected: true });
      out.info(`goal ${loc.goalId} rejected`);
    });

  goal
    .command("logs <goal>")
    .description(
      "What happened in a goal, from its ledger (plan, lanes, merges, conflicts, gates), or with --task ID what " +
        "that task's last run's agent printed (as `omk run logs`). --follow keeps printing until the goal stops.",
    )
    .option("--task <id>", "the output of this task's last run")
    .option("-f, --follow", "keep printing until the goal finishes, pauses or is interrupted")
    .addHelpText(
      "after",
      examples(["omk goal logs last", "omk goal logs last --task parser", "omk goal logs last -f"]),
    )
    .action(async (id: string, flags: { task?: string; follow?: boolean }, cmd: Command) => {
      const out = outputFor(cmd);
      const { project, loc } = await openGoal(id);
      if (flags.task !== undefined) await taskLogs(out, project, loc, flags.task);
      else await goalLogs(out, loc, flags.follow === true);
    });
}

async function control(out: Output, id: string, action: "pause" | "cancel"): Promise<void> {
  const { GoalJournal, readGoalJournal } = await import("../../goal/journal.js");
  const { requestControl } = await import("../../goal/control.js");
  const { writeGoalProof } = await import("../../goal/proof.js");
  const { VERSION } = await import("../../core/version.js");
  const { isOmkError } = await import("../../core/errors.js");
  const { project, loc } = await openGoal(id);
  const first = (await readGoalJournal(loc.dir)).state;
  if (first?.finished) {
    if (out.opts.json)
      out.json({ ok: true, goalId: loc.goalId, status: first.finished.status, changed: false });
    out.info(`goal ${loc.goalId} already finished (${first.finished.status}): nothing to ${action}`);
    return;
  }
  let journal: Awaited<ReturnType<typeof GoalJournal.open>> | null = null;
  try {
    // Held by a live omk: do not wait for it, ask it.
    journal = await GoalJournal.open(loc.dir, loc.goalId, 100);
  } catch (err) {
    if (!isOmkError(err) || err.code !== "LEDGER_LOCKED") throw err;
  }
  if (journal === null) {
    // Another omk drives it: ask, then watch its ledger for the answer.
    await requestControl(loc.dir, action, process.pid);
    out.info(`${action} requested; waiting for the goal's omk to act on it`);
    const end = Date.now() + 120_000;
    for (;;) {
      const s = (await readGoalJournal(loc.dir)).state;
      const done = action === "cancel" ? s?.finished != null : s?.paused === true || s?.finished != null;
      if (done || Date.now() > end) {
        const status = s?.finished?.status ?? (s?.paused ? "paused" : "running");
        if (out.opts.json) out.json({ ok: done, goalId: loc.goalId, status, changed: done });
        out.info(
          done ? `goal ${loc.goalId}: ${status}` : `goal ${loc.goalId}: no answer yet; the request stays`,
        );
        if (!done) process.exitCode = ExitCode.failure;
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (action === "pause") {
      if (out.opts.json) out.json({ ok: true, goalId: loc.goalId, status: "stopped", changed: false });
      out.info(`goal ${loc.goalId} is not running: nothing to pause (omk goal resume continues it)`);
      return;
    }
    await journal.append("GoalFinished", {
      status: "cancelled",
      reasons: ["cancelled with omk goal cancel"],
      head: journal.state.head,
    });
    await writeGoalProof(journal, project, loc.proofFile, VERSION);
    if (out.opts.json) out.json({ ok: true, goalId: loc.goalId, status: "cancelled", changed: true });
    out.info(`goal ${loc.goalId}: cancelled`);
  } finally {
    await journal.close();
  }
}

async function goalLogs(out: Output, loc: GoalLocation, follow: boolean): Promise<void> {
  const { readGoalJournal } = await import("../../goal/journal.js");
  const { goalEventLine } = await import("../../report/goal-progress.js");
  let printed = 0;
  const lines: { ts: string; kind: string; line: string }[] = [];
  for (;;) {
    const r = await readGoalJournal(loc.dir);
    for (const e of r.events.slice(printed)) {
      const line =
        goalEventLine(e) ??
        (e.kind === "GoalFinished" ? `goal ${e.data.status}: ${e.data.reasons.join("; ")}` : null);
      if (line === null) continue;
      if (out.opts.json) lines.push({ ts: e.ts, kind: e.kind, line });
      else out.result(`${e.ts.slice(11, 19)} ${line}`);
    }
    printed = r.events.length;
    const s = r.state;
    const stopped =
      s === null || s.finished !== null || s.paused || r.events.at(-1)?.kind === "GoalInterrupted";
    if (!follow || stopped) break;
    await new Promise((res) => setTimeout(res, 300));
  }
  if (out.opts.json) out.json({ goalId: loc.goalId, events: lines });
}

async function taskLogs(out: Output, project: Project, loc: GoalLocation, taskId: string): Promise<void> {
  const { readGoalJournal } = await import("../../goal/journal.js");
  const { readRunLogs } = await import("../../run/output-logs.js");
  const { textSink } = await import("./run-logs.js");
  const s = (await readGoalJournal(loc.dir)).state;
  const t = s?.tasks.get(taskId);
  if (!t) {
    throw new OmkError("USAGE", `goal ${loc.goalId} has no task ${JSON.stringify(taskId)}`, {
      hint: `its tasks: ${s?.order.join(", ") || "(none)"}`,
    });
  }
  const runId = t.runIds.at(-1);
  if (runId === undefined) {
    out.info(`task ${taskId} has not started a run`);
    return;
  }
  out.info(`task ${taskId}: run ${runId}${t.runIds.length > 1 ? ` (the last of ${t.runIds.length})` : ""}`);
  await readRunLogs(project, runId, { attempt: undefined, gates: false }, textSink(out));
}
