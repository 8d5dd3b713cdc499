import { OmkError } from "../core/errors.js";
import { assertArgv, childEnv, graceMsFor, outputCapFor, timeoutMsFor } from "./child-setup.js";
import { LineQueue } from "./line-queue.js";
import { LineSplitter } from "./line-splitter.js";
import { OutputCapture } from "./output-capture.js";
import { Supervisor } from "./supervisor.js";
import type { ExitInfo, ProcessHandle, SpawnOptions } from "./types.js";

/**
 * Starts a long-lived child for a line protocol on stdio. stdout lines are handed over raw
 * because protocol frames must parse byte for byte; the agent layer redacts what it persists.
 * stderr is diagnostic only, so it is redacted and tail-capped here.
 */
export function spawnProcess(argv: readonly string[], options: SpawnOptions): ProcessHandle {
  assertArgv(argv);
  const supervisor = new Supervisor({
    argv,
    cwd: options.cwd,
    env: childEnv(options),
    stdin: options.input === undefined ? "pipe" : { input: options.input },
    timeoutMs: timeoutMsFor(options.timeoutMs),
    graceMs: graceMsFor(options),
    signal: options.signal,
    onGroupStarted: options.onGroupStarted,
  });
  const { stdin, stdout, stderr } = supervisor.subprocess;
  const stderrCapture = new OutputCapture(
    outputCapFor(options.stderrCapBytes, options.onWarning),
    options.onStderrLine,
  );
  stderr?.on("data", (chunk: Uint8Array | string) => stderrCapture.push(chunk));

  const queue = new LineQueue();
  const decoder = new TextDecoder("utf-8");
  const splitter = new LineSplitter((line) => queue.push(line));
  stdout?.on("data", (chunk: Uint8Array | string) => {
    splitter.push(typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }));
  });
  let stdoutClosed = false;
  const closeLines = (): void => {
    if (stdoutClosed) return;
    stdoutClosed = true;
    splitter.push(decoder.decode());
    splitter.flush();
    queue.end();
  };
  stdout?.once("close", closeLines);

  let stdinError: Error | undefined;
  stdin?.on("error", (error: Error) => {
    stdinError ??= error;
  });

  const exited: Promise<ExitInfo> = supervisor.done.then((outcome) => {
    closeLines();
    stderrCapture.finish();
    return {
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      timedOut: outcome.timedOut,
      isCanceled: outcome.isCanceled,
      durationMs: outcome.durationMs,
      failedToStart: outcome.failedToStart,
    };
  });

  const command = argv[0] as string;
  return {
    pid: supervisor.pid,
    exited,
    lines: () => queue,
    stderrTail: () => stderrCapture.peek(),
    write(line: string): Promise<void> {
      if (line.includes("\n")) {
        return Promise.reject(new OmkError("INTERNAL", "A protocol line must not contain a newline."));
      }
      if (stdin === null || stdin === undefined || stdin.destroyed || stdin.writableEnded) {
        return Promise.reject(stdinClosed(command, stdinError));
      }
      return new Promise((resolve, reject) => {
        stdin.write(`${line}\n`, (error) => {
          if (error === null || error === undefined) resolve();
          else reject(stdinClosed(command, error));
        });
      });
    },
    endInput(): void {
      if (stdin !== null && stdin !== undefined && !stdin.destroyed && !stdin.writableEnded) stdin.end();
    },
    async kill(_reason?: string): Promise<void> {
      supervisor.terminate();
      await exited;
    },
  };
}

function stdinClosed(command: string, cause: Error | undefined): OmkError {
  return new OmkError("IO_FAILED", `Cannot write to ${command}: its stdin is closed.`, {
    hint: "The process has exited or closed its input; check exited and stderrTail().",
    ...(cause === undefined ? {} : { cause }),
  });
}
