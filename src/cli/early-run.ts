/**
 * `omk run <task>` is judged from argv before commander and the CLI load (~60–80 ms of the main thread
 * on the benchmark VM), so that git can start on the repository, and on the run's worktree, at once.
 * Only argv that certainly starts a run from HEAD counts; anything else (a subcommand, help, `--base`,
 * a single word that may be a mistyped subcommand) waits for the CLI as before. Whatever such an early
 * start checked out and no run took over is removed when the command ends (`discardEarlyWorktrees`).
 */

/** The subcommands of `omk run` that do not start a run (a unit test keeps this list in step with the CLI's). */
export const RUN_SUBCOMMANDS_NOT_STARTING: readonly string[] = [
  "list",
  "show",
  "diff",
  "rm",
  "logs",
  "resume",
  "export",
  "help",
];

const NOT_A_START = new Set(["-h", "--help", "-V", "--version", "--base"]);

/** `args` are the words after `omk`. */
export function startsRunFromHead(args: readonly string[]): boolean {
  if (args[0] !== "run") return false;
  const rest = args.slice(1);
  const first = rest[0];
  if (first === undefined || RUN_SUBCOMMANDS_NOT_STARTING.includes(first)) return false;
  // One word: a subcommand, a typo of one (refused), or a one-word task; not worth a checkout. A
  // quoted task with spaces in it is one argument too, and the usual way to give one.
  if (rest.length === 1 && !/\s/.test(first)) return false;
  if (first === "start" && rest.length === 1) return false;
  return !rest.some((a) => NOT_A_START.has(a) || a.startsWith("--base="));
}
