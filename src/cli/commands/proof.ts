import { type Command, Option } from "commander";
import { ExitCode } from "../../core/exit-codes.js";
import { examples, outputFor } from "../context.js";

export function registerProof(program: Command): void {
  const proof = program
    .command("proof")
    .description("Show or independently verify a run's proof.")
    .addHelpText("after", examples(["omk proof show last", "omk proof verify last"]));

  proof
    .command("show <run>")
    .description("Print a run's proof as markdown (default) or JSON.")
    .addOption(new Option("-f, --format <format>", "output format").choices(["md", "json"]).default("md"))
    .addHelpText("after", examples(["omk proof show last", "omk proof show last --format json > proof.json"]))
    .action(async (id: string, flags: { format: "md" | "json" }, cmd: Command) => {
      const { proofMarkdown } = await import("../../proof/markdown.js");
      const { loadProof } = await import("../../proof/show.js");
      const { openProject } = await import("../../project/open.js");
      const out = outputFor(cmd);
      const p = await loadProof(await openProject(process.cwd(), process.env), id);
      if (out.opts.json || flags.format === "json") out.json(p);
      else out.resultRaw(proofMarkdown(p));
    });

  proof
    .command("verify <run>")
    .description(
      "Check a run end to end: the ledger's hash chain, proof.json against the ledger, artifact hashes, " +
        "that the run branch still points at the recorded commit, and (unless --no-gates) re-run the gates " +
        "on that commit in a gate workspace. Exit 0 iff everything agrees.",
    )
    .option("--no-gates", "skip re-running the gates")
    .addHelpText("after", examples(["omk proof verify last", "omk proof verify run-mf3k2x9a0-7q --json"]))
    .action(async (id: string, flags: { gates: boolean }, cmd: Command) => {
      const { verifyRunProof } = await import("../../proof/show.js");
      const { interruptController } = await import("../interrupt.js");
      const { openProject } = await import("../../project/open.js");
      const out = outputFor(cmd);
      const project = await openProject(process.cwd(), process.env);
      const intr = interruptController(out);
      try {
        const r = await verifyRunProof(project, id, {
          rerunGates: flags.gates,
          signal: intr.signal,
          onGateResult: (name, status, recorded) =>
            out.debug(`  re-ran ${name}: ${status} (recorded ${recorded ?? "—"})`),
        });
        if (out.opts.json) out.json(r);
        for (const c of r.checks)
          out.result(
            `  ${c.ok ? out.paint("green", "ok  ") : out.paint("red", "FAIL")} ${c.name.padEnd(9)} ${c.detail}`,
          );
        out.result(
          r.ok
            ? out.paint("green", `proof of ${r.runId} verifies (status ${r.status})`)
            : out.paint("red", `proof of ${r.runId} does NOT verify`),
        );
        process.exitCode = intr.signal.aborted ? ExitCode.interrupted : r.ok ? ExitCode.ok : ExitCode.failure;
      } finally {
        intr.dispose();
      }
    });
}
