import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { RunJournalEvent } from "../journal/events.js";
import { pidIsAlive } from "../proc/process-group.js";
import { InPlaceRecord } from "../store/in-place-record.js";
import { writePrivateJson } from "../store/private-fs.js";

/**
 * Whether a run is being driven right now. The ledger cannot say (a SIGKILLed omk writes no last
 * event), so the process driving a run keeps `live.json` in the run dir: its pid, and a heartbeat
 * rewritten every few seconds with the attempt and phase it is in. It is outside the ledger on
 * purpose — a cache of "who is at it", never evidence — and removed when the drive ends.
 */
export const LIVE_FILE = "live.json";
export const HEARTBEAT_MS = 2_000;
/** A heartbeat older than this means the process is gone or hung (its pid may have been reused). */
export const STALE_MS = 20_000;
/** live.json is rewritten in place (store/in-place-record.ts), as a record of this many bytes. */
const LIVE_RECORD_BYTES = 512;

const LiveSchema = z.object({
  pid: z.number().int().positive(),
  startedAt: z.string(),
  heartbeatAt: z.string(),
  attempt: z.number().int().nullable(),
  phase: z.string(),
});
export type LiveRecord = z.infer<typeof LiveSchema>;

export type Liveness =
  | { state: "running"; pid: number; attempt: number | null; phase: string; heartbeatAt: string }
  | { state: "crashed"; reason: string };

export interface Heartbeat {
  /** Folds a journal event into the recorded attempt and phase (written with the next beat). */
  observe(e: RunJournalEvent): void;
  /** Stops the beat and removes live.json. */
  stop(): Promise<void>;
}

/** Starts beating for the run in `dir` (writes live.json at once, then every `intervalMs`). */
export async function startHeartbeat(
  dir: string,
  o: { pid: number; attempt?: number | null; phase?: string; intervalMs?: number; now?: () => Date },
): Promise<Heartbeat> {
  const now = o.now ?? (() => new Date());
  const rec: LiveRecord = {
    pid: o.pid,
    startedAt: now().toISOString(),
    heartbeatAt: now().toISOString(),
    attempt: o.attempt ?? null,
    phase: o.phase ?? "starting",
  };
  const file = join(dir, LIVE_FILE);
  let stopped = false;
  let writing: Promise<void> = Promise.resolve();
  // Made atomically once, then overwritten in place: a run rewrites it at every phase change.
  rec.heartbeatAt = now().toISOString();
  await writePrivateJson(file, rec, { cache: true }).catch(() => {});
  let record: InPlaceRecord | null = null;
  try {
    record = InPlaceRecord.open(file, LIVE_RECORD_BYTES);
  } catch {
    // A cache: a run whose heartbeat cannot be written reads as crashed, and still runs.
  }
  const beat = () => {
    if (stopped || record === null) return writing;
    rec.heartbeatAt = now().toISOString();
    const text = JSON.stringify(rec);
    const r = record;
    writing = writing.then(() => {
      if (stopped) return;
      try {
        r.write(text);
      } catch {
        // as above
      }
    });
    return writing;
  };
  const timer = setInterval(beat, o.intervalMs ?? HEARTBEAT_MS);
  timer.unref();
  return {
    observe(e) {
      const next = phaseAfter(e);
      if (next === null) return;
      if (next.attempt !== undefined) rec.attempt = next.attempt;
      const changed = rec.phase !== next.phase;
      rec.phase = next.phase;
      if (changed) void beat();
    },
    async stop() {
      clearInterval(timer);
      stopped = true; // no new beat starts; one already writing finishes before the file goes
      await writing;
      record?.close();
      await rm(file, { force: true });
    },
  };
}

/** The phase a run is in after event `e` (null: the event does not change it). */
export function phaseAfter(e: RunJournalEvent): { phase: string; attempt?: number } | null {
  switch (e.kind) {
    case "RunStarted":
    case "RunResumed":
      return { phase: "starting" };
    case "WorkspaceSetup":
      return { phase: "workspace setup" };
    case "WorkspaceReady":
      return { phase: "workspace ready" };
    case "AttemptStarted":
    case "AgentStarted":
      return { phase: "agent", attempt: e.data.attempt };
    case "AgentFinished":
    case "AgentStopped":
    case "Snapshot":
    case "DiffCaptured":
      return { phase: "checking the change", attempt: e.data.attempt };
    case "GateWorkspaceReady":
      return { phase: "gates" };
    case "GateStarted":
      return { phase: `gate ${e.data.name}`, attempt: e.data.attempt };
    case "GateResult":
      return { phase: "gates", attempt: e.data.attempt };
    case "AttemptFinished":
      return { phase: "between attempts", attempt: e.data.attempt };
    case "Committed":
    case "RunFinished":
      return { phase: "finishing" };
    case "ProofWritten":
      return { phase: "proof written" };
    default:
      return null;
  }
}

export async function readLive(dir: string): Promise<LiveRecord | null> {
  // Overwritten in place: a read that races a write can see a mix of two records; read once more.
  let read = await readLiveOnce(dir);
  if (read === "unreadable") read = await readLiveOnce(dir);
  return read === "unreadable" ? null : read;
}

/** null: there is none; "unreadable": it does not parse as a live record. */
async function readLiveOnce(dir: string): Promise<LiveRecord | null | "unreadable"> {
  let text: string;
  try {
    text = await readFile(join(dir, LIVE_FILE), "utf8");
  } catch {
    return null;
  }
  try {
    const parsed = LiveSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : "unreadable";
  } catch {
    return "unreadable";
  }
}

/**
 * Running iff live.json names a process that is alive and beat within `staleMs`; otherwise the
 * unfinished run is crashed (or was killed before it could record an interrupt).
 */
export function livenessOf(
  rec: LiveRecord | null,
  o: { now?: Date; staleMs?: number; isAlive?: (pid: number) => boolean } = {},
): Liveness {
  if (rec === null) return { state: "crashed", reason: "no omk process is driving it" };
  const isAlive = o.isAlive ?? safePidIsAlive;
  if (!isAlive(rec.pid)) return { state: "crashed", reason: `omk process ${rec.pid} is gone` };
  const age = (o.now ?? new Date()).getTime() - Date.parse(rec.heartbeatAt);
  if (!(age <= (o.staleMs ?? STALE_MS)))
    return {
      state: "crashed",
      reason: `no heartbeat from process ${rec.pid} for ${Math.round(age / 1000)}s`,
    };
  return {
    state: "running",
    pid: rec.pid,
    attempt: rec.attempt,
    phase: rec.phase,
    heartbeatAt: rec.heartbeatAt,
  };
}

function safePidIsAlive(pid: number): boolean {
  try {
    return pidIsAlive(pid);
  } catch {
    return true; // EPERM-like answers: someone's process is there
  }
}

/** The liveness of the run in `dir`, read now. */
export async function runLiveness(dir: string): Promise<Liveness> {
  return livenessOf(await readLive(dir));
}
