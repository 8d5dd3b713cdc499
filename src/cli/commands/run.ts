import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { agentSpecForms, checkAgentFlags, parseAgentSpec } from "../../agents/registry.js";
import { OmkError } from "../../core/errors.js";
import { ExitCode } from "../../core/exit-codes.js";
import type { RunJournalEvent } from "../../journal/events.js";
import type { AskFn } from "../../policy/approval.js";
import type { ExecutionMode } from "../../policy/execution-mode.js";
import { isProviderPolicy } from "../../policy/providers.js";
import {
  SANDBOX_MODES,
  SANDBOX_NETWORKS,
  type SandboxMode,
  type SandboxNetwork,
} from "../../proc/sandbox.js";
import type { ReopenRequest } from "../../run/reopen.js";
import type { RunCommonOptions, RunOutcome } from "../../run/start.js";
import { collect, examples, outputFor } from "../context.js";
import { nearestName } from "../format.js";
import { type Output, writeErr } from "../output.js";
import { registerRunInspect } from "./run-inspect.js";
import { registerRunLogs } from "./run-logs.js";

interface RunFlags {
  agent?: string;
  agentBin?: string;
  agentArg?: string[];
  model?: string;
  execution?: ExecutionMode;
  maxAttempts?: string;
  base?: string;
  allowDirty?: boolean;
  allowPath?: string[];
  taskFile?: string;
  sandbox?: SandboxMode;
  network?: SandboxNetwork;
}

const START_EXAMPLES = [
  "omk run add retry with backoff to the http client",
  "omk run --agent exec --agent-bin ./scripts/my-agent.sh fix the flaky test",
  "omk run --task-file TASK.md --max-attempts 5",
  "git log -1 --format=%B | omk run --task-file -",
  "omk run --agent replay:last --json",
  "omk run --agent authority fix the flaky test   # the first healthy agent in [providers] authority",
  'omk run --execution never "explain the failing test"   # read-only',
];

