export type GateStatus = "pass" | "fail" | "skip" | "timeout" | "error";

/** What one gate did, as recorded in the ledger and proof. Everything in it is redacted. */
export interface GateEvidence {
  name: string;
  argv: string[];
  /** Relative to the worktree root, as configured. */
  cwd: string;
  required: boolean;
  allowFail: boolean;
  status: GateStatus;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  stdoutBytes: number;
  stderrBytes: number;
  stdoutSha256: string;
  stderrSha256: string;
  /** Redacted last ~4 KiB of stdout and stderr lines, interleaved in arrival order. */
  tail: string;
  error?: string | undefined;
}

export interface GateRunResult {
  /** Every required gate without allow_fail passed (or was skipped), and nothing was cancelled. */
  ok: boolean;
  /** The run was aborted; gates after the aborted one were not run (status skip, error "not run: cancelled"). */
  cancelled: boolean;
  gates: GateEvidence[];
}

/** sha256 of no bytes: the hash of a stream that was never written. */
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export function gateCounts(e: GateEvidence): boolean {
  return e.required && !e.allowFail;
}

/** ok is a pure function of the evidence, so a proof reader can recompute it. */
export function gatesOk(evidence: readonly GateEvidence[]): boolean {
  return evidence.every((e) => !gateCounts(e) || e.status === "pass" || e.status === "skip");
}
