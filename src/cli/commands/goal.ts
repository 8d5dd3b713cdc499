import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { checkAgentFlags, parseAgentSpec } from "../../agents/registry.js";
import { OmkError } from "../../core/errors.js";
import { ExitCode } from "../../core/exit-codes.js";
import type { GoalOutcome } from "../../goal/runner.js";
import type { RunJournalEvent } from "../../journal/events.js";
import type { AgentChoice, GoalJournalEvent } from "../../journal/goal-events.js";
import {
  SANDBOX_MODES,
  SANDBOX_NETWORKS,
  type SandboxMode,
  type SandboxNetwork,
} from "../../proc/sandbox.js";
import { collect, examples, outputFor } from "../context.js";
import { type Output, writeErr } from "../output.js";
import { registerGoalControl } from "./goal-control.js";
import { registerGoalInspect } from "./goal-inspect.js";
import { sandboxFlags } from "./run.js";

interface GoalRunFlags {
  lanes: string;
  agent?: string;
  agentBin?: string;
  agentArg?: string[];
  model?: string;
  planner?: string;
  plannerBin?: string;
  plannerArg?: string[];
  plan?: string;
  acceptPartial?: boolean;
  maxAttempts?: string;
  seed?: string;
  sandbox?: SandboxMode;
  network?: SandboxNetwork;
}

/** Lane N's ports start at OMK_GOAL_PORT_BASE + N × OMK_GOAL_PORT_SPAN. */
const DEFAULT_PORT_BASE = 20_000;
const DEFAULT_PORT_SPAN = 100;

