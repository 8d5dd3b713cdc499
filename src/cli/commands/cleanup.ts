import type { Command } from "commander";
import { examples, outputFor } from "../context.js";

export function registerCleanup(program: Command): void {
  program
    .command("cleanup")
    .description(
      "Remove the worktrees of finished runs and prune git's worktree list. Ledgers, proofs and run\n" +
        "branches are kept. Unfinished runs are kept for `omk run resume` unless --all, which closes them\n" +
        "as interrupted (recovering a crashed run's ledger) and removes their worktrees too.",
    )
    .option("--all", "also close and clean unfinished (interrupted or crashed) runs")
    .addHelpText("after", examples(["omk cleanup", "omk cleanup --all --json"]))
    .action(async (flags: { all?: boolean }, cmd: Command) => {
      const { cleanupRuns } = await import("../../run/cleanup.js");
      const { openProject } = await import("../../project/open.js");
      const out = outputFor(cmd);
      const project = await openProject(process.cwd(), process.env);
      const items = await cleanupRuns(project, { all: flags.all === true });
      if (out.opts.json) out.json({ ok: true, items });
      for (const i of items) out.info(`  ${i.action.padEnd(9)} ${i.runId}  ${i.reason}`);
      const removed = items.filter((i) => i.action !== "kept").length;
      out.info(`cleanup: ${removed} worktree(s) removed, ${items.length - removed} kept`);
    });
}
