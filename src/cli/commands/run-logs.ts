import type { Command } from "commander";
import { OmkError } from "../../core/errors.js";
import { ExitCode } from "../../core/exit-codes.js";
import type { AttemptHeader, GateLog, LogsSink } from "../../run/output-logs.js";
import { examples, outputFor } from "../context.js";
import type { Output } from "../output.js";

interface LogsFlags {
  follow?: boolean;
  attempt?: string;
  gates?: boolean;
}

interface AttemptDoc extends AttemptHeader {
  output: string;
  gates?: GateLog[];
}

export function registerRunLogs(run: Command): void {
  run
    .command("logs <run>")
    .description(
      "Show what the agent printed (each attempt's saved output, redacted; past the cap its head and " +
        "tail with the cut marked) and, with --gates, the gates' recorded output tails. The output goes " +
        "to stdout, headers to stderr. --follow tails a live run until it finishes or is interrupted.",
    )
    .option("-f, --follow", "keep printing as the run goes on; stop when it ends (or on Ctrl-C)")
    .option("--attempt <n>", "only this attempt")
    .option("--gates", "also the gates' output tails, after each attempt's agent output")
    .addHelpText(
      "after",
      examples([
        "omk run logs last",
        "omk run logs last --attempt 2 --gates",
        "omk run logs last --follow",
        "omk run logs run-mf3k2x9a0-7q --json | jq -r '.attempts[].output'",
      ]),
    )
    .action(async (id: string, flags: LogsFlags, cmd: Command) => {
      const { followRunLogs, readRunLogs } = await import("../../run/output-logs.js");
      const { openProject } = await import("../../project/open.js");
      const out = outputFor(cmd);
      // `omk run logs last | head`: the reader left; nothing more to say.
      process.stdout.on("error", (err: NodeJS.ErrnoException) => {
        if (err.code === "EPIPE") process.exit(ExitCode.ok);
        throw err;
      });
      const attempt = flags.attempt === undefined ? undefined : Number(flags.attempt);
      if (attempt !== undefined && (!Number.isInteger(attempt) || attempt < 1 || attempt > 1000)) {
        throw new OmkError(
          "USAGE",
          `--attempt must be a whole number from 1, got ${JSON.stringify(flags.attempt)}`,
        );
      }
      const project = await openProject(process.cwd(), process.env);
      const docs: AttemptDoc[] = [];
      const json = jsonSink(docs, flags.gates === true);
      const sink = out.opts.json ? json : textSink(out);
      const opts = { attempt, gates: flags.gates === true };
      let result: Awaited<ReturnType<typeof readRunLogs>>;
      let aborted = false;
      if (flags.follow) {
        const ac = new AbortController();
        const onSignal = () => ac.abort();
        process.on("SIGINT", onSignal);
        process.on("SIGTERM", onSignal);
        try {
          const r = await followRunLogs(project, id, { ...opts, signal: ac.signal }, sink);
          aborted = r.stopped === "aborted";
          result = r;
        } finally {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
        }
      } else {
        result = await readRunLogs(project, id, opts, sink);
      }
      const s = result.state;
      const status = s.finished?.status ?? (s.interrupted ? "interrupted" : "running_or_crashed");
      json.finish();
      if (out.opts.json)
        out.json({ runId: s.runId, status, followed: flags.follow === true, attempts: docs });
      else if (docs.length === 0 && s.attempts.length === 0)
        out.info(`run ${s.runId}: no attempt has started`);
      if (flags.follow) out.info(`run ${s.runId}: ${aborted ? "stopped following" : status}`);
      if (aborted) process.exitCode = ExitCode.interrupted;
    });
}

/** Gathers the document; outputs are joined once, at the end (`finish`). */
function jsonSink(docs: AttemptDoc[], gates: boolean): LogsSink & { finish(): void } {
  const chunks = new Map<AttemptDoc, string[]>();
  const doc = (n: number) => docs.findLast((d) => d.attempt === n);
  return {
    attemptStart(a) {
      const d: AttemptDoc = { ...a, output: "", ...(gates ? { gates: [] } : {}) };
      docs.push(d);
      chunks.set(d, []);
    },
    text(n, text) {
      const d = doc(n);
      if (d) chunks.get(d)?.push(text);
    },
    gate(n, g) {
      doc(n)?.gates?.push(g);
    },
    finish() {
      for (const [d, parts] of chunks) d.output = parts.join("");
    },
  };
}

export function textSink(out: Output): LogsSink {
  let atLineStart = true;
  const write = (text: string) => {
    process.stdout.write(text);
    atLineStart = text.endsWith("\n");
  };
  const newline = () => {
    if (!atLineStart) write("\n");
  };
  return {
    attemptStart(a) {
      newline();
      const where = a.saved
        ? `${a.file}, ${a.saved.lines} line(s), ${a.saved.seenBytes} bytes printed${a.saved.cutBytes > 0 ? `, ${a.saved.cutBytes} cut` : ""}`
        : `${a.file}, not saved yet`;
      out.info(out.paint("cyan", `── attempt ${a.attempt} (${where})`));
    },
    text(_n, text) {
      write(text);
    },
    gate(n, g) {
      newline();
      out.info(
        out.paint(
          "cyan",
          `── attempt ${n} gate ${g.name}: ${g.status}${g.exitCode === null ? "" : ` (exit ${g.exitCode})`}`,
        ),
      );
      if (g.tail !== "") write(g.tail.endsWith("\n") ? g.tail : `${g.tail}\n`);
    },
  };
}
