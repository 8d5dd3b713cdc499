export type ParentEnv = Readonly<Record<string, string | undefined>>;

export interface RunOptions {
  cwd: string;
  /** Parent env to sanitize (default process.env). The child gets sanitizeEnv(parentEnv, {passThrough, explicit}). */
  parentEnv?: ParentEnv | undefined;
  passThrough?: readonly string[] | undefined;
  explicitEnv?: Readonly<Record<string, string>> | undefined;
  /** stdin; otherwise stdin is ignored. */
  input?: string | undefined;
  /** Then SIGTERM to the whole process group, graceMs later SIGKILL to the group. */
  timeoutMs?: number | undefined;
  /** Default: KNOBS.killGraceMs. */
  graceMs?: number | undefined;
  /** Per stream, cap on what is KEPT (tail); counting and hashing cover everything. Default: KNOBS.outputCapBytes. */
  maxOutputBytes?: number | undefined;
  /** Abort → same group kill, result.isCanceled. */
  signal?: AbortSignal | undefined;
  /** Redacted lines, for live progress. */
  onStdoutLine?: ((line: string) => void) | undefined;
  onStderrLine?: ((line: string) => void) | undefined;
  /** Env sanitizer and knob warnings (secret-like explicit keys, invalid OMK_* values). */
  onWarning?: ((message: string) => void) | undefined;
  /** Told the child's process group synchronously, right after spawn (see ProcessContext). */
  onGroupStarted?: ((pgid: number) => void) | undefined;
  /** When set, result.combinedTail holds the last this-many bytes of stdout+stderr, interleaved by line. */
  combinedTailBytes?: number | undefined;
  /**
   * Keep stdout as the exact bytes the child wrote (result.stdoutRaw, up to maxOutputBytes; stdout
   * is then "" and stdoutSha256 hashes the raw bytes). Only for content that must arrive unaltered,
   * such as git blobs omk parses or hashes; whoever asks must never persist or print it as is.
   */
  rawStdout?: boolean | undefined;
}

export interface ProcResult extends ExitInfo {
  /** As given (for display use quoteArgv). */
  argv: readonly string[];
  cwd: string;
  pid: number | undefined;
  /** REDACTED, tail-capped at maxOutputBytes; a marker line notes truncation. */
  stdout: string;
  stderr: string;
  /** Total bytes the child wrote. */
  stdoutBytes: number;
  stderrBytes: number;
  /** sha256 of the full REDACTED stream (never hash raw secrets). */
  stdoutSha256: string;
  stderrSha256: string;
  /** Only with options.combinedTailBytes: redacted stdout and stderr lines in arrival order, tail-capped. */
  combinedTail?: string | undefined;
  /** Only with options.rawStdout: stdout exactly, unless it passed maxOutputBytes (then stdoutBytes says so). */
  stdoutRaw?: Buffer | undefined;
}

export interface ExitInfo {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** options.signal aborted before the process ended. */
  isCanceled: boolean;
  durationMs: number;
  /** Why the process never ran (redacted), or null when it did. */
  failedToStart: string | null;
}

/** Long-lived child for line protocols (agents speaking JSON-RPC on stdio). Same env/group/kill rules. */
export interface ProcessHandle {
  readonly pid: number | undefined;
  /**
   * Raw stdout lines (NOT redacted: protocol frames must parse; callers redact before persisting).
   * LF-framed, handles partial chunks and \r\n. One consumer: a second call throws.
   */
  lines(): AsyncIterable<string>;
  /** Redacted, capped. */
  stderrTail(): string;
  /** Appends "\n"; rejects if stdin closed. */
  write(line: string): Promise<void>;
  endInput(): void;
  /** SIGTERM the group, SIGKILL after grace; idempotent. Resolves once the group is gone. */
  kill(reason?: string): Promise<void>;
  readonly exited: Promise<ExitInfo>;
}

export type SpawnOptions = Omit<RunOptions, "input" | "onStdoutLine" | "maxOutputBytes"> & {
  /** Cap on the kept stderr tail. Default: KNOBS.outputCapBytes. */
  stderrCapBytes?: number | undefined;
  /** The whole of stdin, written at start and closed (write() then rejects); without it stdin stays open for write(). */
  input?: string | undefined;
};
