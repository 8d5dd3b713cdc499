import { rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { OmkError } from "../../core/errors.js";
import { pathExists } from "../../core/fs.js";
import { applyPatch } from "../../git/patch.js";
import { discardChanges } from "../../git/repo.js";
import { ensurePrivateDir, writePrivateJson } from "../../store/private-fs.js";
import type {
  AdapterCreateContext,
  AgentAdapter,
  AgentHealth,
  AgentSession,
  AgentStartContext,
  TurnResult,
} from "../types.js";
import { loadRecording, parseRecording, type Recording } from "./recording.js";

/** Where a replay run keeps the recording it plays, so a resume plays the same one. */
const REPLAY_SOURCE_FILE = "replay-source.json";

/**
 * The `replay` agent: re-applies a recorded run's patches attempt by attempt. Deterministic and
 * model-free, which is what makes `npm run demo` and `omk proof verify` reproducible offline.
 * `source` is a recording file or a run id; a run's recording is kept in the new run's directory.
 */
export async function createReplayAdapter(source: string, ctx: AdapterCreateContext): Promise<AgentAdapter> {
  const kept = join(ctx.runDir, REPLAY_SOURCE_FILE);
  const useKept = !ctx.fresh && (await pathExists(kept));
  const file = useKept ? kept : (await pathExists(source)) ? source : null;
  if (file === null && looksLikeFile(source)) {
    throw new OmkError("USAGE", `no such recording file: ${source}`, {
      hint: "write one with `omk run export <run> -o FILE`, or pass --agent replay:<run-id>",
    });
  }
  // Loaded now, so a bad recording or an unknown run fails with its own error before any work.
  const rec =
    file === null ? parseRecording(await ctx.recordingOfRun(source), source) : await loadRecording(file);
  // A replaced agent's recording is not this one's: a later resume must not play it.
  if (ctx.fresh) await rm(kept, { force: true });
  return {
    name: "replay",
    async detect(): Promise<AgentHealth> {
      return {
        adapter: "replay",
        installed: { value: true, how: "built in" },
        version: { value: rec.schema, how: file === null ? `recording of run ${source}` : `read ${file}` },
        auth: { value: "ok", how: "no model needed" },
        model: { value: null, how: "no model needed" },
        quota: { value: null, how: "no model needed" },
      };
    },
    async start(startCtx: AgentStartContext): Promise<AgentSession> {
      if (file === null && !(await pathExists(kept))) {
        await ensurePrivateDir(ctx.runDir);
        await writePrivateJson(kept, rec);
      }
      return new ReplaySession(rec, startCtx);
    },
  };
}

/** A source that names a file (as the descriptor normalises it), not a run id. */
function looksLikeFile(source: string): boolean {
  return source.includes("/") || source.endsWith(".json");
}

class ReplaySession implements AgentSession {
  readonly version = null;
  readonly sessionPid = null;

  constructor(
    private readonly rec: Recording,
    private readonly ctx: AgentStartContext,
  ) {}

  async prompt(_text: string, attempt: number): Promise<TurnResult> {
    if (this.ctx.signal?.aborted)
      return { status: "cancelled", detail: "interrupted before replay", steps: 0 };
    // Past the end of the recording the last state is replayed again: the recorded agent had nothing more.
    const step =
      this.rec.attempts.find((a) => a.attempt === attempt) ??
      this.rec.attempts[this.rec.attempts.length - 1]!;
    const wt = this.ctx.worktree;
    await discardChanges(wt);
    if (step.say) this.ctx.onEvent({ type: "text", text: step.say });
    if (step.patch.length > 0) {
      // Beside the worktree, not in it, so the patch file never shows up in the run's diff.
      const patchFile = join(dirname(wt), `${this.ctx.runId}.replay.patch`);
      await writeFile(patchFile, step.patch, { mode: 0o600 });
      try {
        this.ctx.onEvent({
          type: "tool_call",
          id: `replay-${attempt}`,
          name: "ApplyPatch",
          summary: `recorded attempt ${step.attempt}`,
        });
        await applyPatch(wt, patchFile);
      } finally {
        await rm(patchFile, { force: true });
      }
      this.ctx.onEvent({
        type: "tool_result",
        id: `replay-${attempt}`,
        isError: false,
        summary: "patch applied",
        diffPaths: [],
      });
    }
    return { status: "finished", detail: `replayed recorded attempt ${step.attempt}`, steps: 1 };
  }

  async interrupt(): Promise<void> {}

  async close(): Promise<void> {}
}