export function registerRun(program: Command): void {
  const run = program
    .command("run")
    .description(
      "Run an agent on a task in its own worktree, judge the change with the project's gates, and write a proof. " +
        "The task is the words after `omk run` (quoted or not) or --task-file; `omk run start <task>` is the same. " +
        "The subcommands below look at and manage runs. Exit 0 iff the run is ready.",
    )
    .argument("[task...]", "what the agent should do (the words are joined with spaces)")
    // `omk run list --agent x` is an error, not a silently ignored flag: run's own flags come before a subcommand.
    .enablePositionalOptions();
  addStartOptions(run)
    .addHelpText(
      "after",
      `${examples([...START_EXAMPLES, "omk run list", "omk run diff last --stat", "omk run resume last"])}\n` +
        "A one-word task that is (nearly) a subcommand's name is refused: `omk run lst` asks whether you meant `omk run list`.\n",
    )
    .action(async (words: string[], flags: RunFlags, cmd: Command) => {
      if (words.length === 0 && flags.taskFile === undefined && cmd.parent?.args.length === 1) {
        // bare `omk run`: its help, like bare `omk`.
        cmd.outputHelp();
        return;
      }
      const only = words.length === 1 && flags.taskFile === undefined ? words[0]! : null;
      const near = only === null ? null : nearestName(only, commandNames(cmd));
      if (near !== null) {
        throw new OmkError(
          "USAGE",
          `"${only}" looks like a mistyped subcommand, not a task: did you mean \`omk run ${near}\`?`,
          {
            hint: `for a one-word task, say a little more, or pass it with --task-file (echo ${only} | omk run --task-file -)`,
          },
        );
      }
      await startFromFlags(words, flags, cmd);
    });

  addStartOptions(
    run
      .command("start")
      .description("Start a run: the same as `omk run <task>`.")
      .argument("[task...]", "what the agent should do (the words are joined with spaces)"),
  )
    .addHelpText("after", examples(START_EXAMPLES.map((e) => e.replace(/^omk run /, "omk run start "))))
    .action(async (words: string[], flags: RunFlags, cmd: Command) => startFromFlags(words, flags, cmd));

  const resume = run
    .command("resume <run>")
    .description(
      "Continue an interrupted or crashed run from its ledger (run id, unique prefix or suffix, or `last`). " +
        "With --max-attempts, give a finished not_ready run more attempts: the agent goes on from its last " +
        "attempt with that attempt's feedback, and the run gets a new verdict and proof. " +
        "Ready, blocked and landed runs are refused.",
    )
    .option(
      "-n, --max-attempts <n>",
      "the new total attempt budget of a finished not_ready run, 1–20, more than it has spent",
    )
    .option(
      "-a, --agent <name>",
      `with --max-attempts: another agent for the new attempts: ${agentSpecForms()}`,
    )
    .option("--agent-bin <path>", "with --agent: the new agent's executable (see `omk run --help`)")
    .option("--agent-arg <arg>", "with --agent: an extra argument for its executable (repeatable)", collect)
    .option("-m, --model <model>", "with --agent: the model passed to it")
    .addHelpText(
      "after",
      examples([
        "omk run resume last",
        "omk run resume run-mf3k2x9a0-7q",
        "omk run resume last --max-attempts 5",
        "omk run resume last --max-attempts 4 --agent exec --agent-bin ./scripts/my-agent.sh",
      ]),
    );
  addSandboxOptions(resume, "the run's recorded choice").action(
    async (id: string, own: ResumeFlags, cmd: Command) => {
      const { resumeRun } = await import("../../run/start.js");
      const flags = { ...startFlagsFor(cmd), ...own };
      const reopen = reopenRequest(flags);
      await withRun(outputFor(cmd), (common) =>
        resumeRun({ ...common, ...sandboxFlags(flags), run: id, reopen }),
      );
    },
  );

  run
    .command("export <run>")
    .description("Write a run's per-attempt patches as a recording that `--agent replay:<file>` plays back.")
    .requiredOption("-o, --output <file>", "where to write the recording (JSON)")
    .addHelpText(
      "after",
      examples([
        "omk run export last -o fix.recording.json",
        'omk run --agent replay:fix.recording.json "same task"',
      ]),
    )
    .action(async (id: string, flags: { output: string }, cmd: Command) => {
      const { exportRun } = await import("../../run/export.js");
      const { openProject } = await import("../../project/open.js");
      const out = outputFor(cmd);
      const rec = await exportRun(await openProject(process.cwd(), process.env), id);
      await writeFile(flags.output, `${JSON.stringify(rec, null, 2)}\n`);
      if (out.opts.json)
        out.json({
          ok: true,
          runId: rec.source.runId ?? id,
          file: resolve(flags.output),
          attempts: rec.attempts.length,
        });
      out.info(`wrote ${rec.attempts.length} attempt(s) of ${rec.source.runId ?? id} to ${flags.output}`);
    });

  registerRunInspect(run);
  registerRunLogs(run);
}

/**
 * `--sandbox` and `--network`, on starting and resuming a run. OMK_SANDBOX (the same values) is the
 * default for a machine or CI that wants every run confined without repeating the flag.
 */
function addSandboxOptions(cmd: Command, otherwise: string): Command {
  return cmd
    .addOption(
      new Option(
        "--sandbox <mode>",
        `confine the agent and the gates with bubblewrap: auto (when it works here, else run unconfined and say so), required (refuse without), off (default: OMK_SANDBOX, else ${otherwise}, else [sandbox] mode in .omk/config.toml, else auto)`,
      ).choices([...SANDBOX_MODES]),
    )
    .addOption(
      new Option(
        "--network <net>",
        `the agent's network inside the sandbox: none or host (default: ${otherwise}, else [sandbox] network, else the agent's own: host for kimi, none for exec and replay)`,
      ).choices([...SANDBOX_NETWORKS]),
    );
}

