import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { AgentEvent } from "../agents/types.js";
import { isOmkError, OmkError } from "../core/errors.js";
import type { AgentChoice } from "../journal/goal-events.js";
import { decideApproval } from "../policy/approval.js";
import { ProcessContext } from "../proc/context.js";
import { killProcessesIn } from "../proc/orphans.js";
import type { Project } from "../project/open.js";
import { withThrowawayWorktree } from "../project/throwaway.js";
import { resolveAgent } from "../run/adapters.js";
import { BUILTIN_PLAN_PROMPT, renderPlanPrompt } from "./plan-prompt.js";
import { LIMITS, parsePlanText } from "./proposals.js";

export interface PlanText {
  text: string;
  tasks: unknown[];
  sha256: string;
  repaired: boolean;
}

/** What the planner printed can be cut off at this many bytes: a plan is far smaller. */
const MAX_PLANNER_OUTPUT = LIMITS.documentBytes;

const LIMITS_TEXT = `At most ${LIMITS.tasks} tasks; ids up to ${LIMITS.idChars} characters; titles up to ${LIMITS.titleChars}; prompts up to ${LIMITS.promptBytes} bytes; up to ${LIMITS.deps} deps and ${LIMITS.setEntries} paths per set.`;

/** `.omk/prompts/plan.md` of the project when it exists, else the built-in prompt. */
export async function planPromptTemplate(root: string): Promise<{ template: string; source: string }> {
  const file = join(root, ".omk", "prompts", "plan.md");
  try {
    return { template: await readFile(file, "utf8"), source: ".omk/prompts/plan.md" };
  } catch {
    return { template: BUILTIN_PLAN_PROMPT, source: "built-in" };
  }
}

/** A `--plan FILE`: the same document, the same checks. */
export async function planFromFile(file: string): Promise<PlanText> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new OmkError("USAGE", `cannot read the plan file ${file}`, {
      hint: "check the path given to --plan",
      cause,
    });
  }
  return { text, tasks: parsePlanText(text), sha256: sha256(text), repaired: false };
}

/**
 * The agent's answer as a plan document: the whole text when it parses, else the last ```json fenced
 * block, else from the first "{" to the last "}".
 */
export function extractPlanDocument(output: string): string {
  const t = output.trim();
  try {
    JSON.parse(t);
    return t;
  } catch {
    // not the whole text: look inside
  }
  const fences = [...t.matchAll(/```(?:json)?\s*\n([\s\S]*?)```/g)];
  const fenced = fences.at(-1)?.[1];
  if (fenced !== undefined) return fenced.trim();
  const first = t.indexOf("{");
  const last = t.lastIndexOf("}");
  return first >= 0 && last > first ? t.slice(first, last + 1) : t;
}

/**
 * Asks a planner agent (any adapter) for the plan, in a throwaway worktree of the base commit under
 * the `never` execution policy (it reads; it may not write or run anything that asks). An answer that
 * is not a valid plan document gets one repair round with the errors; then the errors are the failure.
 */
export async function planWithAgent(o: {
  project: Project;
  goal: string;
  base: string;
  planner: AgentChoice;
  plannerDir: string;
  cwd: string;
  parentEnv: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
}): Promise<PlanText> {
  const agent = await resolveAgent(o.planner.name, {
    project: o.project,
    runDir: o.plannerDir,
    cwd: o.cwd,
    env: o.parentEnv,
    agentBin: o.planner.bin ?? undefined,
    preflight: true,
  });
  const { template } = await planPromptTemplate(o.project.root);
  const prompt = renderPlanPrompt(template, o.goal, LIMITS_TEXT);
  return withThrowawayWorktree(o.project.root, "plan", o.base, async (dir) => {
    let output = "";
    const onEvent = (e: AgentEvent) => {
      if (e.type === "text" && output.length < MAX_PLANNER_OUTPUT) output += `${e.text}\n`;
    };
    const session = await agent.adapter.start({
      worktree: dir,
      runId: o.plannerDir.split("/").at(-2) ?? "goal",
      parentEnv: o.parentEnv,
      cwd: o.cwd,
      proc: new ProcessContext(),
      agentBin: o.planner.bin ?? undefined,
      agentArgs: o.planner.args,
      model: o.planner.model ?? undefined,
      approve: (req) => decideApproval("never", req, dir, null),
      onEvent,
      signal: o.signal,
      timeoutMs: o.project.config.run.agent_timeout_secs * 1000,
    });
    try {
      let firstError: OmkError | null = null;
      for (const round of [1, 2]) {
        output = "";
        const text =
          round === 1
            ? prompt
            : `${prompt}\n\nYour previous answer was not a valid plan: ${firstError?.message}\nAnswer again with only the JSON document.`;
        const turn = await session.prompt(text, round);
        if (o.signal.aborted) throw new OmkError("INTERRUPTED", "interrupted while planning");
        if (turn.status !== "finished") {
          throw new OmkError("AGENT_FAILED", `the planner did not finish: ${turn.status} (${turn.detail})`, {
            hint: "check the planner agent (--planner, --planner-bin) and try again, or give a plan with --plan FILE",
          });
        }
        const doc = extractPlanDocument(output);
        try {
          return { text: doc, tasks: parsePlanText(doc), sha256: sha256(doc), repaired: round === 2 };
        } catch (err) {
          if (!isOmkError(err) || err.code !== "PLAN_INVALID") throw err;
          if (round === 2) {
            throw new OmkError(
              "PLAN_INVALID",
              `the planner's answer is not a valid plan after one repair round: ${err.message}`,
              {
                hint: `first answer: ${firstError?.message ?? "?"}; give a plan with --plan FILE, or adjust .omk/prompts/plan.md`,
              },
            );
          }
          firstError = err;
        }
      }
      throw new OmkError("INTERNAL", "unreachable: planner rounds exhausted");
    } finally {
      await session.close().catch(() => {});
      await killProcessesIn(dir).catch(() => {});
    }
  });
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
