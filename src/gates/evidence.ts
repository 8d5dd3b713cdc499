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
  /**
   * Failing tests named in the last FAILURE_WINDOW of the redacted output (a much longer stretch than
   * `tail`: stack traces push the first failures out of 4 KiB), cut to fixed sizes. Absent when the
   * output names none, and in ledgers written before omk kept it.
   */
  failures?: GateFailures | undefined;
  error?: string | undefined;
}

export interface GateFailures {
  format: string;
  /** How many failing tests the output named; `tests` holds the first few. */
  total: number;
  tests: { name: string; location: string | null; message: string }[];
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

/** The fields the verdict on a gate needs; recorded gates (ledger, proof) carry them too. */
export interface GateVerdictFields {
  name: string;
  status: string;
  required: boolean;
  allowFail: boolean;
}

/**
 * The one rule for "this gate failed the change": it counts (required, not allow_fail) and it did
 * not pass or skip. Run status, feedback, land and proof verification all decide with it.
 */
export function gateFailed(g: GateVerdictFields): boolean {
  return g.required && !g.allowFail && g.status !== "pass" && g.status !== "skip";
}

export function failingGates<G extends GateVerdictFields>(gates: readonly G[]): G[] {
  return gates.filter(gateFailed);
}

/** ok is a pure function of the evidence, so a proof reader can recompute it. */
export function gatesOk(gates: readonly GateVerdictFields[]): boolean {
  return !gates.some(gateFailed);
}
