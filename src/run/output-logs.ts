import { open, stat } from "node:fs/promises";
import { join } from "node:path";
import { OmkError } from "../core/errors.js";
import type { GateRecord } from "../journal/events.js";
import { outputArtifact } from "../journal/integrity.js";
import { readRunJournal } from "../journal/run-journal.js";
import type { AttemptState, RunState } from "../journal/state.js";
import type { ProjectLocation, RunLocation } from "../project/locate.js";
import { resolveRunId } from "../project/locate.js";
import { redactText, StreamRedactor } from "../security/redact.js";

/**
 * `omk run logs`: what the agent printed (each attempt's output artifact) and, on request, the gate
 * tails the ledger recorded. Everything handed out passes the redactor again: the artifacts were
 * written redacted, but a reader does not trust a file a same-uid agent could have rewritten.
 */

export interface LogsOptions {
  /** Only this attempt. */
  attempt?: number | undefined;
  /** Also the gates' recorded (redacted) output tails. */
  gates?: boolean | undefined;
}

export interface LogsSink {
  /** An attempt's output starts (`saved`: its AgentOutputSaved, null while it runs or after a crash). */
  attemptStart(a: AttemptHeader): void;
  /** Redacted output text, in order. */
  text(attempt: number, text: string): void;
  /** A gate's recorded result (with --gates). */
  gate(attempt: number, gate: GateLog): void;
}

export interface AttemptHeader {
  attempt: number;
  file: string;
  saved: { sha256: string; bytes: number; cutBytes: number; seenBytes: number; lines: number } | null;
}

export interface GateLog {
  name: string;
  status: GateRecord["status"];
  exitCode: number | null;
  tail: string;
}

const READ_BLOCK = 256 * 1024;

function headerOf(a: AttemptState): AttemptHeader {
  const saved = a.output?.saved;
  return {
    attempt: a.n,
    file: outputArtifact(a.n),
    saved:
      saved && a.output
        ? {
            sha256: saved.sha256,
            bytes: saved.bytes,
            cutBytes: saved.cutBytes,
            seenBytes: a.output.bytes,
            lines: a.output.lines,
          }
        : null,
  };
}

function gateLogs(a: AttemptState): GateLog[] {
  return a.gates.map((g) => ({
    name: g.name,
    status: g.status,
    exitCode: g.exitCode,
    tail: redactText(g.tail),
  }));
}

function selectAttempts(s: RunState, o: LogsOptions): AttemptState[] {
  return o.attempt === undefined ? s.attempts : s.attempts.filter((a) => a.n === o.attempt);
}

async function readState(loc: RunLocation): Promise<RunState> {
  const read = await readRunJournal(loc.dir);
  if (read.state === null) {
    throw new OmkError("LEDGER_CORRUPT", `run ${loc.runId}: its ledger does not start with RunStarted`, {
      hint: "run `omk proof verify` to see what is wrong with it",
    });
  }
  return read.state;
}

function checkAttempt(s: RunState, o: LogsOptions, loc: RunLocation): void {
  if (o.attempt !== undefined && !s.attempts.some((a) => a.n === o.attempt)) {
    const have = s.attempts.map((a) => a.n).join(", ") || "none yet";
    throw new OmkError("USAGE", `run ${loc.runId} has no attempt ${o.attempt} (attempts: ${have})`);
  }
}

/** One attempt's output file, read from `offset` to its end (or `limit`), decoded and redacted as a stream. */
class OutputReader {
  offset = 0;
  readonly #decoder = new TextDecoder("utf-8");
  readonly #redactor = new StreamRedactor();

  constructor(readonly path: string) {}

  /** Reads what is there now; returns the redacted text (some may be held back until `end`). */
  async read(emit: (text: string) => void): Promise<void> {
    const size = (await stat(this.path).catch(() => null))?.size ?? 0;
    // A restarted attempt (after resume) starts its file over.
    if (size < this.offset) this.offset = 0;
    if (size === this.offset) return;
    const fh = await open(this.path, "r");
    try {
      const buf = Buffer.alloc(READ_BLOCK);
      while (this.offset < size) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(READ_BLOCK, size - this.offset), this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        const out = this.#redactor.push(this.#decoder.decode(buf.subarray(0, bytesRead), { stream: true }));
        if (out !== "") emit(out);
      }
    } finally {
      await fh.close();
    }
  }

  end(emit: (text: string) => void): void {
    const out = this.#redactor.push(this.#decoder.decode()) + this.#redactor.flush();
    if (out !== "") emit(out);
  }
}

/** The run's logs as they are now, attempt by attempt, to `sink`. */
export async function readRunLogs(
  project: ProjectLocation,
  id: string,
  o: LogsOptions,
  sink: LogsSink,
): Promise<{ loc: RunLocation; state: RunState }> {
  const loc = await resolveRunId(project, id);
  const state = await readState(loc);
  checkAttempt(state, o, loc);
  for (const a of selectAttempts(state, o)) {
    sink.attemptStart(headerOf(a));
    const reader = new OutputReader(join(loc.dir, outputArtifact(a.n)));
    const emit = (t: string) => sink.text(a.n, t);
    await reader.read(emit);
    reader.end(emit);
    if (o.gates) for (const g of gateLogs(a)) sink.gate(a.n, g);
  }
  return { loc, state };
}

export interface FollowOptions extends LogsOptions {
  signal: AbortSignal;
  /** Default 250 ms. */
  pollMs?: number | undefined;
}

/**
 * Follows a run: prints each attempt's output as it grows (the head as it is written; past the cap,
 * the kept tail when the attempt ends), its gates when they are recorded, and returns once the run
 * has finished or was interrupted, or when `signal` aborts.
 */
export async function followRunLogs(
  project: ProjectLocation,
  id: string,
  o: FollowOptions,
  sink: LogsSink,
): Promise<{ loc: RunLocation; state: RunState; stopped: "ended" | "aborted" }> {
  const loc = await resolveRunId(project, id);
  const pollMs = o.pollMs ?? 250;
  let next = o.attempt ?? 1;
  /** The current attempt's output reader; null once its output is done (then its gates are awaited). */
  let reader: OutputReader | null = null;
  let phase: "start" | "output" | "gates" = "start";
  for (;;) {
    // Read after deciding to stop: the last poll sees everything written before the end.
    const aborted = o.signal.aborted;
    const state = await readState(loc);
    const over = state.finished !== null || state.interrupted;
    if (o.attempt !== undefined && over) checkAttempt(state, o, loc);
    // Attempts in order; a later one only once the one before is done.
    for (;;) {
      const a = state.attempts.find((x) => x.n === next);
      if (!a) break;
      if (phase === "start") {
        sink.attemptStart(headerOf(a));
        reader = new OutputReader(join(loc.dir, outputArtifact(a.n)));
        phase = "output";
      }
      if (phase === "output" && reader !== null) {
        const emit = (t: string) => sink.text(a.n, t);
        await reader.read(emit);
        const saved = a.output?.saved ?? null;
        if (!((saved !== null && reader.offset >= saved.bytes) || a.outcome !== null || over)) break;
        reader.end(emit);
        reader = null;
        phase = "gates";
      }
      if (o.gates) {
        // Gates come after the agent: their results are complete once the attempt has its verdict.
        if (a.outcome === null && !over) break;
        for (const g of gateLogs(a)) sink.gate(a.n, g);
      }
      if (o.attempt !== undefined) return { loc, state, stopped: "ended" };
      next = a.n + 1;
      phase = "start";
    }
    if (over) return { loc, state, stopped: "ended" };
    if (aborted) return { loc, state, stopped: "aborted" };
    await sleep(pollMs, o.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
