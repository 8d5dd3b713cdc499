import type { Command } from "commander";
import { examples, outputFor } from "../context.js";

export function registerInit(program: Command): void {
  program
    .command("init")
    .description(
      "Set up omk in this git repository: .omk/config.toml, .omk/gates.toml (detected from your " +
        "package.json, Cargo.toml, go.mod, pyproject.toml or Makefile), MCP config stubs, and a " +
        "git exclude for .omk/worktrees/. Safe to re-run: existing files are kept unless --force, and the " +
        "gates and setup printed are the kept files'. The proposed [workspace] setup installs from your " +
        "lockfile (`npm ci`), or, when the lockfile is git-ignored and so never in a worktree, without it (`npm install`).",
    )
    .option("-f, --force", "overwrite existing omk files with freshly detected ones")
    .addHelpText("after", examples(["omk init", "omk init --force --json"]))
    .action(async (opts: { force?: boolean }, cmd: Command) => {
      const { quoteArgv } = await import("../../proc/quote.js");
      const { initProject } = await import("../../project/init.js");
      const out = outputFor(cmd);
      const result = await initProject(process.cwd(), process.env, { force: opts.force === true });
      if (out.opts.json) out.json({ ok: true, ...result });
      out.info(`omk initialised in ${result.root}`);
      for (const f of result.files) {
        const mark =
          f.status === "kept"
            ? out.paint("gray", "kept       ")
            : out.paint("green", `${f.status.padEnd(11)}`);
        out.info(`  ${mark} ${f.path}`);
      }
      const keptGates = result.gatesSource === "kept";
      if (result.gates.length === 0) {
        out.warn(
          keptGates
            ? "the kept .omk/gates.toml has no gates: add [[gates]] entries so runs can be judged"
            : "no gates detected: add [[gates]] entries to .omk/gates.toml so runs can be judged",
        );
      } else {
        out.info(keptGates ? "gates (the kept .omk/gates.toml):" : "gates (detected):");
        for (const g of result.gates) out.info(`  ${g.name.padEnd(12)} ${quoteArgv(g.argv)}`);
      }
      if (result.setup.length > 0) {
        const from = result.setupSource === "kept" ? " (the kept .omk/config.toml)" : "";
        out.info(`workspace setup${from}: ${result.setup.map((a) => quoteArgv(a)).join("; ")}`);
      }
      for (const note of result.notes) out.warn(note);
      out.info("next: omk verify   (runs the gates on your current tree)");
      if (result.files.some((f) => f.status !== "kept")) {
        out.info(
          'then: git add .omk .kimi && git commit -m "omk init"   (runs start from a clean, committed tree)',
        );
      }
    });
}
