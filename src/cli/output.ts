import { stripVTControlCharacters } from "node:util";

/**
 * The one place that writes to the terminal. Human text goes to stderr, the single
 * machine-readable document (`--json`) to stdout, so `omk … --json | jq` always works.
 */
export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  color: boolean;
  isTTY: boolean;
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;
export type Color = keyof typeof CODES;

export class Output {
  readonly opts: OutputOptions;
  private jsonWritten = false;

  constructor(opts: OutputOptions) {
    this.opts = opts;
  }

  static fromEnv(flags: { json?: boolean; quiet?: boolean; verbose?: boolean; color?: boolean }): Output {
    const env = process.env;
    const noColor = env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "";
    const isTTY = Boolean(process.stderr.isTTY);
    const forced = env["FORCE_COLOR"] !== undefined && env["FORCE_COLOR"] !== "0";
    return new Output({
      json: flags.json === true,
      quiet: flags.quiet === true,
      verbose: flags.verbose === true,
      color: flags.color !== false && !noColor && (isTTY || forced),
      isTTY,
    });
  }

  paint(color: Color, text: string): string {
    return this.opts.color ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text;
  }

  /** Normal progress and results; silenced by --quiet. */
  info(line: string): void {
    if (!this.opts.quiet) this.err(line);
  }

  /** Detail only shown with --verbose. */
  debug(line: string): void {
    if (this.opts.verbose && !this.opts.quiet) this.err(this.paint("gray", line));
  }

  /** Warnings survive --quiet: they are about something the user should fix. */
  warn(line: string): void {
    this.err(`${this.paint("yellow", "warning:")} ${line}`);
  }

  error(line: string): void {
    this.err(`${this.paint("red", "error:")} ${line}`);
  }

  /** Exactly one JSON document per command on stdout. */
  json(doc: unknown): void {
    if (this.jsonWritten) throw new Error("internal: a command wrote two JSON documents");
    this.jsonWritten = true;
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  }

  /** An unconditional stderr line (error context that must survive --quiet). */
  raw(line: string): void {
    this.err(line);
  }

  get wroteJson(): boolean {
    return this.jsonWritten;
  }

  private err(line: string): void {
    process.stderr.write(`${this.opts.color ? line : stripVTControlCharacters(line)}\n`);
  }
}
