import type { Command } from "commander";
import { examples, outputFor } from "../context.js";

export function registerRunInspect(run: Command): void {
  run
    .command("list")
    .description("List this project's runs, newest last (projected from each run's ledger).")
    .addHelpText(
      "after",
      examples(["omk run list", "omk run list --json | jq '.runs[] | select(.status==\"ready\")'"]),
    )
    .action(async (_flags: unknown, cmd: Command) => {
      const { listRuns } = await import("../../run/inspect.js");
      const { openProject } = await import("../../project/open.js");
      const out = outputFor(cmd);
      const runs = await listRuns(await openProject(process.cwd(), process.env));
      if (out.opts.json) out.json({ runs });
      if (runs.length === 0) out.info('no runs yet: omk run "<task>"');
      for (const r of runs) {
        const color = r.status === "ready" ? "green" : r.status === "blocked" ? "red" : "yellow";
        out.info(
          `${r.runId}  ${out.paint(color, r.status.padEnd(12))} ${String(r.attempts).padStart(2)} att  ${r.landed ? "landed " : ""}${r.task.split("\n")[0]!.slice(0, 60)}`,
        );
      }
    });

  run
    .command("show <run>")
    .description("Show one run: status, attempts, gates, diff — from its ledger alone.")
    .addHelpText("after", examples(["omk run show last", "omk run show last --json"]))
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const { showRun } = await import("../../run/inspect.js");
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
          ledger: {
            ok: verify.ok,
            events: verify.events,
            headHash: verify.headHash,
            problems: verify.problems,
          },
          dir: loc.dir,
        });
      out.info(
        `run ${s.runId}: ${summary.status}${s.landed ? ` (landed as ${s.landed.commit.slice(0, 12)})` : ""}`,
      );
      out.info(`  task:     ${s.task.split("\n")[0]}`);
      out.info(`  branch:   ${s.branch} from ${s.base.slice(0, 12)}`);
      out.info(`  worktree: ${s.worktree}`);
      for (const r of s.finished?.reasons ?? []) out.info(`  reason:   ${r}`);
      for (const a of s.attempts) {
        const gates = a.gates.map((g) => `${g.name}:${g.status}`).join(" ");
        out.info(
          `  attempt ${a.n}: agent ${a.agent?.status ?? "—"}, ${a.outcome ?? "unfinished"}${a.diff ? `, ${a.diff.files.length} file(s)` : ""}${gates ? `, ${gates}` : ""}`,
        );
      }
      out.info(
        `  ledger:   ${verify.ok ? "verifies" : out.paint("red", "FAILS VERIFICATION")} (${verify.events} events)`,
      );
      if (summary.problem) out.warn(`run ${s.runId}: ${summary.problem}`);
    });
}
