import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { OmkError } from "../../core/errors.js";
import { REDACTED, redactText } from "../../security/redact.js";

/**
 * DeepSeek's OpenAI-compatible Chat Completions, through the official `openai` client. The key is a
 * parameter (the CLI reads DEEPSEEK_API_KEY when the command runs); nothing here reads the
 * environment, and every option the client would otherwise take from `OPENAI_*` variables is set,
 * so an OpenAI organization, project or log level of the user's never reaches DeepSeek.
 */

export interface DeepseekRequest {
  apiKey: string;
  baseUrl: string;
  model: string;
  system: string;
  user: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Each streamed piece of the answer, as it arrives (raw: the caller redacts). */
  onDelta?: ((text: string) => void) | undefined;
}

export interface DeepseekAnswer {
  text: string;
  /** The model the API says answered. */
  model: string | null;
  usage: { inputTokens: number; outputTokens: number } | null;
  finishReason: string | null;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

export async function askDeepseek(req: DeepseekRequest): Promise<DeepseekAnswer> {
  const client = new OpenAI({
    apiKey: req.apiKey,
    baseURL: req.baseUrl,
    organization: null,
    project: null,
    webhookSecret: null,
    timeout: req.timeoutMs,
    maxRetries: 2,
    logLevel: "off",
    logger: silent,
  });
  let text = "";
  let model: string | null = null;
  let usage: DeepseekAnswer["usage"] = null;
  let finishReason: string | null = null;
  try {
    const stream = await client.chat.completions.create(
      {
        model: req.model,
        stream: true,
        stream_options: { include_usage: true },
        messages: [
          { role: "system", content: req.system },
          { role: "user", content: req.user },
        ],
      },
      req.signal === undefined ? {} : { signal: req.signal },
    );
    for await (const chunk of stream) {
      model = chunk.model || model;
      if (chunk.usage)
        usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
      for (const choice of chunk.choices) {
        const piece = choice.delta?.content;
        if (typeof piece === "string" && piece !== "") {
          text += piece;
          req.onDelta?.(piece);
        }
        if (choice.finish_reason) finishReason = choice.finish_reason;
      }
    }
  } catch (err) {
    throw deepseekError(err, req);
  }
  return { text, model, usage, finishReason };
}

/** The key itself, then anything key-shaped, out of a message that came back from the API or the network. */
function clean(message: string, apiKey: string): string {
  const scrubbed = apiKey.length >= 4 ? message.split(apiKey).join(REDACTED) : message;
  const one = redactText(scrubbed.replace(/\s+/g, " ").trim());
  return one.length <= 300 ? one : `${one.slice(0, 299)}…`;
}

function deepseekError(err: unknown, req: DeepseekRequest): OmkError {
  if (err instanceof APIUserAbortError || req.signal?.aborted === true)
    return new OmkError("INTERRUPTED", "interrupted while DeepSeek was answering");
  const where = req.baseUrl;
  if (err instanceof APIConnectionTimeoutError)
    return new OmkError("AGENT_FAILED", `DeepSeek at ${where} did not answer within ${req.timeoutMs} ms`, {
      hint: "try again later, or raise [run] agent_timeout_secs in .omk/config.toml",
    });
  if (err instanceof APIConnectionError) {
    const cause = err.cause instanceof Error ? err.cause.message : err.message;
    return new OmkError("AGENT_FAILED", `cannot reach DeepSeek at ${where}: ${clean(cause, req.apiKey)}`, {
      hint: "check the network, or the base URL (DEEPSEEK_BASE_URL, [providers.deepseek] base_url)",
    });
  }
  if (err instanceof APIError) {
    const status = err.status ?? 0;
    const said = clean(err.message, req.apiKey);
    const hint =
      status === 401 || status === 403
        ? "DeepSeek refused the key: check DEEPSEEK_API_KEY"
        : status === 402
          ? "the DeepSeek account has no balance left"
          : status === 429
            ? "rate-limited: wait and try again"
            : status === 404 || status === 400
              ? "check the model ([providers.deepseek] model, --model) and the base URL"
              : "try again later";
    return new OmkError("AGENT_FAILED", `DeepSeek answered HTTP ${status}: ${said}`, {
      hint,
      details: { status },
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new OmkError("AGENT_FAILED", `DeepSeek request failed: ${clean(message, req.apiKey)}`, {
    hint: "re-run with --verbose; check DEEPSEEK_BASE_URL",
  });
}
