import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { OmkError } from "../../core/errors.js";

/**
 * A recording: the cumulative change after each attempt, as a binary git patch against the run's
 * base. Cumulative (not incremental) so replaying attempt N never depends on what a crashed or
 * interrupted attempt left behind.
 */
const RecordingSchema = z
  .object({
    schema: z.literal("omk.recording/v1"),
    task: z.string(),
    source: z.object({ runId: z.string().optional(), base: z.string().optional() }).strict().default({}),
    attempts: z
      .array(
        z
          .object({
            attempt: z.number().int().min(1),
            say: z.string().optional(),
            patch: z.string(),
            sha256: z.string().regex(/^[0-9a-f]{64}$/),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

export type Recording = z.infer<typeof RecordingSchema>;

export function sha256Hex(text: string | Uint8Array): string {
  return createHash("sha256").update(text).digest("hex");
}

export async function loadRecording(file: string): Promise<Recording> {
  let raw: string;
  try {
    raw = await readFile(file, "utf8");
  } catch (err) {
    throw new OmkError("USAGE", `cannot read recording ${file}: ${(err as Error).message}`, {
      hint: "pass --agent replay:<run-id> or replay:<path to a file written by `omk run export`>",
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new OmkError("CONFIG_INVALID", `recording ${file} is not JSON: ${(err as Error).message}`, {
      hint: "re-create it with `omk run export <run> -o FILE`",
    });
  }
  return parseRecording(json, file);
}

/** Validates a recording (untrusted: a file anyone may have written); `file` names it in errors. */
export function parseRecording(json: unknown, file: string): Recording {
  const parsed = RecordingSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new OmkError(
      "CONFIG_INVALID",
      `recording ${file} is invalid at ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
      {
        hint: "re-create it with `omk run export <run> -o FILE`",
      },
    );
  }
  for (const a of parsed.data.attempts) {
    if (sha256Hex(a.patch) !== a.sha256) {
      throw new OmkError(
        "CONFIG_INVALID",
        `recording ${file}: attempt ${a.attempt} patch does not match its sha256`,
        {
          hint: "the recording was edited or corrupted; re-export it",
        },
      );
    }
  }
  return parsed.data;
}
