import { describe, expect, it } from "vitest";
import {
  KimiTransport,
  type LineChannel,
  RpcCallError,
  TransportClosedError,
} from "../../../src/agents/kimi/transport.js";

/** An in-memory stdio pair: the test plays kimi. */
class Pipe implements LineChannel {
  readonly written: Record<string, unknown>[] = [];
  private readonly buffered: string[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private writeWaiters: ((m: Record<string, unknown>) => void)[] = [];

  async *lines(): AsyncIterable<string> {
    for (;;) {
      const line = this.buffered.shift();
      if (line !== undefined) {
        yield line;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  async write(line: string): Promise<void> {
    const msg = JSON.parse(line) as Record<string, unknown>;
    this.written.push(msg);
    for (const w of this.writeWaiters.splice(0)) w(msg);
  }

  /** kimi prints a line. */
  print(line: string | Record<string, unknown>): void {
    this.buffered.push(typeof line === "string" ? line : JSON.stringify({ jsonrpc: "2.0", ...line }));
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  nextWrite(): Promise<Record<string, unknown>> {
    return new Promise((resolve) => this.writeWaiters.push(resolve));
  }
}

function setup(onRequest: (type: string, payload: unknown) => Promise<unknown> = async () => ({})) {
  const pipe = new Pipe();
  const events: [string, unknown][] = [];
  const violations: string[] = [];
  const transport = new KimiTransport(pipe, {
    onEvent: (type, payload) => events.push([type, payload]),
    onRequest,
    onViolation: (m) => violations.push(m),
  });
  return { pipe, events, violations, transport };
}

describe("kimi JSON-RPC transport", () => {
  it("frames requests like the SDK and resolves them by id", async () => {
    const { pipe, transport } = setup();
    const pending = transport.request("initialize", { protocol_version: "1.7" });
    const sent = pipe.written[0];
    expect(sent).toMatchObject({ jsonrpc: "2.0", method: "initialize", params: { protocol_version: "1.7" } });
    expect(typeof sent?.["id"]).toBe("string");
    pipe.print({ id: sent?.["id"] as string, result: { ok: 1 } });
    await expect(pending).resolves.toEqual({ ok: 1 });
    transport.request("cancel").catch(() => {});
    expect(pipe.written[1]).not.toHaveProperty("params");
    expect(pipe.written[1]?.["id"]).not.toBe(sent?.["id"]);
  });

  it("turns JSON-RPC errors into RpcCallError with the code", async () => {
    const { pipe, transport } = setup();
    const pending = transport.request("prompt", { user_input: "x" });
    pipe.print({ id: pipe.written[0]?.["id"] as string, error: { code: -32001, message: "LLM not set" } });
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcCallError);
    expect((error as RpcCallError).code).toBe(-32001);
  });

  it("delivers validated events and reports invalid ones without stopping", async () => {
    const { pipe, events, violations, transport } = setup();
    pipe.print("not json at all ghp_abcdefghijklmnopqrstuvwxyz0123456789");
    pipe.print({ method: "event", params: { type: "StepBegin", payload: { n: "one" } } });
    pipe.print({ method: "event", params: { type: "NoSuchEvent", payload: {} } });
    pipe.print({ method: "event", params: { type: "StepBegin", payload: { n: 1 } } });
    pipe.print({ id: 5, result: {} }); // numeric ids are not what kimi sends
    pipe.print({ id: "nobody", result: {} });
    pipe.end();
    await transport.done;
    expect(events).toEqual([["StepBegin", { n: 1 }]]);
    expect(violations).toHaveLength(5);
    expect(violations[0]).toMatch(/non-JSON line/);
    expect(violations.join("\n")).not.toContain("ghp_abcdefghijklmnopqrstuvwxyz0123456789");
    expect(violations[4]).toMatch(/no pending request/);
  });

  it("answers agent requests with the handler's result, or an error when it throws or is invalid", async () => {
    const { pipe, violations } = setup(async (type) => {
      if (type === "QuestionRequest") throw new Error("cannot");
      return { request_id: "r1", response: "approve" };
    });
    const approval = { id: "r1", tool_call_id: "t", sender: "Shell", action: "run", description: "ls" };
    let write = pipe.nextWrite();
    pipe.print({ id: "r1", method: "request", params: { type: "ApprovalRequest", payload: approval } });
    expect(await write).toEqual({
      jsonrpc: "2.0",
      id: "r1",
      result: { request_id: "r1", response: "approve" },
    });

    write = pipe.nextWrite();
    pipe.print({
      id: "q1",
      method: "request",
      params: { type: "QuestionRequest", payload: { id: "q1", tool_call_id: "t", questions: [] } },
    });
    expect(await write).toMatchObject({ id: "q1", error: { code: -32603 } });

    write = pipe.nextWrite();
    pipe.print({ id: "bad", method: "request", params: { type: "ApprovalRequest", payload: { id: "bad" } } });
    expect(await write).toMatchObject({ id: "bad", error: { code: -32602 } });

    write = pipe.nextWrite();
    pipe.print({ id: "m", method: "steer", params: {} });
    expect(await write).toMatchObject({ id: "m", error: { code: -32601 } });
    expect(violations).toHaveLength(3);
  });

  it("rejects pending and later requests once stdout ends", async () => {
    const { pipe, transport } = setup();
    const pending = transport.request("prompt", { user_input: "x" });
    pipe.end();
    await expect(pending).rejects.toBeInstanceOf(TransportClosedError);
    await transport.done;
    expect(transport.isClosed).toBe(true);
    await expect(transport.request("cancel")).rejects.toBeInstanceOf(TransportClosedError);
  });
});
