import { setTimeout as sleep } from "node:timers/promises";
import { OmkError } from "../core/errors.js";
import { runProcess } from "../proc/run-process.js";
import type { ProcResult } from "../proc/types.js";
import {
  type ConfigEntry,
  ConfigGuard,
  configEnv,
  GUARD_CONFIG,
  GUARD_CONFIG_REGEX,
  GUARD_ENV,
  type GuardRead,
} from "./config-guard.js";
import { readGitDirs } from "./dirs.js";

export interface GitRunOptions {
  /** Defaults to the directory the runner was made for. */
  cwd?: string | undefined;
  /** Written to git's stdin (commit messages travel this way, never in argv). */
  input?: string | undefined;
  /** Return a non-zero exit as data instead of throwing GIT_FAILED. */
  allowFail?: boolean | undefined;
  /** Exit codes that are answers rather than failures (e.g. 1 from `merge-base --is-ancestor`). */
  okCodes?: readonly number[] | undefined;
  /** Retry transient lock failures with jittered backoff (default true). Off for multi-step commands. */
  retryOnLock?: boolean | undefined;
  /**
   * Waits before the retry that follows failed attempt `attempt` (0-based) on a transient lock failure.
   * Default: sleeps the jittered backoff (`lockBackoffMs`). Tests pass one to act exactly between attempts.
   */
  lockWait?: ((attempt: number) => Promise<void>) | undefined;
  timeoutMs?: number | undefined;
  maxOutputBytes?: number | undefined;
  /** Extra git environment, e.g. GIT_INDEX_FILE for a private index. */
  env?: Readonly<Record<string, string>> | undefined;
  /** stdout as exact bytes in `raw` (blob contents), not redacted text; see RunOptions.rawStdout. */
  raw?: boolean | undefined;
}

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Only with `raw`: stdout exactly. */
  raw?: Buffer | undefined;
}

export type GitRunner = (args: readonly string[], opts?: GitRunOptions) => Promise<GitResult>;

/** -z lists and long rev lists must never be silently cut: well above any real repo's status/diff listing. */
const DEFAULT_MAX_OUTPUT = 256 * 1024 * 1024;
/** Git never needs this long; a hung credential helper or pinentry must not hang a run forever. */
const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
const LOCK_ATTEMPTS = 7;
const LOCK_BASE_DELAY_MS = 40;

/**
 * Fixed for every call: no prompts (no TTY to answer them), C locale so messages we match on are English,
 * no optional index locks so a read-only `status` never collides with a concurrent writer.
 */
const GIT_ENV: Readonly<Record<string, string>> = {
  GIT_TERMINAL_PROMPT: "0",
  LC_ALL: "C",
  GIT_OPTIONAL_LOCKS: "0",
};

/**
 * The user's own git setup (identity, global config location) is trusted and needed for author identity;
 * repo-redirecting variables such as GIT_DIR / GIT_INDEX_FILE are deliberately absent.
 */
const GIT_PASS_THROUGH: readonly string[] = [
  "XDG_CONFIG_HOME",
  "GIT_CONFIG_GLOBAL",
  "GIT_CONFIG_NOSYSTEM",
  "GIT_AUTHOR_NAME",
  "GIT_AUTHOR_EMAIL",
  "GIT_AUTHOR_DATE",
  "GIT_COMMITTER_NAME",
  "GIT_COMMITTER_EMAIL",
  "GIT_COMMITTER_DATE",
];

/**
 * Lock contention between concurrent omk processes on one repo. Only failures where git gave up before
 * changing anything count: "cannot lock ref 'HEAD': is at X but expected Y" is a lost race, not a busy lock.
 */
export function isTransientLockError(stderr: string): boolean {
  if (/Unable to create '[^']*\.lock'/.test(stderr)) return true;
  if (/could not lock config file/i.test(stderr)) return true;
  if (/cannot lock ref [^\n]*(File exists|Unable to create)/.test(stderr)) return true;
  // A concurrent `worktree add` has created .git/worktrees/<name> but not yet written its files.
  if (/failed to read [^\n]*worktrees\/[^\n]*\/(commondir|gitdir)/.test(stderr)) return true;
  return false;
}

/**
 * Revisions and branch names come from ledgers, configs and callers; one starting with "-" would be read
 * by git as an option (rev-parse has no usable --end-of-options in git 2.39), and NUL/newline cannot be
 * passed faithfully.
 */
export function checkRevArg(value: string, what: string): string {
  if (value === "" || value.startsWith("-") || /[\0\n\r]/.test(value)) {
    throw new OmkError("USAGE", `invalid ${what} ${JSON.stringify(value)}`, {
      hint: `pass a ${what} that does not start with "-" and contains no control characters`,
    });
  }
  return value;
}

