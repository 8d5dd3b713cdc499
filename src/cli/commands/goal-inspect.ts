import type { Command } from "commander";
import { examples, outputFor } from "../context.js";

export function registerGoalInspect(goal: Command): void {
  goal
    .command("list")
    .description(
      "This project's goals, oldest first: id, status, tasks integrated of accepted, the goal text.",
    )
    .addHelpText("after", examples(["omk goal list", "omk goal list --json"]))
    .action(async (_flags: unknown, cmd: Command) => {
      const { openProject } = await import("../../project/open.js");
      const { listGoalIds, goalLocation } = await import("../../goal/locate.js");
      const { readGoalJournal } = await import("../../goal/journal.js");
      const out = outputFor(cmd);
      const project = await openProject(process.cwd(), process.env);
      const rows = [];
      for (const id of await listGoalIds(project)) {
        const r = await readGoalJournal(goalLocation(project, id).dir).catch(() => null);
        const s = r?.state ?? null;
        rows.push({
          goalId: id,
          status: s === null ? "unreadable" : s.accepted ? "accepted" : (s.finished?.status ?? "unfinished"),
          tasks: s?.order.length ?? 0,
          integrated: s?.integrated.length ?? 0,
          goal: s?.goal ?? "",
        });
      }
      if (out.opts.json) out.json({ goals: rows });
      if (rows.length === 0) out.info('no goals yet: omk goal run "<goal>"');
      for (const g of rows)
        out.result(
          `${g.goalId}  ${g.status.padEnd(10)}  ${g.integrated}/${g.tasks} integrated  ${g.goal.split("\n")[0]!.slice(0, 60)}`,
        );
    });

  goal
    .command("show <goal>")
    .description(
      "One goal in detail, projected from its ledger: tasks with their status, lane and runs; rejections; the result.",
    )
    .addHelpText("after", examples(["omk goal show last", "omk goal show last --json"]))
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const { openProject } = await import("../../project/open.js");
      const { resolveGoalId } = await import("../../goal/locate.js");
      const { readGoalJournal, assertGoalWritable } = await import("../../goal/journal.js");
      const out = outputFor(cmd);
      const project = await openProject(process.cwd(), process.env);
      const loc = await resolveGoalId(project, id);
      const read = await readGoalJournal(loc.dir);
      const s = assertGoalWritable(read, loc.goalId);
      const tasks = s.order.map((tid) => {
        const t = s.tasks.get(tid)!;
        return {
          id: tid,
          title: t.task.title,
          status: t.status,
          deps: t.task.deps,
          writeSet: t.task.writeSet,
          lane: t.lane,
          runId: t.runIds.at(-1) ?? null,
          runs: t.runIds,
          startedAt: t.startedAt,
          endedAt: t.endedAt,
          reason: t.reason,
        };
      });
      if (out.opts.json) {
        out.json({
          goalId: s.goalId,
          goal: s.goal,
          status: s.accepted ? "accepted" : (s.finished?.status ?? "unfinished"),
          reasons: s.finished?.reasons ?? [],
          base: s.base,
          integrationBranch: s.integrationBranch,
          head: s.head,
          lanes: s.lanes,
          tasks,
          rejected: s.rejected,
          integrated: s.integrated,
          gates: s.gates,
          accepted: s.accepted,
          ledger: { ok: read.verify.ok, events: read.count },
        });
      }
      out.result(`goal ${s.goalId}: ${s.accepted ? "accepted" : (s.finished?.status ?? "unfinished")}`);
      out.result(`  ${s.goal.split("\n")[0]}`);
      out.result(
        `  integration ${s.integrationBranch} at ${s.head.slice(0, 12)} (base ${s.base.slice(0, 12)}), ${s.lanes} lanes`,
      );
      for (const r of s.finished?.reasons ?? []) out.result(`  ${r}`);
      for (const t of tasks)
        out.result(
          `  ${t.id.padEnd(16)} ${t.status.padEnd(10)} lane ${t.lane ?? "-"}  ${t.runId ?? "-"}${t.runs.length > 1 ? ` (${t.runs.length} runs)` : ""}${t.reason ? `  ${t.reason}` : ""}`,
        );
      for (const r of s.rejected) out.result(`  rejected ${r.id} (${r.rule}): ${r.detail}`);
    });

  goal
    .command("budget <goal>")
    .description(
      "What a goal has spent so far, per task and in total: runs, attempts, input and output tokens and cost " +
        "(as the agents reported them), read from the tasks' run ledgers.",
    )
    .addHelpText("after", examples(["omk goal budget last", "omk goal budget last --json"]))
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const { openProject } = await import("../../project/open.js");
      const { resolveGoalId } = await import("../../goal/locate.js");
      const { readGoalJournal, assertGoalWritable } = await import("../../goal/journal.js");
      const { goalBudget } = await import("../../goal/budget.js");
      const out = outputFor(cmd);
      const project = await openProject(process.cwd(), process.env);
      const loc = await resolveGoalId(project, id);
      const s = assertGoalWritable(await readGoalJournal(loc.dir), loc.goalId);
      const b = await goalBudget(project, s);
      if (out.opts.json) out.json({ goalId: s.goalId, ...b });
      const row = (name: string, x: (typeof b)["total"]) =>
        `${name.padEnd(16)} ${String(x.runs).padStart(4)} run(s) ${String(x.attempts).padStart(4)} attempt(s) ${String(x.inputTokens).padStart(9)} in ${String(x.outputTokens).padStart(9)} out  $${x.costUsd.toFixed(4)}`;
      for (const t of b.tasks) out.result(row(t.id, t));
      out.result(row("total", b.total));
    });
}
