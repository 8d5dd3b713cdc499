import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { listRunIds, type ProjectLocation } from "./locate.js";

/**
 * Quota as the ledgers saw it: per adapter, the most recent run that used it. A rate-limit or quota
 * error in that run → `limited`; a finished turn without one → `ok`; no run → `unknown`. Never assumed.
 */

export interface QuotaFinding {
  value: "ok" | "limited" | "unknown";
  how: string;
}

const RATE_LIMIT = /rate[ _-]?limit|quota|too many requests|\b429\b|usage limit|overloaded/i;
/** Runs looked at, newest first; a ledger larger than this is skipped (it is not a quota record). */
const MAX_RUNS = 50;
const MAX_LEDGER_BYTES = 8 * 1024 * 1024;

interface RunQuota {
  runId: string;
  adapter: string;
  limited: string | null;
  finishedTurn: boolean;
}

function scan(runId: string, text: string): RunQuota | null {
  let adapter: string | null = null;
  let limited: string | null = null;
  let finishedTurn = false;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    let ev: { kind?: unknown; data?: Record<string, unknown> };
    try {
      ev = JSON.parse(line) as typeof ev;
    } catch {
      continue;
    }
    const data = ev.data ?? {};
    if (ev.kind === "RunStarted") {
      const agent = data["agent"] as { name?: unknown } | undefined;
      if (typeof agent?.name === "string") adapter = agent.name;
    } else if (ev.kind === "AgentFinished") {
      const detail = typeof data["detail"] === "string" ? data["detail"] : "";
      if (data["status"] === "finished") finishedTurn = true;
      else if (RATE_LIMIT.test(detail)) limited = detail;
    } else if (ev.kind === "AgentEvent") {
      const event = data["event"] as { type?: unknown; message?: unknown } | undefined;
      if (event?.type === "status" && typeof event.message === "string" && RATE_LIMIT.test(event.message))
        limited = event.message;
    }
  }
  return adapter === null ? null : { runId, adapter, limited, finishedTurn };
}

export async function quotaFromLedgers(loc: ProjectLocation | null): Promise<Map<string, QuotaFinding>> {
  const out = new Map<string, QuotaFinding>();
  if (loc === null) return out;
  const ids = (await listRunIds(loc)).slice(-MAX_RUNS).reverse();
  for (const runId of ids) {
    const file = join(loc.runsDir, runId, "events.jsonl");
    const size = await stat(file).then(
      (s) => s.size,
      () => -1,
    );
    if (size < 0 || size > MAX_LEDGER_BYTES) continue;
    const found = scan(runId, await readFile(file, "utf8").catch(() => ""));
    if (found === null || out.has(found.adapter)) continue;
    if (found.limited !== null) {
      out.set(found.adapter, { value: "limited", how: `run ${runId} saw: ${found.limited.slice(0, 200)}` });
    } else if (found.finishedTurn) {
      out.set(found.adapter, { value: "ok", how: `run ${runId} finished a turn without a rate-limit error` });
    }
  }
  return out;
}
