import { open } from "node:fs/promises";
import { OmkError } from "../../core/errors.js";
import { pathExists } from "../../core/fs.js";
import { writePrivateFile } from "../private-fs.js";

/** `2024-05-01T12:00:00.123Z` → `20240501T120000123Z`: sortable and safe in a file name. */
function stamp(now: Date): string {
  return now.toISOString().replace(/[-:.]/g, "");
}

/**
 * Moves the bytes after the last complete line into `<events>.torn-<timestamp>` (private) and truncates
 * the ledger to its last complete line. The torn bytes were never acknowledged (acknowledgement follows
 * fsync), so nothing acknowledged is lost; they are kept for the curious, not replayed.
 * Order matters: the copy is durable before the truncate, so a crash in between loses nothing either.
 */
export async function quarantineTornTail(
  eventsPath: string,
  bytes: Uint8Array,
  completeBytes: number,
  now: Date,
): Promise<string> {
  let target = `${eventsPath}.torn-${stamp(now)}`;
  for (let n = 1; await pathExists(target); n++) target = `${eventsPath}.torn-${stamp(now)}-${n}`;
  await writePrivateFile(target, bytes.subarray(completeBytes));

  try {
    const handle = await open(eventsPath, "r+");
    try {
      await handle.truncate(completeBytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (cause) {
    throw new OmkError("IO_FAILED", `Cannot truncate torn tail of ${eventsPath}`, { cause });
  }
  return target;
}
