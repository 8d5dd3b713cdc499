import { join } from "node:path";
import type { ProjectLocation } from "../project/locate.js";
import { redactValue } from "../security/redact.js";
import { projectStateDir } from "../store/paths.js";
import { writePrivateJson } from "../store/private-fs.js";

/**
 * One consultation as recorded in `<state>/projects/<project-id>/asks/<ask-id>.json` (0600, written
 * atomically): what was asked of whom, with which run as context, and what came back — redacted.
 * The run's diff itself is not copied: its sha256 and size name it.
 */
export interface AskRecord {
  schema: "omk.ask/v1";
  id: string;
  provider: string;
  /** The policy that picked the provider (`authority`, `primary`, `omk`), or null when named. */
  via: string | null;
  mode: "api" | "cli";
  model: string | null;
  question: string;
  run: {
    runId: string;
    commit: string;
    diff: { source: string; bytes: number; sentBytes: number; sha256: string | null; files: number };
    gates: { name: string; status: string }[];
  } | null;
  status: "answered" | "failed";
  answer: string | null;
  error: { code: string; message: string } | null;
  usage: { inputTokens: number | null; outputTokens: number | null; costUsd: number | null } | null;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  omkVersion: string;
}

export function asksDir(p: ProjectLocation): string {
  return join(projectStateDir(p.dirs, p.projectId), "asks");
}

export async function writeAskRecord(p: ProjectLocation, record: AskRecord): Promise<string> {
  const file = join(asksDir(p), `${record.id}.json`);
  await writePrivateJson(file, redactValue(record));
  return file;
}
