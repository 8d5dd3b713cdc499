import { stripVTControlCharacters } from "node:util";

/**
 * The one place that writes to the terminal. A command's result (a table, `run show`, `proof show`, a
 * diff) goes to stdout, so `omk run list | grep ready` works; progress, warnings and errors go to
 * stderr. With `--json` stdout holds exactly one JSON document (`omk … --json | jq` always works) and
 * the human result text moves to stderr.
 */
export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  color: boolean;
  isTTY: boolean;
  /** Whether stdout is a terminal: colour on stdout only then. */
  stdoutTTY?: boolean;
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
      stdoutTTY: Boolean(process.stdout.isTTY),
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
    writeOut(`${JSON.stringify(doc, null, 2)}\n`);
  }

  /**
   * One line of the command's result: stdout (not silenced by --quiet: it is what was asked for). With
   * --json the JSON document is the result, and this line is human text on stderr like any other.
   */
  result(line: string): void {
    if (this.opts.json) {
      this.info(line);
      return;
    }
    writeOut(`${this.opts.color && this.opts.stdoutTTY ? line : stripVTControlCharacters(line)}\n`);
  }

  /** Raw result bytes (a patch, a markdown document) on stdout, exactly as given. */
  resultRaw(text: string): void {
    writeOut(text);
  }

  /** An unconditional stderr line (error context that must survive --quiet). */
  raw(line: string): void {
    this.err(line);
  }

  get wroteJson(): boolean {
    return this.jsonWritten;
  }

  private err(line: string): void {
    writeErr(`${this.opts.color ? line : stripVTControlCharacters(line)}\n`);
  }
}

/**
 * A reader that went away (`omk run list | head -1`) closes the pipe: writing on is pointless, and an
 * EPIPE must end nothing but the output — never print a stack trace or abort a run mid-step.
 */
const closed = { stdout: false, stderr: false };

export function writeOut(text: string): void {
  if (!closed.stdout) process.stdout.write(text);
}

export function writeErr(text: string): void {
  if (!closed.stderr) process.stderr.write(text);
}

/** Installed once by main: a closed stdout or stderr is noted and further writes to it are dropped. */
export function ignoreClosedPipes(): void {
  for (const name of ["stdout", "stderr"] as const) {
    process[name].on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED") {
        closed[name] = true;
        return;
      }
      throw err;
    });
  }
}
