import { type Command, Option } from "commander";
import { examples, outputFor } from "../context.js";

export function registerLand(program: Command): void {
  program
    .command("land <run>")
    .description(
      "Merge a ready run into the branch it started from. Before anything moves, the project's gates " +
        "re-run on the run's exact commit in a gate workspace (a same-uid agent could have rewritten the " +
        "run's ledger) — unless every attempt ran confined and the run's signed receipt verifies with this " +
        "machine's key and names that commit; the ledger records which. Fast-forward only by default; with --merge, a moved base is checked with " +
        "git merge-tree and the gates re-run on the merge result instead. A run that already landed is nothing to do (exit 0).",
    )
    .addOption(
      new Option(
        "--ff-only",
        'only fast-forward (default unless .omk/config.toml [land] mode = "merge")',
      ).conflicts("merge"),
    )
    .option("--merge", "allow a merge commit when the base moved (gates re-run on the merge)")
    .option(
      "--no-regate",
      "do not re-run the gates on the run's commit before a fast-forward (recorded in the ledger; the ledger alone is then the evidence)",
    )
    .option("--no-receipt", "re-run the gates even when a signed receipt of a confined run would do")
    .addOption(
      new Option(
        "--sandbox <mode>",
        "confine the re-run gates (network as [gates] network) and their [workspace] setup (host network, package caches) with bubblewrap: auto (when it works here), required, off (default: OMK_SANDBOX, else [sandbox] mode in .omk/config.toml, else auto)",
      ).choices(["auto", "required", "off"]),
    )
    .addHelpText("after", examples(["omk land last", "omk land run-mf3k2x9a0-7q --merge --json"]))
    .action(
      async (
        id: string,
        flags: {
          ffOnly?: boolean;
          merge?: boolean;
          regate: boolean;
          receipt: boolean;
          sandbox?: "auto" | "required" | "off";
        },
        cmd: Command,
      ) => {
        const { landRun } = await import("../../run/land.js");
        const { landPrecheck } = await import("../../run/land-precheck.js");
        const { openProject } = await import("../../project/open.js");
        const { resolveRunId } = await import("../../project/locate.js");
        const { interruptController } = await import("../interrupt.js");
        const { sandboxFlags } = await import("./run.js");
        const out = outputFor(cmd);
        const project = await openProject(process.cwd(), process.env);
        const loc = await resolveRunId(project, id);
        const pre = await landPrecheck(project, loc);
        if (pre.alreadyLanded) {
          const { commit } = pre.alreadyLanded;
          if (out.opts.json) out.json({ ok: true, runId: loc.runId, commit, alreadyLanded: true });
          out.info(`run ${loc.runId} already landed as ${commit.slice(0, 12)}: nothing to do`);
          return;
        }
        const mode = flags.merge ? "merge" : flags.ffOnly ? "ff-only" : project.config.land.mode;
        const intr = interruptController(out);
        if (!flags.regate)
          out.warn(
            "--no-regate: landing on the strength of the run's ledger alone, which the agent could have rewritten",
          );
        try {
          const r = await landRun({
            project,
            loc,
            mode,
            noRegate: !flags.regate,
            ignoreReceipt: !flags.receipt,
            sandbox: sandboxFlags(flags.sandbox === undefined ? {} : { sandbox: flags.sandbox }).sandbox,
            signal: intr.signal,
            onProgress: (l) => out.info(l),
          });
          if (out.opts.json) out.json({ ok: true, ...r });
          out.info(
            out.paint(
              "green",
              `landed ${r.runId} on ${r.branch ?? "HEAD"} at ${r.commit.slice(0, 12)} (${landedHow(r)})`,
            ),
          );
        } finally {
          intr.dispose();
        }
      },
    );
}

function landedHow(r: { fastForward: boolean; trust: "regate" | "receipt" | "no-regate" }): string {
  if (!r.fastForward) return "merge, gates re-run";
  if (r.trust === "receipt") return "fast-forward, on the signed receipt of a confined run";
  return r.trust === "regate" ? "fast-forward, gates re-run" : "fast-forward, gates not re-run";
}
