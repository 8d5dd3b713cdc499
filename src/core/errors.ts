import { ExitCode, type ExitCodeValue } from "./exit-codes.js";

/**
 * Stable error codes. A code never changes meaning once shipped: scripts match on it.
 * Keep the list sorted within each group.
 */
const ErrorCodes = {
  // usage / config (exit 2)
  USAGE: ExitCode.usage,
  CONFIG_INVALID: ExitCode.usage,
  NOT_A_GIT_REPO: ExitCode.usage,
  UNKNOWN_GATE: ExitCode.usage,
  UNSAFE_PATH: ExitCode.usage,
  DIRTY_TREE: ExitCode.usage,
  RUN_NOT_FOUND: ExitCode.usage,
  GOAL_NOT_FOUND: ExitCode.usage,
  PLAN_INVALID: ExitCode.usage,
  SANDBOX_UNAVAILABLE: ExitCode.usage,
  // runtime (exit 1)
  GATE_FAILED: ExitCode.failure,
  LEDGER_CORRUPT: ExitCode.failure,
  LEDGER_LOCKED: ExitCode.failure,
  LEDGER_UNSUPPORTED: ExitCode.failure,
  SPAWN_FAILED: ExitCode.failure,
  GIT_FAILED: ExitCode.failure,
  AGENT_FAILED: ExitCode.failure,
  AGENT_NOT_FOUND: ExitCode.failure,
  AGENT_PROTOCOL: ExitCode.failure,
  PROOF_INVALID: ExitCode.failure,
  LAND_REFUSED: ExitCode.failure,
  IO_FAILED: ExitCode.failure,
  SLOTS_BUSY: ExitCode.failure,
  INTERNAL: ExitCode.failure,
  // interrupt (exit 130)
  INTERRUPTED: ExitCode.interrupted,
} as const satisfies Record<string, ExitCodeValue>;

export type ErrorCode = keyof typeof ErrorCodes;

export interface OmkErrorOptions {
  /** What the user should do next. Shown under the message. */
  hint?: string;
  /** Overrides the code's default exit code (rarely needed). */
  exitCode?: ExitCodeValue;
  /** Structured, already-redacted context for `--json` output. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class OmkError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: OmkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "OmkError";
    this.code = code;
    this.exitCode = options.exitCode ?? ErrorCodes[code];
    this.hint = options.hint;
    this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      exitCode: this.exitCode,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

export function isOmkError(value: unknown): value is OmkError {
  return value instanceof OmkError;
}