export function sandboxFlags(flags: Pick<RunFlags, "sandbox" | "network">): {
  sandbox: SandboxMode | undefined;
  network: SandboxNetwork | undefined;
} {
  const env = process.env["OMK_SANDBOX"];
  let fromEnv: SandboxMode | undefined;
  if (env !== undefined && env !== "") {
    if (!(SANDBOX_MODES as readonly string[]).includes(env))
      throw new OmkError(
        "USAGE",
        `OMK_SANDBOX must be one of ${SANDBOX_MODES.join(", ")}, got ${JSON.stringify(env)}`,
        {
          hint: "unset it, or set it to auto, required or off",
        },
      );
    fromEnv = env as SandboxMode;
  }
  return { sandbox: flags.sandbox ?? fromEnv, network: flags.network };
}

/** The flags of starting a run, on `omk run` and `omk run start` alike. */
function addStartOptions(cmd: Command): Command {
  return addSandboxOptions(cmd, "the adapter's")
    .option("--task-file <file>", "read the task from FILE (`-`: stdin), for long tasks; not with task words")
    .option(
      "-a, --agent <name>",
      `the agent: ${agentSpecForms()}; or a provider policy: authority | primary (the [providers] lists in .omk/config.toml) | omk (omk's own pick) — the first installed, logged-in agent that may write and run commands (default from .omk/config.toml, else kimi)`,
    )
    .option(
      "--agent-bin <path>",
      "the agent's executable: the command --agent exec runs, or a kimi, claude, codex, gemini or opencode binary other than the one on PATH",
    )
    .option("--agent-arg <arg>", "an extra argument for the agent executable (repeatable)", collect)
    .option("-m, --model <model>", "model name passed to the agent")
    .addOption(
      new Option(
        "-e, --execution <mode>",
        "auto: approve tool calls inside the worktree; ask: ask on the terminal (fails closed without one); never: reject writes and shell",
      ).choices(["ask", "auto", "never"]),
    )
    .option(
      "-n, --max-attempts <n>",
      "attempt budget, 1–20: failing gates go back to the agent until it is spent (default: .omk/config.toml, else 3)",
    )
    .option("--base <rev>", "start from this commit instead of HEAD (the working tree may then be dirty)")
    .option("--allow-dirty", "start from HEAD even though the working tree has uncommitted changes")
    .option(
      "--allow-path <glob>",
      "let the agent change this protected path for this run (repeatable; recorded): .omk/**, .kimi/**, agent CLI config, gates.toml `protect`",
      collect,
    );
}

/** The subcommand names of `omk run` (what a one-word task must not be mistaken for). */
function commandNames(run: Command): string[] {
  return run.commands.flatMap((c) => [c.name(), ...c.aliases()]);
}