export function registerGoal(program: Command): void {
  const goal = program
    .command("goal")
    .description(
      "Goals: a planner agent (or --plan FILE) splits a goal into tasks; omk validates them as untrusted input, " +
        "runs them as omk runs over K lanes so that no two running tasks touch the same files, merges each " +
        "finished task into omk/goal/<id>/integration, runs the gates on the result and writes a goal proof. " +
        "`omk goal accept` lands a ready goal.",
    )
    .addHelpText(
      "after",
      examples([
        'omk goal run "add a --dry-run flag to every command" --lanes 3',
        "omk goal list",
        "omk goal show last",
      ]),
    );
  goal
    .command("run")
    .description(
      "Plan and run a goal. Any rejected task proposal stops the goal before any work (exit 2) unless " +
        "--accept-partial. Each lane's agent gets OMK_LANE (0…K−1) and OMK_PORT_BASE (its own port range: " +
        `OMK_GOAL_PORT_BASE, default ${DEFAULT_PORT_BASE}, + lane × OMK_GOAL_PORT_SPAN, default ${DEFAULT_PORT_SPAN}). ` +
        "Exit 0 iff the goal is ready.",
    )
    .argument("[goal...]", "what the goal is (the words are joined with spaces)")
    .option("--lanes <k>", "how many tasks run at once (1–32)", "2")
    .option("--agent <spec>", "the agent of every task's run (as `omk run --agent`)")
    .option("--agent-bin <path>", "the executable the agent runs (`--agent exec`), or another kimi binary")
    .option("--agent-arg <arg>", "an argument for the agent (repeatable)", collect)
    .option("--model <name>", "the model of every task's run")
    .option("--planner <spec>", "the planner agent (default: the project's agent)")
    .option("--planner-bin <path>", "the planner's executable (`--planner exec`)")
    .option("--planner-arg <arg>", "an argument for the planner (repeatable)", collect)
    .option("--plan <file>", 'take the plan document {"tasks": [...]} from FILE instead of asking a planner')
    .option("--accept-partial", "go ahead with the valid tasks when some proposals are rejected")
    .option("--max-attempts <n>", "attempts per task's run (1–20; default from .omk/config.toml)")
    .addOption(
      new Option(
        "--sandbox <mode>",
        "confine every task's agent, gates and setup, and the integration gates, with bubblewrap, as `omk run --sandbox` (default: OMK_SANDBOX, else [sandbox] mode in .omk/config.toml, else auto)",
      ).choices([...SANDBOX_MODES]),
    )
    .addOption(
      new Option("--network <net>", "the agents' network inside the sandbox, as `omk run --network`").choices(
        [...SANDBOX_NETWORKS],
      ),
    )
    .addOption(new Option("--seed <n>", "the scheduler's tie-break seed").default("0").hideHelp())
    .addHelpText(
      "after",
      examples([
        'omk goal run "split the parser into lexer and grammar, with tests" --lanes 3',
        "omk goal run --plan tasks.json --agent exec --agent-bin ./agent.sh --lanes 4 --json",
        "omk goal show last",
        "omk goal accept last",
      ]),
    )
    .action(async (words: string[], flags: GoalRunFlags, cmd: Command) => {
      const { startGoal } = await import("../../goal/runner.js");
      const { assertLanes } = await import("../../goal/drive.js");
      const { openProject } = await import("../../project/open.js");
      const out = outputFor(cmd);
      const lanes = assertLanes(Number(flags.lanes));
      const maxAttempts =
        flags.maxAttempts === undefined ? undefined : intFlag("--max-attempts", flags.maxAttempts, 1, 20);
      const text = words.join(" ");
      if (text.trim() === "" && flags.plan === undefined)
        throw new OmkError("USAGE", "no goal given", { hint: 'omk goal run "<goal>", or --plan FILE' });
      const project = await openProject(process.cwd(), process.env);
      const agent = agentChoice(
        flags.agent ?? project.config.run.agent,
        flags.agentBin,
        flags.agentArg,
        flags.model,
      );
      const planner =
        flags.plan !== undefined
          ? null
          : flags.planner !== undefined
            ? agentChoice(flags.planner, flags.plannerBin, flags.plannerArg, flags.model)
            : agent;
      const env = process.env;
      await withGoal(out, (common) =>
        startGoal({
          ...common,
          goal: text,
          lanes,
          agent,
          planner,
          planFile: flags.plan === undefined ? undefined : resolve(flags.plan),
          acceptPartial: flags.acceptPartial === true,
          maxAttempts,
          portBase: intFlag(
            "OMK_GOAL_PORT_BASE",
            env["OMK_GOAL_PORT_BASE"] ?? String(DEFAULT_PORT_BASE),
            1024,
            60_000,
          ),
          portSpan: intFlag(
            "OMK_GOAL_PORT_SPAN",
            env["OMK_GOAL_PORT_SPAN"] ?? String(DEFAULT_PORT_SPAN),
            1,
            1000,
          ),
          seed: intFlag("--seed", flags.seed ?? "0", 0, 2 ** 31),
          ...sandboxFlags(flags),
          onGoalId: (loc) => common.say(`goal ${loc.goalId} on ${loc.integrationBranch} (${lanes} lanes)`),
        }),
      );
    });

  goal
    .command("resume <goal>")
    .description(
      "Continue an interrupted or crashed goal from its ledger; a task merged before a crash is never merged again.",
    )
    .addHelpText("after", examples(["omk goal resume last"]))
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const { resumeGoal } = await import("../../goal/runner.js");
      const out = outputFor(cmd);
      await withGoal(out, (common) => resumeGoal({ ...common, goal: id }));
    });

  goal
    .command("accept <goal>")
    .description(
      "Land a ready goal: fast-forward the branch it started from to the integration head, after re-running " +
        "the project's gates on that exact commit (the rules of `omk land`). A goal already accepted is nothing to do.",
    )
    .addHelpText("after", examples(["omk goal accept last", "omk goal accept goal-mf3k2x9a0-7q --json"]))
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const { acceptGoal } = await import("../../goal/accept.js");
      const { resolveGoalId } = await import("../../goal/locate.js");
      const { openProject } = await import("../../project/open.js");
      const { interruptController } = await import("../interrupt.js");
      const out = outputFor(cmd);
      const project = await openProject(process.cwd(), process.env);
      const loc = await resolveGoalId(project, id);
      const intr = interruptController(out);
      try {
        const r = await acceptGoal({ project, loc, signal: intr.signal, onProgress: (l) => out.info(l) });
        if (out.opts.json) out.json({ ok: true, ...r });
        out.info(
          r.alreadyAccepted
            ? `goal ${r.goalId} already accepted as ${r.commit.slice(0, 12)}: nothing to do`
            : out.paint("green", `accepted ${r.goalId} on ${r.onto ?? "HEAD"} at ${r.commit.slice(0, 12)}`),
        );
      } finally {
        intr.dispose();
      }
    });

  registerGoalInspect(goal);
  registerGoalControl(goal);
}

