import { DEEPSEEK_DEFAULT_BASE_URL } from "../agents/deepseek/defaults.js";
import { agentDescriptors, parseAgentSpec, requireInstalled, standaloneAdapter } from "../agents/registry.js";
import type { AgentDescriptor, AgentEvent } from "../agents/types.js";
import { isOmkError, OmkError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import { VERSION } from "../core/version.js";
import { headCommit } from "../git/refs.js";
import { unfitFor } from "../policy/providers.js";
import { openProject, type Project } from "../project/open.js";
import { choosePolicyAgent, describeResolution } from "../run/adapters.js";
import { redactText } from "../security/redact.js";
import { consultCli } from "./cli-advisor.js";
import { type RunContext, runContext } from "./context.js";
import { ADVISOR_PREAMBLE, cliPrompt, questionMessage } from "./prompt.js";
import { type AskRecord, writeAskRecord } from "./record.js";

type Env = Readonly<Record<string, string | undefined>>;

export interface AskOptions {
  cwd: string;
  /** The parent of any agent CLI omk starts (sanitized per its contract, as for a run). */
  env: Env;
  /** An adapter name, or a provider policy: authority | primary | omk. */
  provider: string;
  question: string;
  /** A run whose diff and gate results go along as context. */
  run?: string | undefined;
  model?: string | undefined;
  agentBin?: string | undefined;
  agentArgs?: readonly string[] | undefined;
  /** Read by the CLI from DEEPSEEK_API_KEY / DEEPSEEK_BASE_URL when the command runs. */
  deepseek: { apiKey: string | undefined; baseUrl: string | undefined };
  signal: AbortSignal;
  onNote?: ((message: string) => void) | undefined;
  onEvent?: ((e: AgentEvent) => void) | undefined;
}

export interface AskOutcome {
  record: AskRecord;
  file: string;
}

type Answer = Pick<AskRecord, "answer" | "usage" | "model">;

/** Those that can be consulted, for hints. */
function advisors(): string {
  return agentDescriptors()
    .filter((d) => unfitFor("ask", d) === null)
    .map((d) => d.name)
    .join(", ");
}

function consultable(name: string, cwd: string): AgentDescriptor {
  const { descriptor } = parseAgentSpec(name, cwd);
  const unfit = unfitFor("ask", descriptor);
  if (unfit !== null)
    throw new OmkError("USAGE", `${descriptor.name} cannot be consulted: ${unfit}`, {
      hint: `ask one of: ${advisors()}`,
      details: { provider: descriptor.name },
    });
  return descriptor;
}

async function askApi(o: AskOptions, project: Project, message: string): Promise<Answer> {
  if (o.agentBin !== undefined || (o.agentArgs?.length ?? 0) > 0)
    throw new OmkError("USAGE", "deepseek is an API: --agent-bin and --agent-arg mean nothing to it", {
      hint: "drop them; the endpoint is DEEPSEEK_BASE_URL or [providers.deepseek] base_url",
    });
  const apiKey = o.deepseek.apiKey;
  if (apiKey === undefined || apiKey === "")
    throw new OmkError("USAGE", "DEEPSEEK_API_KEY is not set: omk asks DeepSeek with your key", {
      hint: "put your DeepSeek key in the DEEPSEEK_API_KEY environment variable (read when the command runs, never stored), or ask another provider",
    });
  const cfg = project.config.providers.deepseek;
  const model = o.model ?? cfg.model;
  const { askDeepseek } = await import("../agents/deepseek/client.js");
  const a = await askDeepseek({
    apiKey,
    baseUrl: o.deepseek.baseUrl || cfg.base_url || DEEPSEEK_DEFAULT_BASE_URL,
    model,
    system: ADVISOR_PREAMBLE,
    user: message,
    timeoutMs: project.config.run.agent_timeout_secs * 1000,
    signal: o.signal,
  });
  return {
    answer: a.text,
    model: a.model ?? model,
    usage:
      a.usage === null
        ? null
        : { inputTokens: a.usage.inputTokens, outputTokens: a.usage.outputTokens, costUsd: null },
  };
}

async function askCli(
  o: AskOptions,
  project: Project,
  d: AgentDescriptor,
  askId: string,
  prompt: string,
  ctx: RunContext | null,
): Promise<Answer> {
  const adapter = await standaloneAdapter(d);
  const health = await requireInstalled(d, adapter, { parentEnv: o.env, agentBin: o.agentBin, cwd: o.cwd });
  const commit =
    ctx?.commit ??
    (await headCommit(project.root, "HEAD").catch(() => {
      throw new OmkError("USAGE", `${d.name} reads the repository at a commit, and it has none yet`, {
        hint: "make a first commit, or ask deepseek (it reads only what you send)",
      });
    }));
  const a = await consultCli({
    adapter,
    askId,
    root: project.root,
    commit,
    prompt,
    cwd: o.cwd,
    env: o.env,
    agentBin: o.agentBin,
    agentArgs: o.agentArgs,
    model: o.model,
    timeoutMs: project.config.run.agent_timeout_secs * 1000,
    signal: o.signal,
    onEvent: o.onEvent,
  });
  return { answer: a.text, usage: a.usage, model: o.model ?? health.model.value };
}

/**
 * `omk ask`: one read-only consultation of a provider (named, or picked by a policy), optionally
 * about a run, recorded under the project's state dir whether it is answered or fails.
 */
export async function ask(o: AskOptions): Promise<AskOutcome> {
  const question = o.question.trim();
  if (question === "")
    throw new OmkError("USAGE", "the question is empty", {
      hint: 'omk ask deepseek "what does this change break?"',
    });
  const project = await openProject(o.cwd, o.env);
  const chosen = await choosePolicyAgent(o.provider, {
    config: project.config,
    cwd: o.cwd,
    env: o.env,
    work: "ask",
    agentBin: o.agentBin,
  });
  if (chosen.resolution !== null) o.onNote?.(describeResolution(chosen.resolution));
  const descriptor = consultable(chosen.name, o.cwd);
  const ctx = o.run === undefined ? null : await runContext(project, o.run);
  const asked = redactText(question);
  const askId = newId("ask");
  const started = new Date();
  let answer: Answer | null = null;
  let failure: unknown = null;
  try {
    answer =
      descriptor.advisor.kind === "api"
        ? await askApi(o, project, questionMessage(asked, ctx?.text ?? null))
        : await askCli(o, project, descriptor, askId, cliPrompt(asked, ctx?.text ?? null), ctx);
  } catch (err) {
    // A refusal before anything was asked (usage, a CLI that is not there) is not a consultation.
    if (isOmkError(err) && (err.exitCode === 2 || err.code === "AGENT_NOT_FOUND")) throw err;
    failure = err;
  }
  const finished = new Date();
  const record: AskRecord = {
    schema: "omk.ask/v1",
    id: askId,
    provider: descriptor.name,
    via: chosen.resolution?.policy ?? null,
    mode: descriptor.advisor.kind === "api" ? "api" : "cli",
    model: answer?.model ?? null,
    question: asked,
    run: ctx === null ? null : { runId: ctx.runId, commit: ctx.commit, diff: ctx.diff, gates: ctx.gates },
    status: answer === null ? "failed" : "answered",
    answer: answer === null ? null : redactText(answer.answer ?? ""),
    error:
      failure === null
        ? null
        : isOmkError(failure)
          ? { code: failure.code, message: redactText(failure.message) }
          : { code: "INTERNAL", message: redactText(String(failure)) },
    usage: answer?.usage ?? null,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    omkVersion: VERSION,
  };
  const file = await writeAskRecord(project, record);
  if (failure !== null) throw failure;
  return { record, file };
}
