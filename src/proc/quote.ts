import { redactText } from "../security/redact.js";

const SAFE_ARG = /^[A-Za-z0-9_@%+=:,./-]+$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * For showing a command to a person only (POSIX-shell-style quoting). Never executed: omk
 * passes argv arrays to the OS. Each argument is redacted first, so a token passed on a
 * command line does not reach a terminal or a log through this function.
 */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map((arg) => quoteArg(redactText(arg))).join(" ");
}

function quoteArg(arg: string): string {
  if (arg === "") return "''";
  if (SAFE_ARG.test(arg)) return arg;
  if (CONTROL.test(arg)) return ansiCQuote(arg);
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** $'…' makes newlines and escapes visible instead of letting them move the cursor. */
function ansiCQuote(arg: string): string {
  let out = "";
  for (const ch of arg) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === "\\") out += "\\\\";
    else if (ch === "'") out += "\\'";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `$'${out}'`;
}
