import type { Command } from "commander";
import { examples, outputFor } from "../context.js";

export function registerCleanup(program: Command): void {
  program
    .command("cleanup")
    .description(
      "Remove the worktrees of finished runs and prune git's worktree list. Ledgers, proofs and run branches are kept. " +
        "Unfinished runs are kept for `omk run resume` unless --all, which closes them as interrupted (recovering a crashed run's ledger) and removes their worktrees too, " +
        "and removes run directories with no ledger (left by older versions when the agent did not resolve) and, once a minute old, run worktrees with no run (an omk killed while it started a run). " +
        "A run that is running is never touched. To remove one run entirely, use `omk run rm`. " +
        "Gate workspaces and goal lanes are pooled checkouts kept for the next run or goal; --workspaces removes the idle ones.",
    )
    .option(
      "--all",
      "also close and clean unfinished (interrupted or crashed) runs, and remove run directories that have no ledger and run worktrees that have no run",
    )
    .option(
      "--branches",
      "also delete the branches of landed runs and of abandoned ones (finished, not ready); a ready run that never landed keeps its branch",
    )
    .option("--force", "with --branches: delete the branches of ready runs that never landed too")
    .option(
      "--workspaces",
      "also remove the pooled checkouts no run or goal is using: gate workspaces (with what `[workspace] setup` installed) and goal lanes; the next run or goal checks them out again",
    )
    .addHelpText(
      "after",
      examples([
        "omk cleanup",
        "omk cleanup --branches",
        "omk cleanup --workspaces",
        "omk cleanup --all --branches --json",
      ]),
    )
    .action(
      async (
        flags: { all?: boolean; branches?: boolean; force?: boolean; workspaces?: boolean },
        cmd: Command,
      ) => {
        const { cleanupRuns, cleanupWorkspaces } = await import("../../run/cleanup.js");
        const { openProject } = await import("../../project/open.js");
        const out = outputFor(cmd);
        if (flags.force && !flags.branches) out.warn("--force only matters with --branches");
        const project = await openProject(process.cwd(), process.env);
        const { items, branches } = await cleanupRuns(project, {
          all: flags.all === true,
          branches: flags.branches === true,
          force: flags.force === true,
        });
        const workspaces = flags.workspaces ? await cleanupWorkspaces(project) : [];
        if (out.opts.json)
          out.json({
            ok: true,
            items,
            ...(flags.branches ? { branches } : {}),
            ...(flags.workspaces ? { workspaces } : {}),
          });
        for (const i of items) out.result(`${i.action.padEnd(9)} ${i.runId}  ${i.reason}`);
        for (const b of branches)
          out.result(`${(b.action === "deleted" ? "deleted" : "kept").padEnd(9)} ${b.branch}  ${b.reason}`);
        for (const w of workspaces) out.result(`${w.action.padEnd(9)} ${w.dir}  ${w.reason}`);
        const removed = items.filter((i) => i.action !== "kept").length;
        const deleted = branches.filter((b) => b.action === "deleted").length;
        const freed = workspaces.filter((w) => w.action === "removed").length;
        out.info(
          `cleanup: ${removed} worktree(s) removed, ${items.length - removed} kept` +
            (flags.branches ? `; ${deleted} branch(es) deleted, ${branches.length - deleted} kept` : "") +
            (flags.workspaces
              ? `; ${freed} pooled workspace(s) removed, ${workspaces.length - freed} in use`
              : ""),
        );
      },
    );
}
