import { rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { applyPatch, git } from "../../git/index.js";
import type { AgentAdapter, AgentHealth, AgentSession, AgentStartContext, TurnResult } from "../types.js";
import { loadRecording, type Recording } from "./recording.js";

/**
 * The `replay` agent: re-applies a recorded run's patches attempt by attempt. Deterministic and
 * model-free, which is what makes `npm run demo` and `omk proof verify` reproducible offline.
 * `source` is resolved (run id → recording) by the caller; here it is always a file.
 */
export function replayAdapter(recordingFile: string): AgentAdapter {
  return {
    name: "replay",
    async detect(): Promise<AgentHealth> {
      const rec = await loadRecording(recordingFile);
      const how = `read ${recordingFile}`;
      return {
        adapter: "replay",
        installed: { value: true, how: "built in" },
        version: { value: rec.schema, how },
        auth: { value: "ok", how: "no model needed" },
        model: { value: null, how: "no model needed" },
        quota: { value: null, how: "no model needed" },
      };
    },
    async start(ctx: AgentStartContext): Promise<AgentSession> {
      const rec = await loadRecording(recordingFile);
      return new ReplaySession(rec, ctx);
    },
  };
}

class ReplaySession implements AgentSession {
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
    const g = git(wt);
    await g(["reset", "-q", "--hard", "HEAD"]);
    await g(["clean", "-q", "-f", "-d"]);
    if (step.say) this.ctx.onEvent({ type: "text", text: step.say });
    if (step.patch.length > 0) {
      // Beside the worktree, not in it, so the patch file never shows up in the run's diff.
      const file = join(dirname(wt), `${this.ctx.runId}.replay.patch`);
      await writeFile(file, step.patch, { mode: 0o600 });
      try {
        this.ctx.onEvent({
          type: "tool_call",
          id: `replay-${attempt}`,
          name: "ApplyPatch",
          summary: `recorded attempt ${step.attempt}`,
        });
        await applyPatch(wt, file);
      } finally {
        await rm(file, { force: true });
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