/** The subcommand, for messages: the first argument that is neither an option nor a `-c` value. */
export function subcommandOf(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    if (a === "-c" || a === "-C") {
      i++;
      continue;
    }
    if (!a.startsWith("-")) return a;
  }
  return "(none)";
}

function tail(text: string, maxLines = 12, maxChars = 2000): string {
  const lines = text.trimEnd().split("\n");
  const kept = lines.slice(-maxLines).join("\n");
  return kept.length > maxChars ? `…${kept.slice(-maxChars)}` : kept;
}

function hintFor(stderr: string): string {
  if (isTransientLockError(stderr)) {
    return "another git process holds a lock in this repository; retry, or remove the stale .lock file if no git process is running";
  }
  if (/not a git repository/i.test(stderr)) return "run inside a git repository (git init)";
  // What git says when it would have run a program omk's guard emptied (config-guard.ts).
  if (/cannot run : |transport '[^']*' not allowed/.test(stderr)) {
    return "omk never runs programs named in the repository's own git config (a filter, diff or merge driver, gpg, an external diff, a remote transport): the agent can write that config. Define a driver you need in your global git config (~/.gitconfig) instead";
  }
  if (/dubious ownership/i.test(stderr)) {
    return "the repository is owned by another user; see `git config --global --add safe.directory`";
  }
  return "run the same git command in that directory to see the full error";
}

/** GIT_FAILED naming the subcommand, with the (already redacted) stderr tail and a hint matched to it. */
export function gitFailure(args: readonly string[], cwd: string, message: string, stderr: string): OmkError {
  const sub = subcommandOf(args);
  const stderrTail = tail(stderr);
  return new OmkError("GIT_FAILED", `git ${sub} ${message}${stderrTail === "" ? "" : `: ${stderrTail}`}`, {
    hint: hintFor(stderr),
    details: { subcommand: sub, cwd, stderrTail },
  });
}

/** The fixed part alone: what the guard's own reads run with. */
const FIXED_ENV: Readonly<Record<string, string>> = { ...GIT_ENV, ...GUARD_ENV, ...configEnv(GUARD_CONFIG) };
const GUARD_READ_TIMEOUT_MS = 60 * 1000;
const GUARD_READ_MAX_OUTPUT = 16 * 1024 * 1024;

async function readGuard(cwd: string): Promise<GuardRead> {
  const run = (args: readonly string[]) =>
    runProcess(["git", ...args], {
      cwd,
      passThrough: GIT_PASS_THROUGH,
      explicitEnv: FIXED_ENV,
      timeoutMs: GUARD_READ_TIMEOUT_MS,
      maxOutputBytes: GUARD_READ_MAX_OUTPUT,
    });
  const configArgs = ["config", "-z", "--show-scope", "--show-origin", "--get-regexp", GUARD_CONFIG_REGEX];
  const [config, dirs] = await Promise.all([run(configArgs), gitDirsOf(cwd, run)]);
  if (config.failedToStart !== null) {
    throw new OmkError("GIT_FAILED", `could not run git in ${cwd}: ${config.failedToStart}`, {
      hint: "install git (2.38 or newer) and make sure it is on PATH",
      details: { subcommand: "config", cwd },
    });
  }
  // Exit 1: no key matched. Anything else (a config file git cannot parse) would fail the real call too.
  if (config.exitCode !== 0 && config.exitCode !== 1) {
    throw gitFailure(configArgs, cwd, "could not read the repository's config", config.stderr);
  }
  if (config.stdoutBytes > GUARD_READ_MAX_OUTPUT) {
    throw gitFailure(configArgs, cwd, "printed more config than omk reads", "");
  }
  return { config: config.exitCode === 0 ? config.stdout : "", dirs };
}

/** The common git dir and git dir from `cwd`: read from files where readGitDirs can, else by git. */
async function gitDirsOf(
  cwd: string,
  run: (args: readonly string[]) => Promise<ProcResult>,
): Promise<GuardRead["dirs"]> {
  const read = readGitDirs(cwd);
  if (read !== null) return read;
  const r = await run(["rev-parse", "--path-format=absolute", "--git-common-dir", "--git-dir"]);
  const [commonDir, gitDir] = r.stdout.split("\n");
  return r.exitCode === 0 && commonDir && gitDir ? { commonDir, gitDir } : null;
}

const guard = new ConfigGuard(readGuard);

/**
 * Start reading `cwd`'s repository config for the guard now, so the first git call there does not wait
 * for it: a command that knows it will run git in a repository calls this as soon as it knows where.
 */
export function warmGitGuard(cwd: string): void {
  guard.envFor(cwd).catch(() => {});
}

