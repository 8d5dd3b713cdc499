import { readFileSync, statSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { EVENTS_FILE } from "../store/ledger/format.js";
import { writePrivateJson } from "../store/private-fs.js";
import type { RunState } from "./state.js";

/**
 * `summary.json`: a run's projected state as of a given ledger size, so listing runs reads one small
 * file per run instead of replaying every ledger. It is a cache of the ledger and nothing more: it is
 * rebuilt whenever events.jsonl is not exactly what it was built from (size and mtime), and nothing
 * that judges a run (proof, verify, land) reads it. Gate tails are left out to keep it small.
 */

export const SUMMARY_FILE = "summary.json";
const SCHEMA = "omk.run-summary/v1";

export interface RunSummaryRecord {
  /** The projection (gate tails emptied), or null when the ledger has no RunStarted to project. */
  state: RunState | null;
  /** Whether the ledger verified when the summary was built. */
  ledgerOk: boolean;
  /** Why this omk cannot fully read the run (journalProblem), or null. */
  problem: string | null;
  /** The summary was read from summary.json (false: rebuilt from the ledger just now). */
  cached: boolean;
}

const SummaryFileSchema = z.looseObject({
  schema: z.literal(SCHEMA),
  ledger: z.looseObject({ size: z.number().int().nonnegative(), mtimeMs: z.number() }),
  ledgerOk: z.boolean(),
  problem: z.string().nullable(),
  state: z.looseObject({ runId: z.string(), attempts: z.array(z.unknown()) }).nullable(),
});

export interface LedgerStamp {
  size: number;
  mtimeMs: number;
}

export async function ledgerStamp(dir: string): Promise<LedgerStamp | null> {
  const st = await stat(join(dir, EVENTS_FILE)).catch(() => null);
  return st === null ? null : { size: st.size, mtimeMs: st.mtimeMs };
}

function compact(state: RunState): RunState {
  return {
    ...state,
    attempts: state.attempts.map((a) => ({ ...a, gates: a.gates.map((g) => ({ ...g, tail: "" })) })),
  };
}

/** Writes summary.json for `state`, stamped with the ledger as it is now (the caller's state must cover it). */
export async function writeRunSummary(
  dir: string,
  state: RunState | null,
  ledgerOk = true,
  problem: string | null = null,
  stamp?: LedgerStamp | null,
): Promise<void> {
  const ledger = stamp === undefined ? await ledgerStamp(dir) : stamp;
  if (ledger === null) return;
  await writePrivateJson(
    join(dir, SUMMARY_FILE),
    {
      schema: SCHEMA,
      ledger,
      ledgerOk,
      problem,
      state: state === null ? null : compact(state),
    },
    { cache: true },
  );
}

/** summary.json when it was built from the ledger exactly as `stamp` says it is now, else null. */
export async function readCachedSummary(dir: string, stamp: LedgerStamp): Promise<RunSummaryRecord | null> {
  const text = await readFile(join(dir, SUMMARY_FILE), "utf8").catch(() => null);
  return text === null ? null : summaryMatching(text, stamp);
}

/** The record summary.json's `text` holds, if it parses and was built from the ledger `stamp` describes. */
function summaryMatching(text: string, stamp: LedgerStamp): RunSummaryRecord | null {
  let parsed: ReturnType<typeof SummaryFileSchema.safeParse>;
  try {
    parsed = SummaryFileSchema.safeParse(JSON.parse(text));
  } catch {
    return null;
  }
  if (!parsed.success) return null;
  const { ledger, state, ledgerOk, problem } = parsed.data;
  if (ledger.size !== stamp.size || ledger.mtimeMs !== stamp.mtimeMs) return null;
  return { state: state as RunState | null, ledgerOk, problem, cached: true };
}

/**
 * The same check done with synchronous reads, for `run list`: over hundreds of runs, a promise per
 * stat and per read costs more than the reads themselves (and the command has nothing else to do
 * meanwhile). Null when summary.json is missing, stale or unreadable, or the ledger is missing.
 */
export function readCachedSummarySync(dir: string): RunSummaryRecord | null {
  try {
    const st = statSync(join(dir, EVENTS_FILE));
    return summaryMatching(readFileSync(join(dir, SUMMARY_FILE), "utf8"), st);
  } catch {
    return null;
  }
}