function intFlag(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new OmkError(
      "USAGE",
      `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  return n;
}

function agentChoice(
  spec: string,
  bin: string | undefined,
  args: string[] | undefined,
  model: string | undefined,
): AgentChoice {
  const parsed = parseAgentSpec(spec, process.cwd());
  checkAgentFlags(parsed.descriptor, { agentBin: bin });
  return {
    name: parsed.spec.text,
    bin: bin === undefined ? null : resolve(bin),
    args: args ?? [],
    model: model ?? null,
  };
}

async function withGoal(
  out: Output,
  go: (common: {
    cwd: string;
    parentEnv: NodeJS.ProcessEnv;
    signal: AbortSignal;
    onEvent: (e: GoalJournalEvent) => void;
    onRunEvent: (lane: number, taskId: string, e: RunJournalEvent) => void;
    /** A progress line (above the live status line on a terminal). */
    say: (line: string) => void;
  }) => Promise<GoalOutcome>,
): Promise<void> {
  const { interruptController } = await import("../interrupt.js");
  const { goalEventLine, GoalLanesView } = await import("../../report/goal-progress.js");
  const intr = interruptController(out);
  // On a terminal the lanes are one status line, redrawn; progress lines print above it.
  const live = out.opts.isTTY && !out.opts.quiet ? new GoalLanesView() : null;
  const clear = () => writeErr("\r\u001b[2K");
  const draw = () => {
    if (live) writeErr(`\r\u001b[2K${live.render().slice(0, (process.stderr.columns || 120) - 1)}`);
  };
  const say = (line: string) => {
    if (live) clear();
    out.info(line);
    draw();
  };
  const timer = live ? setInterval(draw, 250) : null;
  timer?.unref();
  try {
    const r = await go({
      cwd: process.cwd(),
      parentEnv: process.env,
      signal: intr.signal,
      onEvent: (e) => {
        live?.onGoalEvent(e);
        const line = goalEventLine(e);
        if (line !== null) say(line);
      },
      say,
      onRunEvent: (lane, _task, e) => live?.onRunEvent(lane, e),
    });
    if (timer) clearInterval(timer);
    if (live) clear();
    report(out, r);
  } finally {
    if (timer) clearInterval(timer);
    intr.dispose();
  }
}

function report(out: Output, r: GoalOutcome): void {
  const s = r.state;
  const status = r.interrupted ? "interrupted" : r.paused ? "paused" : (s.finished?.status ?? "unfinished");
  if (out.opts.json) {
    out.json({
      goalId: s.goalId,
      status,
      reasons: s.finished?.reasons ?? [],
      integrationBranch: s.integrationBranch,
      baseCommit: s.base,
      headCommit: s.head,
      proofPath: s.proofSha256 === null ? null : r.loc.proofFile,
      tasks: summaries(r),
      rejected: s.rejected,
    });
  }
  if (r.interrupted || r.paused) {
    out.info(
      out.paint(
        "yellow",
        `goal ${s.goalId} ${r.paused ? "paused" : "interrupted"}; continue with: omk goal resume ${s.goalId}`,
      ),
    );
    process.exitCode = ExitCode.interrupted;
    return;
  }
  out.info(
    out.paint(
      status === "ready" ? "green" : status === "blocked" ? "red" : "yellow",
      `goal ${s.goalId}: ${status}`,
    ),
  );
  for (const reason of s.finished?.reasons ?? []) out.info(`  ${reason}`);
  if (s.proofSha256 !== null) out.info(`proof: ${r.loc.proofFile}`);
  if (status === "ready") out.info(`next: omk goal accept ${s.goalId}`);
  process.exitCode = status === "ready" ? ExitCode.ok : ExitCode.failure;
}

function summaries(r: GoalOutcome) {
  const s = r.state;
  return s.order.map((id) => {
    const t = s.tasks.get(id)!;
    return { id, status: t.status, runId: t.runIds.at(-1) ?? null, lane: t.lane, runs: t.runIds.length };
  });
}