/**
 * Whether `git worktree add` run in `root` may check the new work tree out itself: git reads the
 * same config there as in `root` (no includeIf, no config.worktree to copy), so `root`'s guard holds
 * for the checkout. Otherwise omk adds with --no-checkout and checks out with a call of its own in
 * the new work tree, under the guard read for it.
 */
export function guardCoversNewWorktrees(root: string): Promise<boolean> {
  return guard.coversNewWorktrees(root);
}

/** The config entries the guard read for `cwd` (see ConfigGuard.configFor). */
export function gitGuardConfig(cwd: string): Promise<readonly ConfigEntry[]> {
  return guard.configFor(cwd);
}

/** How many times the per-repository config was read (each read is two git processes); for tests and benchmarks. */
export function gitGuardReads(): number {
  return guard.reads;
}

/**
 * Subcommands that never run an attribute-driven program (a filter, a diff or merge driver): they
 * read or write refs and objects, not work-tree content. The fixed guard (hooks, fsmonitor, gpg,
 * pager, …) still applies to them; only the per-repository driver overrides, which cost a config
 * read of two git processes whenever the cache cannot answer, are left out. Anything not listed
 * (status, diff, add, checkout, read-tree, reset, apply, merge-tree, ls-files, log, worktree, …) gets
 * the full guard.
 */
const DRIVERLESS: ReadonlySet<string> = new Set([
  "rev-parse",
  "symbolic-ref",
  "show-ref",
  "for-each-ref",
  "update-ref",
  "commit-tree",
  "ls-tree",
  "merge-base",
  "config",
]);

const FIXED_GUARD_ENV: Readonly<Record<string, string>> = configEnv(GUARD_CONFIG);

async function runOnce(args: readonly string[], cwd: string, opts: GitRunOptions): Promise<ProcResult> {
  // Only the plain form `git <sub> …`: a leading `-c` or `-C` could change what the command does.
  const guardEnv = DRIVERLESS.has(args[0] ?? "") ? FIXED_GUARD_ENV : await guard.envFor(cwd);
  return runProcess(["git", ...args], {
    cwd,
    passThrough: GIT_PASS_THROUGH,
    // Caller env (GIT_INDEX_FILE, …) first: nothing a caller passes can loosen the guard.
    explicitEnv: { ...GIT_ENV, ...opts.env, ...GUARD_ENV, ...guardEnv },
    ...(opts.input === undefined ? {} : { input: opts.input }),
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxOutputBytes: opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT,
    ...(opts.raw ? { rawStdout: true } : {}),
  });
}

function backoffMs(attempt: number): number {
  // Full jitter keeps a burst of concurrent runs from retrying in lock-step.
  return Math.round(LOCK_BASE_DELAY_MS * 2 ** attempt * (0.5 + Math.random()));
}

const backoff = (attempt: number): Promise<void> => sleep(backoffMs(attempt));

/** A runner bound to one directory. Every git call in omk goes through here (and so through src/proc/). */
export function git(cwd: string): GitRunner {
  return async (args, opts = {}) => {
    const dir = opts.cwd ?? cwd;
    const maxOutput = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const retry = opts.retryOnLock ?? true;
    for (let attempt = 0; ; attempt++) {
      const r = await runOnce(args, dir, opts);
      if (r.failedToStart !== null) {
        throw new OmkError("GIT_FAILED", `could not run git in ${dir}: ${r.failedToStart}`, {
          hint: "install git (2.38 or newer) and make sure it is on PATH",
          details: { subcommand: subcommandOf(args), cwd: dir },
        });
      }
      if (r.timedOut || r.isCanceled) {
        throw gitFailure(args, dir, r.timedOut ? "timed out" : "was cancelled", r.stderr);
      }
      if (r.stdoutBytes > maxOutput) {
        throw gitFailure(args, dir, `wrote more than ${maxOutput} bytes; output would be incomplete`, "");
      }
      const code = r.exitCode ?? -1;
      if (
        code !== 0 &&
        code !== -1 &&
        retry &&
        attempt + 1 < LOCK_ATTEMPTS &&
        isTransientLockError(r.stderr)
      ) {
        await (opts.lockWait ?? backoff)(attempt);
        continue;
      }
      const ok = code === 0 || (opts.okCodes?.includes(code) ?? false);
      if (!ok && !opts.allowFail) {
        const how = r.signal === null ? `failed (exit ${code})` : `was killed by ${r.signal}`;
        throw gitFailure(args, dir, how, r.stderr);
      }
      return { code, stdout: r.stdout, stderr: r.stderr, ...(r.stdoutRaw ? { raw: r.stdoutRaw } : {}) };
    }
  };
}

export { backoffMs as lockBackoffMs, LOCK_ATTEMPTS };
