import { ExitCode } from "../../core/exit-codes.js";
import type { RunJournalEvent } from "../../journal/events.js";
import type { AskFn } from "../../policy/approval.js";
import type { RunCommonOptions, RunOutcome } from "../../run/start.js";
import { type Output, writeErr } from "../output.js";

// Driving a started or resumed run from the terminal: interrupts, the ask prompt, progress, the verdict.

/** What a start and a resume share: the interrupt signal, the policy's ask and the progress view. */
export async function withRun(
  out: Output,
  go: (common: RunCommonOptions) => Promise<RunOutcome>,
): Promise<void> {
  const { RunProgress } = await import("../../report/progress.js");
  const { interruptController } = await import("../interrupt.js");
  const { terminalAsk } = await import("../ask.js");
  const isTTY = out.opts.isTTY && !out.opts.quiet;
  const progress = new RunProgress({
    line: (t) => out.info(t),
    status: isTTY ? (t) => writeErr(`\r\u001b[2K${t}`) : undefined,
  });
  const terminal = terminalAsk();
  const ask: AskFn | null =
    terminal === null
      ? null
      : async (req) => {
          progress.pause();
          try {
            return await terminal(req);
          } finally {
            progress.resume();
          }
        };
  const warnNoTerminal = noTerminalWarning(out, ask === null);
  const warnUnconfined = unconfinedWarning(out);
  const intr = interruptController(out);
  try {
    const r = await go({
      cwd: process.cwd(),
      parentEnv: process.env,
      signal: intr.signal,
      ask,
      onEvent: (e) => {
        warnNoTerminal(e);
        warnUnconfined(e);
        progress.onEvent(e);
      },
    });
    progress.stop();
    const { acceptOutsideCommand, moreAttemptsCommand } = await import("../../run/reopen.js");
    report(out, r, { more: moreAttemptsCommand, accept: acceptOutsideCommand });
  } finally {
    progress.stop();
    intr.dispose();
  }
}

/**
 * `--execution ask` with nobody to ask fails closed; say so once (when the run starts, or at the first
 * rejection of a resumed run) with what to do instead, not only as one progress line per rejected call.
 */
function noTerminalWarning(out: Output, noTerminal: boolean): (e: RunJournalEvent) => void {
  let warned = !noTerminal;
  return (e) => {
    const ask =
      (e.kind === "RunStarted" && e.data.execution === "ask") ||
      (e.kind === "ApprovalDecided" && e.data.mode === "ask");
    if (warned || !ask) return;
    warned = true;
    out.warn(
      "--execution ask needs a terminal to ask on, and there is none (stdin or stderr is not a TTY): every write and shell tool call will be rejected. Use --execution auto to approve tool calls inside the worktree, or --execution never for a read-only run.",
    );
  };
}

/** `--sandbox auto` on a machine where bwrap does not work: said once, with why and what to do. */
function unconfinedWarning(out: Output): (e: RunJournalEvent) => void {
  let warned = false;
  return (e) => {
    if (warned || e.kind !== "Confinement" || e.data.mode !== "none" || e.data.requested !== "auto") return;
    warned = true;
    out.warn(
      `this run is NOT confined: ${e.data.reason ?? "no sandbox"}. The agent and the gates run with your uid and can read and write what you can. \`omk sandbox check\` says why; --sandbox required refuses to run unconfined, --sandbox off says you mean it.`,
    );
  };
}

type NextStep = (s: RunOutcome["state"]) => string | null;

function report(out: Output, r: RunOutcome, next: { more: NextStep; accept: NextStep }): void {
  const s = r.state;
  const status = r.interrupted ? "interrupted" : (s.finished?.status ?? "unfinished");
  if (out.opts.json) {
    out.json({
      runId: s.runId,
      status,
      reasons: s.finished?.reasons ?? [],
      branch: s.branch,
      worktree: s.worktree,
      baseCommit: s.base,
      headCommit: s.finished?.headCommit ?? null,
      proofPath: s.proofWritten ? r.loc.proofFile : null,
      attempts: s.attempts.length,
      usage: s.usage,
    });
  }
  if (r.interrupted) {
    out.info(out.paint("yellow", `run ${s.runId} interrupted; continue with: omk run resume ${s.runId}`));
    process.exitCode = ExitCode.interrupted;
    return;
  }
  const color = status === "ready" ? "green" : status === "blocked" ? "red" : "yellow";
  out.info(out.paint(color, `run ${s.runId}: ${status}`));
  for (const reason of s.finished?.reasons ?? []) out.info(`  ${reason}`);
  if (s.proofWritten) out.info(`proof: ${r.loc.proofFile}`);
  if (status === "ready") out.info(`next: omk land ${s.runId}`);
  const again = status === "not_ready" ? next.more(s) : null;
  if (again !== null) out.info(`more attempts: ${again}`);
  const accept = status === "blocked" ? next.accept(s) : null;
  if (accept !== null)
    out.info(
      `if you made these changes yourself (a git fetch, a commit or an edit in your checkout): ${accept}`,
    );
  process.exitCode = status === "ready" ? ExitCode.ok : ExitCode.failure;
}