/** The task: the words, or the contents of --task-file (`-`: stdin). */
async function readTask(words: readonly string[], taskFile: string | undefined): Promise<string> {
  if (taskFile === undefined) {
    if (words.length === 0)
      throw new OmkError("USAGE", "no task given", {
        hint: "omk run <what the agent should do>, or --task-file FILE (`-` reads stdin)",
      });
    return words.join(" ");
  }
  if (words.length > 0)
    throw new OmkError("USAGE", "give the task as words or with --task-file, not both", {
      hint: "put everything the agent should know in the file",
    });
  try {
    const text = taskFile === "-" ? await readStdin() : await readFile(taskFile, "utf8");
    return text.trimEnd();
  } catch (err) {
    throw new OmkError("USAGE", `cannot read the task file ${taskFile}: ${(err as Error).message}`, {
      hint: "--task-file takes a readable file, or - for stdin",
    });
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

interface ResumeFlags extends Pick<RunFlags, "sandbox" | "network"> {
  maxAttempts?: string;
  agent?: string;
  agentBin?: string;
  agentArg?: string[];
  model?: string;
}

const RESUME_KEYS: readonly string[] = [
  "maxAttempts",
  "agent",
  "agentBin",
  "agentArg",
  "model",
  "sandbox",
  "network",
];

/**
 * The flags written after `omk run resume`: commander hands the ones `omk run` also defines to
 * `omk run` (the program's options are not positional), so they are taken back from there; a start
 * flag that means nothing to a resume is refused rather than ignored.
 */
function startFlagsFor(cmd: Command): ResumeFlags {
  const parent = (cmd.parent?.opts() ?? {}) as Record<string, unknown>;
  const stray = Object.keys(parent).filter((k) => parent[k] !== undefined && !RESUME_KEYS.includes(k));
  if (stray.length > 0) {
    const flag = stray[0]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw new OmkError("USAGE", `--${flag} is a flag of starting a run, not of \`omk run resume\``, {
      hint: "a resumed run keeps its task, base and settings; see omk run resume --help",
    });
  }
  return parent as ResumeFlags;
}

/** `--max-attempts N [--agent …]` of `omk run resume`, checked before the run is touched. */
function reopenRequest(flags: ResumeFlags): ReopenRequest | undefined {
  const agentFlags = [
    flags.agentBin === undefined ? null : "--agent-bin",
    flags.agentArg === undefined ? null : "--agent-arg",
    flags.model === undefined ? null : "--model",
  ].filter((f) => f !== null);
  if (flags.agent === undefined && agentFlags.length > 0)
    throw new OmkError("USAGE", `${agentFlags.join(", ")} describe a new agent and need --agent`, {
      hint: "omk run resume <run> --max-attempts N --agent exec --agent-bin ./my-agent.sh",
    });
  if (flags.maxAttempts === undefined) {
    if (flags.agent !== undefined)
      throw new OmkError("USAGE", "--agent on resume needs --max-attempts: a new agent gets new attempts", {
        hint: "omk run resume <run> --max-attempts N --agent <name>",
      });
    return undefined;
  }
  const maxAttempts = parseMaxAttempts(flags.maxAttempts);
  if (flags.agent === undefined) return { maxAttempts, agent: null };
  if (isProviderPolicy(flags.agent))
    throw new OmkError(
      "USAGE",
      `--agent ${flags.agent} picks an agent for a new run, not for a resumed one`,
      {
        hint: "name the agent for the new attempts: omk run resume <run> --max-attempts N --agent <name>",
      },
    );
  checkAgentFlags(parseAgentSpec(flags.agent, process.cwd()).descriptor, { agentBin: flags.agentBin });
  return {
    maxAttempts,
    agent: {
      spec: flags.agent,
      bin: flags.agentBin === undefined ? null : resolve(flags.agentBin),
      args: flags.agentArg ?? [],
      model: flags.model ?? null,
    },
  };
}

function parseMaxAttempts(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 20)
    throw new OmkError(
      "USAGE",
      `--max-attempts must be an integer from 1 to 20, got ${JSON.stringify(text)}`,
    );
  return n;
}

async function startFromFlags(words: readonly string[], flags: RunFlags, cmd: Command): Promise<void> {
  const { startRun } = await import("../../run/start.js");
  const out = outputFor(cmd);
  const maxAttempts = flags.maxAttempts === undefined ? undefined : parseMaxAttempts(flags.maxAttempts);
  // A policy (authority, primary, omk) is resolved with the project's config, inside startRun.
  if (flags.agent !== undefined && !isProviderPolicy(flags.agent)) {
    checkAgentFlags(parseAgentSpec(flags.agent, process.cwd()).descriptor, { agentBin: flags.agentBin });
  }
  const task = await readTask(words, flags.taskFile);
  await withRun(out, (common) =>
    startRun({
      ...common,
      task,
      agent: flags.agent,
      agentBin: flags.agentBin === undefined ? undefined : resolve(flags.agentBin),
      agentArgs: flags.agentArg ?? [],
      model: flags.model,
      execution: flags.execution,
      maxAttempts,
      base: flags.base,
      allowDirty: flags.allowDirty,
      allowPaths: flags.allowPath ?? [],
      ...sandboxFlags(flags),
      onNote: (m) => out.info(m),
    }),
  );
}

/** What a start and a resume share: the interrupt signal, the policy's ask and the progress view. */
async function withRun(out: Output, go: (common: RunCommonOptions) => Promise<RunOutcome>): Promise<void> {
  const { RunProgress } = await import("../../report/progress.js");
  const { interruptController } = await import("../interrupt.js");
  const { terminalAsk } = await import("../ask.js");
  const isTTY = out.opts.isTTY && !out.opts.quiet;
  const progress = new RunProgress({
    line: (t) => out.info(t),
    status: isTTY ? (t) => writeErr(`\r\u001b[2K${t}`) : undefined,
  });
  const terminal = terminalAsk();
  const ask: AskFn | null =
    terminal === null
      ? null
      : async (req) => {
          progress.pause();
          try {
            return await terminal(req);
          } finally {
            progress.resume();
          }
        };
  const warnNoTerminal = noTerminalWarning(out, ask === null);
  const warnUnconfined = unconfinedWarning(out);
  const intr = interruptController(out);
  try {
    const r = await go({
      cwd: process.cwd(),
      parentEnv: process.env,
      signal: intr.signal,
      ask,
      onEvent: (e) => {
        warnNoTerminal(e);
        warnUnconfined(e);
        progress.onEvent(e);
      },
    });
    progress.stop();
    const { moreAttemptsCommand } = await import("../../run/reopen.js");
    report(out, r, moreAttemptsCommand);
  } finally {
    progress.stop();
    intr.dispose();
  }
}

/**
 * `--execution ask` with nobody to ask fails closed; say so once (when the run starts, or at the first
 * rejection of a resumed run) with what to do instead, not only as one progress line per rejected call.
 */
function noTerminalWarning(out: Output, noTerminal: boolean): (e: RunJournalEvent) => void {
  let warned = !noTerminal;
  return (e) => {
    const ask =
      (e.kind === "RunStarted" && e.data.execution === "ask") ||
      (e.kind === "ApprovalDecided" && e.data.mode === "ask");
    if (warned || !ask) return;
    warned = true;
    out.warn(
      "--execution ask needs a terminal to ask on, and there is none (stdin or stderr is not a TTY): every write and shell tool call will be rejected. Use --execution auto to approve tool calls inside the worktree, or --execution never for a read-only run.",
    );
  };
}

/** `--sandbox auto` on a machine where bwrap does not work: said once, with why and what to do. */
function unconfinedWarning(out: Output): (e: RunJournalEvent) => void {
  let warned = false;
  return (e) => {
    if (warned || e.kind !== "Confinement" || e.data.mode !== "none" || e.data.requested !== "auto") return;
    warned = true;
    out.warn(
      `this run is NOT confined: ${e.data.reason ?? "no sandbox"}. The agent and the gates run with your uid and can read and write what you can. \`omk sandbox check\` says why; --sandbox required refuses to run unconfined, --sandbox off says you mean it.`,
    );
  };
}

function report(out: Output, r: RunOutcome, more: (s: RunOutcome["state"]) => string | null): void {
  const s = r.state;
  const status = r.interrupted ? "interrupted" : (s.finished?.status ?? "unfinished");
  if (out.opts.json) {
    out.json({
      runId: s.runId,
      status,
      reasons: s.finished?.reasons ?? [],
      branch: s.branch,
      worktree: s.worktree,
      baseCommit: s.base,
      headCommit: s.finished?.headCommit ?? null,
      proofPath: s.proofWritten ? r.loc.proofFile : null,
      attempts: s.attempts.length,
      usage: s.usage,
    });
  }
  if (r.interrupted) {
    out.info(out.paint("yellow", `run ${s.runId} interrupted; continue with: omk run resume ${s.runId}`));
    process.exitCode = ExitCode.interrupted;
    return;
  }
  const color = status === "ready" ? "green" : status === "blocked" ? "red" : "yellow";
  out.info(out.paint(color, `run ${s.runId}: ${status}`));
  for (const reason of s.finished?.reasons ?? []) out.info(`  ${reason}`);
  if (s.proofWritten) out.info(`proof: ${r.loc.proofFile}`);
  if (status === "ready") out.info(`next: omk land ${s.runId}`);
  const again = status === "not_ready" ? more(s) : null;
  if (again !== null) out.info(`more attempts: ${again}`);
  process.exitCode = status === "ready" ? ExitCode.ok : ExitCode.failure;
}
