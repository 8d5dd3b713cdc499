import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { agentSpecForms, checkAgentFlags, parseAgentSpec } from "../../agents/registry.js";
import { OmkError } from "../../core/errors.js";
import type { ExecutionMode } from "../../policy/execution-mode.js";
import { isProviderPolicy } from "../../policy/providers.js";
import {
  SANDBOX_MODES,
  SANDBOX_NETWORKS,
  type SandboxMode,
  type SandboxNetwork,
} from "../../proc/sandbox.js";
import { collect, examples, outputFor } from "../context.js";
import { nearestName } from "../format.js";
import { withRun } from "./run-drive.js";
import { parseMaxAttempts, type ResumeFlags, readTask, reopenRequest, startFlagsFor } from "./run-flags.js";
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
        "With --accept-outside-changes, continue a run that was blocked only because the repository outside " +
        "its worktree changed, when you made those changes yourself. " +
        "Ready and landed runs are refused, and so are runs blocked for anything else.",
    )
    .option(
      "-n, --max-attempts <n>",
      "the new total attempt budget of a finished not_ready run, 1–20, more than it has spent (with --accept-outside-changes: of the blocked run, at least what it has spent)",
    )
    .option(
      "-a, --agent <name>",
      `with --max-attempts: another agent for the new attempts: ${agentSpecForms()}`,
    )
    .option("--agent-bin <path>", "with --agent: the new agent's executable (see `omk run --help`)")
    .option("--agent-arg <arg>", "with --agent: an extra argument for its executable (repeatable)", collect)
    .option("-m, --model <model>", "with --agent: the model passed to it")
    .option(
      "--accept-outside-changes",
      "the changes outside the worktree that blocked the run are yours (a git fetch, a commit or an edit " +
        "in your checkout while it ran): they are listed and recorded in the ledger, and the last attempt " +
        "is judged again from the repository as it is now: snapshot, secret scan, gates (the agent does " +
        "not run again unless the gates fail and attempts remain)",
    )
    .addHelpText(
      "after",
      examples([
        "omk run resume last",
        "omk run resume run-mf3k2x9a0-7q",
        "omk run resume last --max-attempts 5",
        "omk run resume last --max-attempts 4 --agent exec --agent-bin ./scripts/my-agent.sh",
        "omk run resume last --accept-outside-changes",
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
        `confine the agent, the gates and the gate workspace's [workspace] setup with bubblewrap: auto (when it works here, else run unconfined and say so), required (refuse without), off (default: OMK_SANDBOX, else ${otherwise}, else [sandbox] mode in .omk/config.toml, else auto)`,
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

async function startFromFlags(words: readonly string[], flags: RunFlags, cmd: Command): Promise<void> {
  const { prefetchRun, discardEarlyWorktrees } = await import("../../run/prefetch.js");
  const out = outputFor(cmd);
  const maxAttempts = flags.maxAttempts === undefined ? undefined : parseMaxAttempts(flags.maxAttempts);
  // A policy (authority, primary, omk) is resolved with the project's config, inside startRun.
  if (flags.agent !== undefined && !isProviderPolicy(flags.agent)) {
    checkAgentFlags(parseAgentSpec(flags.agent, process.cwd()).descriptor, { agentBin: flags.agentBin });
  }
  const task = await readTask(words, flags.taskFile);
  // git starts on the repository while the run's code loads; for a run from HEAD it checks out the
  // run's worktree too (startRun takes it over, or removes it when it refuses the run).
  prefetchRun(process.cwd(), { worktree: flags.base === undefined && task.trim() !== "" });
  try {
    await startWith(out, task, maxAttempts, flags);
  } finally {
    await discardEarlyWorktrees();
  }
}

async function startWith(
  out: ReturnType<typeof outputFor>,
  task: string,
  maxAttempts: number | undefined,
  flags: RunFlags,
): Promise<void> {
  const { startRun } = await import("../../run/start.js");
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
