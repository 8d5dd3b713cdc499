import { type Command, Option } from "commander";
import { OmkError } from "../../core/errors.js";
import { examples, outputFor } from "../context.js";
import { age, cutAtWord, localTime, table } from "../format.js";
import type { Color } from "../output.js";

/** The commands about existing runs: list, show, diff, rm. */
export function registerRunInspect(run: Command): void {
  run
    .command("list")
    .description(
      "List this project's runs, oldest first: start time and age, status (running, crashed, ready, …), attempts, whether it landed, and the task.",
    )
    .addHelpText(
      "after",
      examples([
        "omk run list",
        "omk run list | grep ready",
        "omk run list --json | jq '.runs[] | select(.status==\"ready\")'",
      ]),
    )
    .action(async (_flags: unknown, cmd: Command) => {
      const { listRuns, describeStatus } = await import("../../run/inspect.js");
      const { openProjectLocation } = await import("../../project/open.js");
      const out = outputFor(cmd);
      const runs = await listRuns(await openProjectLocation(process.cwd(), process.env));
      if (out.opts.json) {
        out.json({ runs });
        return;
      }
      if (runs.length === 0) {
        out.info("no runs yet: omk run <task>");
        return;
      }
      const now = new Date();
      const rows = [
        ["RUN", "STARTED", "AGE", "STATUS", "ATT", "LANDED", "TASK"],
        ...runs.map((r) => [
          r.runId,
          localTime(r.startedAt),
          age(r.startedAt, now),
          describeStatus(r),
          String(r.attempts),
          r.landed ? "landed" : "-",
          cutAtWord(r.task, 60),
        ]),
      ];
      const lines = table(rows, (row, col, cell) => {
        const r = row === 0 ? undefined : runs[row - 1];
        if (row === 0) return out.paint("bold", cell);
        if (col === 3 && r) return out.paint(statusColor(r.status), cell);
        if (col === 5 && r?.landed) return out.paint("green", cell);
        return cell;
      });
      for (const l of lines) out.result(l);
    });

  run
    .command("show <run>")
    .description(
      "Show one run: status (running or crashed for an unfinished one), task, branch, worktree, attempts and gates — from its ledger.",
    )
    .addHelpText("after", examples(["omk run show last", "omk run show last --json"]))
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const { showRun, describeStatus } = await import("../../run/inspect.js");
      const { acceptOutsideCommand, moreAttemptsCommand } = await import("../../run/reopen.js");
      const { openProject } = await import("../../project/open.js");
      const out = outputFor(cmd);
      const {
        loc,
        state: s,
        verify,
        summary,
      } = await showRun(await openProject(process.cwd(), process.env), id);
      if (out.opts.json)
        out.json({
          ...summary,
          reasons: s.finished?.reasons ?? [],
          worktree: s.worktree,
          base: s.base,
          attemptsDetail: s.attempts,
          usage: s.usage,
          approvals: s.approvals,
          maxAttempts: s.maxAttempts,
          agent: s.agent.name,
          confinement: s.confinement,
          ledger: {
            ok: verify.ok,
            events: verify.events,
            headHash: verify.headHash,
            problems: verify.problems,
          },
          dir: loc.dir,
        });
      const status = out.paint(statusColor(summary.status), describeStatus(summary));
      out.result(
        `run ${s.runId}: ${status}${s.landed ? ` (landed as ${s.landed.commit.slice(0, 12)})` : ""}`,
      );
      out.result(`  task:     ${cutAtWord(s.task, 100)}`);
      out.result(`  started:  ${localTime(s.startedAt)} (${age(s.startedAt)} ago)`);
      out.result(
        `  branch:   ${s.branch} from ${s.base.slice(0, 12)}${s.baseBranch ? ` (${s.baseBranch})` : ""}`,
      );
      out.result(
        summary.worktreeExists
          ? `  worktree: ${s.worktree}`
          : `  worktree: removed (was ${s.worktree}); the branch keeps the run's commit`,
      );
      out.result(
        `  agent:    ${s.agent.name}, ${s.attempts.length} of ${s.maxAttempts} attempt(s)${s.reopenedAfter === null ? "" : ` (budget raised after attempt ${s.reopenedAfter})`}`,
      );
      const c = s.confinement;
      if (c !== null)
        out.result(
          c.mode === "bwrap"
            ? `  confined: bubblewrap sandbox, network ${c.network} (--sandbox ${c.requested})`
            : `  confined: no, the agent ran unconfined${c.reason ? ` (${c.reason})` : ""} (--sandbox ${c.requested})`,
        );
      for (const r of s.finished?.reasons ?? []) out.result(`  reason:   ${r}`);
      const more = s.finished?.status === "not_ready" && !s.landed ? moreAttemptsCommand(s) : null;
      if (more !== null) out.result(`  more:     ${more}`);
      const accept = acceptOutsideCommand(s);
      if (accept !== null) out.result(`  yours?:   ${accept}`);
      for (const a of s.attempts) {
        for (const c of a.acceptedOutside)
          out.result(`  accepted: attempt ${a.n}: ${c} (you said you made it)`);
        for (const c of a.outsideWhileConfined)
          out.result(`  outside:  attempt ${a.n}: ${c} (not the agent: it was confined)`);
      }
      for (const a of s.attempts) {
        const gates = a.gates.map((g) => `${g.name}:${g.status}`).join(" ");
        out.result(
          `  attempt ${a.n}: agent ${a.agent?.status ?? "—"}, ${a.outcome ?? "unfinished"}${a.diff ? `, ${a.diff.files.length} file(s) +${a.diff.added} −${a.diff.deleted}` : ""}${gates ? `, ${gates}` : ""}`,
        );
      }
      out.result(
        `  ledger:   ${verify.ok ? "verifies" : out.paint("red", "FAILS VERIFICATION")} (${verify.events} events)`,
      );
      if (summary.problem) out.warn(`run ${s.runId}: ${summary.problem}`);
    });

  run
    .command("diff <run>")
    .description(
      "Print a run's change as a patch: the commit omk made of the judged tree against the run's base, or with --attempt one attempt's recorded patch. `git apply` takes it as is.",
    )
    .option("--stat", "only the changed files with their added and deleted lines")
    .addOption(new Option("--attempt <n>", "that attempt's recorded patch instead of the run's commit"))
    .addHelpText(
      "after",
      examples([
        "omk run diff last",
        "omk run diff last --stat",
        "omk run diff last --attempt 1",
        "omk run diff last > run.patch && git apply run.patch",
        "omk run diff last --json | jq '.files[].path'",
      ]),
    )
    .action(async (id: string, flags: { stat?: boolean; attempt?: string }, cmd: Command) => {
      const { runDiff } = await import("../../run/diff.js");
      const { openProject } = await import("../../project/open.js");
      const out = outputFor(cmd);
      const attempt = flags.attempt === undefined ? undefined : Number(flags.attempt);
      if (attempt !== undefined && (!Number.isInteger(attempt) || attempt < 1)) {
        throw new OmkError("USAGE", `--attempt takes an attempt number (1, 2, …), got ${flags.attempt}`);
      }
      const d = await runDiff(await openProject(process.cwd(), process.env), id, { attempt });
      const { patch, ...doc } = d;
      if (out.opts.json) {
        out.json(doc);
        return;
      }
      if (d.files.length === 0) {
        out.info(`run ${d.runId}${d.attempt === null ? "" : ` attempt ${d.attempt}`} changed nothing`);
        return;
      }
      if (flags.stat) {
        const rows = d.files.map((f) => [
          f.status,
          f.path,
          f.added === null ? "binary" : `+${f.added}`,
          f.deleted === null ? "" : `−${f.deleted}`,
        ]);
        for (const l of table(rows)) out.result(` ${l}`);
        out.result(`${d.files.length} file(s), +${d.added} −${d.deleted}`);
        return;
      }
      out.resultRaw(patch);
    });

  run
    .command("rm <run>")
    .description(
      "Remove a run entirely: its worktree, its branch omk/run/<id> and its state (ledger, proof, artifacts). No confirmation: naming the run is the confirmation. A running run is refused. A goal task's run leaves its worktree: that is the goal's lane, which its other tasks reuse.",
    )
    .addHelpText("after", examples(["omk run rm run-mf3k2x9a0-7q", "omk run rm last --json"]))
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const { removeRun } = await import("../../run/remove.js");
      const { openProject } = await import("../../project/open.js");
      const out = outputFor(cmd);
      const r = await removeRun(await openProject(process.cwd(), process.env), id);
      if (out.opts.json) out.json({ ok: true, ...r });
      const what = [
        r.worktree ? "worktree" : null,
        r.branch ? `branch ${r.branch}` : null,
        "ledger, proof and artifacts",
      ].filter(Boolean);
      out.result(`removed run ${r.runId} (${r.status}${r.landed ? ", landed" : ""}): ${what.join(", ")}`);
      if (r.keptWorktree) out.info(`kept ${r.keptWorktree}: a goal's lane, which the goal removes`);
    });
}

export function statusColor(status: string): Color {
  if (status === "ready" || status === "running") return "green";
  if (status === "blocked" || status === "crashed") return "red";
  return "yellow";
}
