import type { Command } from "commander";
import { ExitCode } from "../../core/exit-codes.js";
import type { DoctorReport } from "../../project/doctor.js";
import { examples, outputFor } from "../context.js";
import type { Output } from "../output.js";

export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description(
      "Check that omk can run here (node, git, its state dir, the project's gates) and probe each agent " +
        "CLI: installed (path, version), auth (from the CLI's own status command; authenticated | " +
        "unauthenticated | unknown), model, and quota (from rate-limit errors in this project's ledgers). " +
        "Exits 0 if omk itself is usable, whatever the agents' state.",
    )
    .addHelpText("after", examples(["omk doctor", "omk doctor --json | jq '.agents[] | {name, auth}'"]))
    .action(async (_opts: unknown, cmd: Command) => {
      const { runDoctor } = await import("../../project/doctor.js");
      const out = outputFor(cmd);
      const report = await runDoctor({ cwd: process.cwd(), env: process.env, nodeVersion: process.version });
      if (out.opts.json) out.json(report);
      else print(out, report);
      process.exitCode = report.ok ? ExitCode.ok : ExitCode.failure;
    });
}

function mark(out: Output, ok: boolean): string {
  return ok ? out.paint("green", "ok  ") : out.paint("red", "FAIL");
}

function print(out: Output, r: DoctorReport): void {
  out.result(`omk ${r.omk.version}`);
  out.result(`  ${mark(out, r.node.ok)} node      ${r.node.detail}`);
  out.result(`  ${mark(out, r.git.ok)} git       ${r.git.version ?? "?"} (${r.git.detail})`);
  out.result(`  ${mark(out, r.stateDir.ok)} state dir ${r.stateDir.path}: ${r.stateDir.detail}`);
  out.result(`  ${mark(out, r.gates.ok)} gates     ${r.gates.detail}`);
  out.result("agents:");
  for (const a of r.agents) {
    if (!a.installed.value) {
      out.result(`  ${a.name.padEnd(7)} not installed (${a.installed.how})`);
      continue;
    }
    out.result(`  ${a.name.padEnd(7)} ${a.version.value ?? "?"} at ${a.installed.path ?? "?"}`);
    out.result(`          auth:  ${a.auth.value} (${a.auth.how})`);
    out.result(`          model: ${a.model.value ?? "default"} (${a.model.how})`);
    out.result(`          quota: ${a.quota.value} (${a.quota.how})`);
  }
  out.result(r.ok ? "omk is usable here" : "omk is NOT usable here: fix the FAIL lines above");
}
