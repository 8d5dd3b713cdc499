import { Command, Option } from "commander";
import { VERSION } from "../core/version.js";
import { registerCleanup } from "./commands/cleanup.js";
import { registerInit } from "./commands/init.js";
import { registerLand } from "./commands/land.js";
import { registerProof } from "./commands/proof.js";
import { registerRun } from "./commands/run.js";
import { registerVerify } from "./commands/verify.js";
import { examples } from "./context.js";

export function buildProgram(): Command {
  const program = new Command("omk")
    .description(
      "Run coding agents in isolated git worktrees, judge their work with your project's own gates,\n" +
        "scan it for secrets, and keep a tamper-evident proof of every step.",
    )
    .version(VERSION, "-V, --version", "print the omk version")
    .addOption(new Option("--json", "print one JSON document on stdout (human text stays on stderr)"))
    .addOption(new Option("-q, --quiet", "only warnings and errors on stderr"))
    .addOption(new Option("-v, --verbose", "more detail on stderr"))
    .addOption(new Option("--no-color", "disable colour (NO_COLOR is honoured too)"))
    .showSuggestionAfterError(true)
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText(
      "after",
      `${examples([
        "omk init",
        "omk verify",
        'omk run "add retry with backoff to the http client"',
        "omk run list",
        "omk proof verify last",
        "omk land last",
      ])}\nExit codes: 0 ok, 1 failure or not ready, 2 usage or config error, 130 interrupted.\n`,
    );
  program.exitOverride();
  program.configureOutput({
    // commander's own usage errors are rendered by handleError so they carry a code and a hint.
    writeErr: () => {},
  });
  registerInit(program);
  registerVerify(program);
  registerRun(program);
  registerProof(program);
  registerLand(program);
  registerCleanup(program);
  return program;
}
