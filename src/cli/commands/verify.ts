import type { Command } from "commander";
import { ExitCode } from "../../core/exit-codes.js";
import type { GateEvidence } from "../../gates/runner.js";
import { collect, examples, outputFor } from "../context.js";
import type { Output } from "../output.js";

export function registerVerify(program: Command): void {
  program
    .command("verify")
    .description(
      "Run the project's gates (.omk/gates.toml, or detected ones if it is missing) on the current " +
        "working tree. Exits 0 only if every required gate passes.",
    )
    .option("-g, --gate <name>", "run only this gate (repeatable)", collect, [])
    .addHelpText(
      "after",
      examples(["omk verify", "omk verify --gate test --gate lint", "omk verify --json | jq .ok"]),
    )
    .action(async (opts: { gate: string[] }, cmd: Command) => {
      const { requireRepoRoot } = await import("../../git/repo.js");
      const { gatesForTree } = await import("../../project/gates.js");
      const { runGates } = await import("../../gates/runner.js");
      const out = outputFor(cmd);
      const root = await requireRepoRoot(process.cwd());
      const { gates, source } = await gatesForTree(root, process.env);
      out.debug(`gates from ${source}`);
      // The same refusal as `omk run`: with no gates nothing can be verified, and that is not a pass.
      if (gates.length === 0) {
        const { OmkError } = await import("../../core/errors.js");
        throw new OmkError("CONFIG_INVALID", "no gates configured or detected: nothing to verify", {
          hint: "add [[gates]] to .omk/gates.toml, or run `omk init` to detect them",
        });
      }
      const abort = new AbortController();
      const onSigint = () => abort.abort();
      process.once("SIGINT", onSigint);
      try {
        const result = await runGates(gates, {
          root,
          parentEnv: process.env,
          only: opts.gate.length > 0 ? opts.gate : undefined,
          signal: abort.signal,
          onGateStart: (name) => out.info(`${out.paint("blue", "▶")} ${name}`),
          onGateResult: (e) => printGate(out, e),
        });
        if (out.opts.json) {
          out.json({
            ok: result.ok,
            root,
            source,
            gates: result.gates.map((g) => ({
              name: g.name,
              status: g.status,
              exitCode: g.exitCode,
              durationMs: Math.round(g.durationMs),
              required: g.required,
              allowFail: g.allowFail,
              argv: g.argv,
              stdoutBytes: g.stdoutBytes,
              stderrBytes: g.stderrBytes,
              stdoutSha256: g.stdoutSha256,
              stderrSha256: g.stderrSha256,
              ...(g.status === "pass" ? {} : { tail: g.tail }),
            })),
          });
        }
        const passed = result.gates.filter((g) => g.status === "pass").length;
        out.info(
          result.ok
            ? out.paint("green", `verify ok: ${passed}/${result.gates.length} gates passed`)
            : out.paint("red", `verify failed: ${passed}/${result.gates.length} gates passed`),
        );
        process.exitCode = abort.signal.aborted
          ? ExitCode.interrupted
          : result.ok
            ? ExitCode.ok
            : ExitCode.failure;
      } finally {
        process.off("SIGINT", onSigint);
      }
    });
}

function printGate(out: Output, e: GateEvidence): void {
  const secs = (e.durationMs / 1000).toFixed(1);
  const color = e.status === "pass" ? "green" : e.status === "skip" ? "gray" : "red";
  const req = e.required && !e.allowFail ? "" : out.paint("gray", " (optional)");
  out.info(`  ${out.paint(color, e.status.padEnd(7))} ${e.name} ${out.paint("gray", `${secs}s`)}${req}`);
  if (e.status !== "pass" && e.status !== "skip") {
    if (e.error) out.info(`    ${e.error}`);
    const tail = e.tail.trimEnd().split("\n").slice(-15);
    for (const l of tail) out.info(out.paint("gray", `    │ ${l}`));
  }
}
