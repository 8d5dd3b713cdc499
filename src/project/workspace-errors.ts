/**
 * What a failed setup command said about why, for the one line a person reads: the tool's own error
 * lines, not its tail. npm ends a usage error with its option list and aliases, so the tail of
 * `npm ci` without a lockfile shows `aliases: clean-install, ic, …` and hides "can only install with
 * an existing package-lock.json".
 */

/** Error prefixes of common installers and build tools (npm, yarn, pnpm, pip, cargo, uv, git, …). */
const ERROR_LINE =
  /^\s*(?:npm (?:error|ERR!)|yarn(?:pkg)? error|error(?:\[\w+\])?[:\s]|ERROR[:\s]|\S*ERR_PNPM_\w+|(?:[A-Z]\w*)?Error:|fatal:|E:\s|panic:)/;
/** The npm-style prefix that every line of a block carries, stripped to find the block's structure. */
const BLOCK_PREFIX = /^\s*(?:npm (?:error|ERR!)|yarn(?:pkg)? error)\s?/;
/** Where npm's usage dump starts: everything from here on is help text, not the error. */
const USAGE_START = /^(?:Usage:|Options:|aliases:|Run "npm help)/;

const MAX_LINES = 6;
const MAX_LINE_CHARS = 240;

/** The error lines of `text` (at most six), or null when it has none that look like errors. */
export function toolErrorLines(text: string): string | null {
  const picked: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    if (!ERROR_LINE.test(raw)) continue;
    const body = raw.replace(BLOCK_PREFIX, "").trim();
    if (USAGE_START.test(body)) break;
    // A bare "npm error" separates paragraphs; "A complete log …" points at a file, not the cause.
    if (body === "" || /^A complete log of this run can be found in/.test(body)) continue;
    picked.push(raw.trim().slice(0, MAX_LINE_CHARS));
    if (picked.length === MAX_LINES) break;
  }
  return picked.length > 0 ? picked.join("\n") : null;
}

/** The last `n` lines of `text`: what is left to show when nothing looks like an error. */
export function lastLines(text: string, n = 5): string {
  return text.trimEnd().split("\n").slice(-n).join("\n");
}

/** What to report for a failed setup step: its error lines, else its stderr's (or stdout's) tail. */
export function setupFailureDetail(stderr: string, stdout: string): string {
  return toolErrorLines(stderr) ?? toolErrorLines(stdout) ?? lastLines(stderr || stdout);
}
