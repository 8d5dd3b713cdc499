import { parseEventPayload, parseRequestPayload, RpcMessageSchema } from "@moonshot-ai/kimi-agent-sdk/schema";
import { redactText } from "../../security/redact.js";
import { truncate } from "./normalize.js";

/**
 * JSON-RPC 2.0 over kimi's stdio, one JSON object per line, framed the way the official SDK's
 * ProtocolClient frames it. Every incoming message is validated with the SDK's schemas; anything that
 * does not validate is reported as a violation and skipped, never thrown, because one bad line from
 * the agent must not take the run down.
 */

/** The part of proc's ProcessHandle the transport needs (an in-memory pair in unit tests). */
export interface LineChannel {
  lines(): AsyncIterable<string>;
  write(line: string): Promise<void>;
}

/** kimi answered a request with a JSON-RPC error. */
export class RpcCallError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "RpcCallError";
  }
}

/** kimi's stdout ended while a request was still waiting for its answer. */
export class TransportClosedError extends Error {
  constructor() {
    super("kimi closed its stdout");
    this.name = "TransportClosedError";
  }
}

export interface TransportHandlers {
  /** A notification that passed `parseEventPayload`. */
  onEvent(type: string, payload: unknown): void;
  /** An agent→client request that passed `parseRequestPayload`; resolves to the JSON-RPC result. */
  onRequest(type: string, payload: unknown): Promise<unknown>;
  /** Protocol violations, already redacted and truncated. */
  onViolation(message: string): void;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

const PREVIEW_CHARS = 160;
// JSON-RPC 2.0 standard codes used when answering the agent.
const INVALID_PARAMS = -32602;
const METHOD_NOT_FOUND = -32601;
const INTERNAL_ERROR = -32603;

function preview(text: string): string {
  return truncate(redactText(text), PREVIEW_CHARS);
}

export class KimiTransport {
  private nextId = 0;
  private readonly pending = new Map<string, Pending>();
  private closed = false;
  /** Settles when the agent's stdout ends (process exit or closed pipe). */
  readonly done: Promise<void>;

  constructor(
    private readonly channel: LineChannel,
    private readonly handlers: TransportHandlers,
  ) {
    this.done = this.readLoop();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  request(method: string, params?: Record<string, unknown>): Promise<unknown> {
    if (this.closed) return Promise.reject(new TransportClosedError());
    this.nextId += 1;
    const id = `omk-${this.nextId}`;
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const msg = { jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) };
      this.send(msg).catch((error: unknown) => {
        this.pending.delete(id);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
  }

  private send(msg: Record<string, unknown>): Promise<void> {
    return this.channel.write(JSON.stringify(msg));
  }

  private async respond(
    id: string,
    body: { result: unknown } | { error: { code: number; message: string } },
  ) {
    try {
      await this.send({ jsonrpc: "2.0", id, ...body });
    } catch {
      // The agent is gone; its exit is reported by whoever awaits the process.
    }
  }

  private async readLoop(): Promise<void> {
    try {
      for await (const line of this.channel.lines()) this.handleLine(line);
    } catch (error) {
      this.handlers.onViolation(`reading kimi's stdout failed: ${preview(String(error))}`);
    } finally {
      this.closed = true;
      const error = new TransportClosedError();
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    }
  }

  private handleLine(line: string): void {
    if (line.trim() === "") return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      this.handlers.onViolation(`non-JSON line on kimi's stdout: ${preview(line)}`);
      return;
    }
    const parsed = RpcMessageSchema.safeParse(json);
    if (!parsed.success || typeof json !== "object" || json === null || Array.isArray(json)) {
      this.handlers.onViolation(`invalid JSON-RPC message from kimi: ${preview(line)}`);
      return;
    }
    const msg = parsed.data as {
      id?: string;
      method?: string;
      params?: unknown;
      result?: unknown;
      error?: { code: number; message: string };
    };
    if (msg.method === undefined) {
      this.handleResponse(msg, line);
    } else if (msg.method === "event" && msg.id === undefined) {
      this.handleEvent(msg.params, line);
    } else if (msg.method === "request" && msg.id !== undefined) {
      this.handleRequest(msg.id, msg.params, line);
    } else {
      this.handlers.onViolation(`unexpected method from kimi: ${preview(msg.method)}`);
      if (msg.id !== undefined) {
        void this.respond(msg.id, {
          error: { code: METHOD_NOT_FOUND, message: `unknown method ${msg.method}` },
        });
      }
    }
  }

  private handleResponse(
    msg: { id?: string; result?: unknown; error?: { code: number; message: string } },
    line: string,
  ) {
    const pending = msg.id === undefined ? undefined : this.pending.get(msg.id);
    if (msg.id === undefined || pending === undefined) {
      this.handlers.onViolation(`response to no pending request: ${preview(line)}`);
      return;
    }
    this.pending.delete(msg.id);
    if (msg.error !== undefined) pending.reject(new RpcCallError(msg.error.code, msg.error.message));
    else pending.resolve(msg.result);
  }

  private handleEvent(params: unknown, line: string): void {
    const p = params as { type?: unknown; payload?: unknown } | undefined;
    const result = typeof p?.type === "string" ? parseEventPayload(p.type, p.payload) : null;
    if (result === null || !result.ok) {
      const why = result === null ? "event without a type" : result.error;
      this.handlers.onViolation(`invalid kimi event (${preview(why)}): ${preview(line)}`);
      return;
    }
    const value = result.value as { type: string; payload: unknown };
    this.handlers.onEvent(value.type, value.payload);
  }

  private handleRequest(id: string, params: unknown, line: string): void {
    const p = params as { type?: unknown; payload?: unknown } | undefined;
    const result = typeof p?.type === "string" ? parseRequestPayload(p.type, p.payload) : null;
    if (result === null || !result.ok) {
      const why = result === null ? "request without a type" : result.error;
      this.handlers.onViolation(`invalid kimi request (${preview(why)}): ${preview(line)}`);
      // Answer anyway, so the agent does not wait forever for a reply that will never come.
      void this.respond(id, { error: { code: INVALID_PARAMS, message: "request did not validate" } });
      return;
    }
    const value = result.value as { type: string; payload: unknown };
    this.handlers.onRequest(value.type, value.payload).then(
      (answer) => this.respond(id, { result: answer }),
      (error: unknown) => {
        this.handlers.onViolation(`handling ${value.type} failed: ${preview(String(error))}`);
        return this.respond(id, {
          error: { code: INTERNAL_ERROR, message: "client failed to handle request" },
        });
      },
    );
  }
}
