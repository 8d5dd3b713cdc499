import { resolve } from "node:path";
import type { Command } from "commander";
import type { AgentEvent } from "../../agents/types.js";
import { redactText } from "../../security/redact.js";
import { collect, examples, outputFor } from "../context.js";
import type { Output } from "../output.js";

interface AskFlags {
  run?: string;
  model?: string;
  agentBin?: string;
  agentArg?: string[];
}

export function registerAsk(program: Command): void {
  program
    .command("ask")
    .description(
      "Ask a provider a question, read-only: it may read the repository (a throwaway checkout of HEAD, or of the run " +
        "given with --run) but never change it, and its answer is printed and recorded, never executed. " +
        "With --run, that run's diff and gate results go along as context (bounded in size). " +
        "Providers: deepseek (the API; DEEPSEEK_API_KEY), kimi, claude, codex, gemini, opencode (each in its read-only " +
        "or plan mode; see docs/agents.md), or a policy: authority | primary ([providers] in .omk/config.toml) | omk " +
        "(omk's own pick) — the first installed, logged-in provider that can read. " +
        "Run it inside the git repository it is about; each ask is recorded, redacted, in that project's state dir (asks/<id>.json).",
    )
    .argument(
      "<provider>",
      "deepseek | kimi | claude | codex | gemini | opencode | authority | primary | omk",
    )
    .argument("<question...>", "the question (the words are joined with spaces)")
    .option(
      "--run <run>",
      "a run (id, unique prefix or suffix, or `last`) whose diff and gate results to include",
    )
    .option(
      "-m, --model <model>",
      "the model (deepseek: default [providers.deepseek] model, else deepseek-chat)",
    )
    .option("--agent-bin <path>", "an agent CLI's executable other than the one on PATH (not for deepseek)")
    .option(
      "--agent-arg <arg>",
      "an extra argument for the agent CLI (repeatable; not for deepseek)",
      collect,
    )
    .addHelpText(
      "after",
      `${examples([
        'omk ask deepseek "is there a simpler way to write src/retry.ts?"',
        'omk ask claude --run last "why does the test gate fail?"',
        'omk ask authority --run last "should this land?" --json',
        'DEEPSEEK_BASE_URL=http://127.0.0.1:8080 omk ask deepseek "hello"   # another OpenAI-compatible endpoint',
      ])}\nThe answer goes to stdout; progress to stderr. With --json, one document: {askId, provider, via, mode, model, answer, usage, run, record}.\n` +
        "DEEPSEEK_API_KEY is read when the command runs and sent only to DeepSeek's endpoint; it is never printed or stored.\n" +
        "Exit codes: 0 answered, 1 the provider failed (recorded), 2 usage (unknown provider, one that cannot be consulted read-only, no key), 130 interrupted.\n",
    )
    .action(async (provider: string, words: string[], flags: AskFlags, cmd: Command) => {
      const { ask } = await import("../../ask/ask.js");
      const { interruptController } = await import("../interrupt.js");
      const out = outputFor(cmd);
      const intr = interruptController(out);
      try {
        out.info(`asking ${provider}${flags.run === undefined ? "" : ` about run ${flags.run}`}…`);
        const { record, file } = await ask({
          cwd: process.cwd(),
          env: process.env,
          provider,
          question: words.join(" "),
          run: flags.run,
          model: flags.model,
          agentBin: flags.agentBin === undefined ? undefined : resolve(flags.agentBin),
          agentArgs: flags.agentArg ?? [],
          // Read now, at call time, and handed down: only cli/ reads the environment.
          deepseek: {
            apiKey: process.env["DEEPSEEK_API_KEY"],
            baseUrl: process.env["DEEPSEEK_BASE_URL"] || undefined,
          },
          signal: intr.signal,
          onNote: (m) => out.info(redactText(m)),
          onEvent: (e) => progress(out, e),
        });
        if (out.opts.json) {
          out.json({
            ok: true,
            askId: record.id,
            provider: record.provider,
            via: record.via,
            mode: record.mode,
            model: record.model,
            answer: record.answer,
            usage: record.usage,
            run: record.run,
            record: file,
          });
        } else {
          out.result((record.answer ?? "").trimEnd());
        }
        const u = record.usage;
        const tokens = u === null ? "" : `, ${u.inputTokens ?? "?"} in / ${u.outputTokens ?? "?"} out tokens`;
        out.info(
          out.paint(
            "gray",
            `${record.provider}${record.model ? ` (${record.model})` : ""}${tokens}; recorded: ${file}`,
          ),
        );
      } finally {
        intr.dispose();
      }
    });
}

/** What a CLI advisor does while it reads, one line per tool call (its words are the answer). */
function progress(out: Output, e: AgentEvent): void {
  if (e.type === "tool_call")
    out.info(out.paint("gray", `  ${redactText(`${e.name} ${e.summary}`).slice(0, 200)}`));
  else if (e.type === "status") out.debug(`  ${redactText(e.message).slice(0, 300)}`);
}
