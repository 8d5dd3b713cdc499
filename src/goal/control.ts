import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { writePrivateJson } from "../store/private-fs.js";

/**
 * `omk goal pause|cancel` while another omk drives the goal: that omk holds the goal ledger's
 * single-writer lock, so the request travels as a file in the goal's directory, polled every
 * OMK_GOAL_INTERRUPT_POLL_MS; what it did is recorded by the omk that acts on it.
 */
const CONTROL_FILE = "control.json";

export const ControlSchema = z.object({
  action: z.enum(["pause", "cancel"]),
  requestedAt: z.string(),
  pid: z.number().int(),
});
export type ControlRequest = z.infer<typeof ControlSchema>;

export async function requestControl(
  goalDir: string,
  action: ControlRequest["action"],
  pid: number,
): Promise<void> {
  await writePrivateJson(join(goalDir, CONTROL_FILE), { action, requestedAt: new Date().toISOString(), pid });
}

/** The pending request, or null (none, or not one omk wrote: ignored). */
export async function readControl(goalDir: string): Promise<ControlRequest | null> {
  try {
    const r = ControlSchema.safeParse(JSON.parse(await readFile(join(goalDir, CONTROL_FILE), "utf8")));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

export async function clearControl(goalDir: string): Promise<void> {
  await rm(join(goalDir, CONTROL_FILE), { force: true });
}

/** Polls for a request every `everyMs`; calls `on` once per distinct action. Returns the stop. */
export function watchControl(
  goalDir: string,
  everyMs: number,
  on: (action: ControlRequest["action"]) => void,
): () => void {
  const seen = new Set<string>();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void readControl(goalDir)
      .then((r) => {
        if (r !== null && !seen.has(r.action)) {
          seen.add(r.action);
          on(r.action);
        }
      })
      .finally(() => {
        busy = false;
      });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
