import { InitializeResultSchema } from "@moonshot-ai/kimi-agent-sdk/schema";
import { OmkError } from "../../core/errors.js";
import { VERSION } from "../../core/version.js";
import { redactText } from "../../security/redact.js";
import { truncate } from "./normalize.js";
import { describeRpcError, type KimiSession } from "./session.js";
import { RpcCallError } from "./transport.js";
import type { WireInitializeResult } from "./wire-types.js";

/** The wire protocol version omk speaks, the same as @moonshot-ai/kimi-agent-sdk 0.1.8. */
export const KIMI_PROTOCOL_VERSION = "1.7";
const CLIENT = { name: "omk", version: VERSION };

export interface HandshakeOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** For messages: which executable, and where that choice came from. */
  bin: string;
  source: string;
}

export function kimiNotFound(bin: string, source: string): OmkError {
  return new OmkError("AGENT_NOT_FOUND", `kimi executable not found: ${bin} (from ${source})`, {
    hint: "Install Kimi CLI (`uv tool install kimi-cli`) or point --agent-bin / KIMI_BIN at the executable.",
    details: { bin, source },
  });
}

/** Rejects after `timeoutMs` (the SDK's HANDSHAKE_TIMEOUT) or on abort; `stop()` disarms both. */
function guard(o: HandshakeOptions): { settled: Promise<never>; stop: () => void } {
  let stop = (): void => {};
  const settled = new Promise<never>((_, reject) => {
    const timer = setTimeout(() => {
      const message = `kimi handshake timed out after ${o.timeoutMs} ms (HANDSHAKE_TIMEOUT)`;
      const hint =
        "Check that the executable speaks `kimi --wire` (protocol 1.x) and starts without prompting.";
      reject(new OmkError("AGENT_PROTOCOL", message, { hint, details: { bin: o.bin, source: o.source } }));
    }, o.timeoutMs);
    const onAbort = (): void => reject(new OmkError("INTERRUPTED", "Interrupted while kimi was starting."));
    o.signal?.addEventListener("abort", onAbort, { once: true });
    stop = () => {
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
    };
  });
  return { settled, stop };
}

/** `initialize`, validated with the SDK's InitializeResultSchema; every failure is an OmkError. */
export async function handshake(session: KimiSession, o: HandshakeOptions): Promise<WireInitializeResult> {
  const params = {
    protocol_version: KIMI_PROTOCOL_VERSION,
    client: CLIENT,
    // Headless: omk cannot put questions to a person, so it does not offer to.
    capabilities: { supports_question: false, supports_plan_mode: false },
  };
  const { settled, stop } = guard(o);
  try {
    const raw = await Promise.race([session.transport.request("initialize", params), settled]);
    const parsed = InitializeResultSchema.safeParse(raw);
    if (!parsed.success) {
      throw new OmkError(
        "AGENT_PROTOCOL",
        "kimi answered initialize with an invalid result (SCHEMA_MISMATCH)",
        {
          details: { preview: truncate(redactText(JSON.stringify(raw) ?? "")) },
        },
      );
    }
    return parsed.data as WireInitializeResult;
  } catch (error) {
    if (error instanceof OmkError && (error.code === "AGENT_PROTOCOL" || error.code === "INTERRUPTED"))
      throw error;
    if (error instanceof RpcCallError) {
      throw new OmkError("AGENT_PROTOCOL", `kimi rejected initialize: ${describeRpcError(error)}`);
    }
    const info = await session.settledExit();
    if (info?.failedToStart) {
      if (/ENOENT/.test(info.failedToStart)) throw kimiNotFound(o.bin, o.source);
      throw new OmkError("AGENT_FAILED", `kimi could not be started: ${info.failedToStart}`, {
        details: { bin: o.bin, source: o.source },
      });
    }
    throw new OmkError("AGENT_FAILED", `kimi stopped during the handshake: ${session.exitDetail()}`, {
      hint: "Run the same executable with --wire by hand to see why it exits.",
      details: { bin: o.bin, source: o.source },
    });
  } finally {
    stop();
  }
}
