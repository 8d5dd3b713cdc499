import type { Command } from "commander";
import { ExitCode } from "../../core/exit-codes.js";
import { examples, outputFor } from "../context.js";

export function registerSandbox(program: Command): void {
  const sandbox = program
    .command("sandbox")
    .description("Confinement of agents and gates (bubblewrap): whether it works on this machine.");
  sandbox
    .command("check")
    .description(
      "Start one trial sandbox exactly as a run would (pid, ipc, uts and network namespaces, private /tmp) " +
        "and say whether confinement works here, and if not why and what to do. Exit 0 iff it works.",
    )
    .addHelpText("after", examples(["omk sandbox check", "omk sandbox check --json | jq .ok"]))
    .action(async (_flags: unknown, cmd: Command) => {
      const { probeSandbox } = await import("../../proc/sandbox-probe.js");
      const out = outputFor(cmd);
      const probe = await probeSandbox(process.env);
      if (out.opts.json) {
        out.json({
          ok: probe.available,
          platform: process.platform,
          bwrap: probe.bwrap,
          version: probe.version,
          ...(probe.available ? {} : { reason: probe.reason, hint: probe.hint }),
        });
      }
      if (probe.available) {
        out.result(
          `confinement works here: bubblewrap ${probe.version ?? "(version unknown)"} at ${probe.bwrap}; ` +
            "runs with --sandbox auto (the default) or required are confined",
        );
        process.exitCode = ExitCode.ok;
        return;
      }
      out.result(`confinement does NOT work here: ${probe.reason}`);
      out.result(`${out.paint("cyan", "hint:")} ${probe.hint}`);
      out.result("runs with --sandbox auto run unconfined (and say so); --sandbox required refuses to run");
      process.exitCode = ExitCode.failure;
    });
}
