import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import {
  InitializeResultSchema,
  parseEventPayload,
  parseRequestPayload,
  RpcMessageSchema,
  RunResultSchema,
} from "@moonshot-ai/kimi-agent-sdk/schema";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FAKE_KIMI, type TempDir, tempDir, writeScenario } from "./fake-kimi-helpers.js";

interface Msg {
  jsonrpc?: string;
  id?: string;
  method?: string;
  params?: { type: string; payload: Record<string, unknown> };
  result?: unknown;
  error?: { code: number; message: string };
}

/** Drives the fake directly over stdio and checks every line it prints against the SDK's schemas. */
class Driver {
  readonly lines: string[] = [];
  readonly invalid: string[] = [];
  private readonly waiting: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  private readonly seen: Msg[] = [];
  readonly exit: Promise<number | null>;
  stderr = "";

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on("line", (line) => this.onLine(line));
    child.stderr.on("data", (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exit = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  }

  private onLine(line: string): void {
    this.lines.push(line);
    const msg = JSON.parse(line) as Msg;
    const rpc = RpcMessageSchema.safeParse(msg);
    if (!rpc.success || msg.jsonrpc !== "2.0") this.invalid.push(line);
    if (msg.method === "event") {
      if (!parseEventPayload(msg.params?.type ?? "", msg.params?.payload).ok) this.invalid.push(line);
    } else if (msg.method === "request") {
      if (!parseRequestPayload(msg.params?.type ?? "", msg.params?.payload).ok) this.invalid.push(line);
    }
    this.seen.push(msg);
    for (const w of [...this.waiting]) {
      if (w.pred(msg)) {
        this.waiting.splice(this.waiting.indexOf(w), 1);
        w.resolve(msg);
      }
    }
  }

  send(msg: Record<string, unknown>): void {
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", ...msg })}\n`);
  }

  next(pred: (m: Msg) => boolean, from = 0): Promise<Msg> {
    const found = this.seen.slice(from).find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.waiting.push({ pred, resolve }));
  }

  count(): number {
    return this.seen.length;
  }

  types(): string[] {
    return this.seen.map((m) => m.params?.type ?? (m.result !== undefined ? "result" : "error"));
  }
}

function start(args: string[], env: Record<string, string> = {}): Driver {
  const child = spawn(FAKE_KIMI, args, { env: { PATH: process.env["PATH"], ...env }, stdio: "pipe" });
  return new Driver(child);
}

describe("fake kimi speaks the SDK's wire protocol", () => {
  let tmp: TempDir;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(async () => {
    await tmp.cleanup();
  });

  it("every line of a full session validates, requests included", async () => {
    const scenario = await writeScenario(tmp.dir, {
      turns: [
        {
          steps: [
            { think: "plan" },
            { say: "hello" },
            { write: { path: "src/a.js", content: "export const a = 1;\n" } },
            { write: { path: "src/b.js", content: "nope" } },
            { shell: { command: "npm test", output: "ok" } },
            { ask: { question: "Which?", options: ["a", "b"] } },
            { externalTool: { name: "lookup" } },
          ],
        },
        { steps: [{ hang: true }] },
        { steps: [{ say: "last" }], status: "max_steps_reached" },
      ],
    });
    const d = start(["--wire", "--work-dir", tmp.dir, "--scenario", scenario]);
    d.send({ id: "1", method: "initialize", params: { protocol_version: "1.7", client: { name: "t" } } });
    const init = await d.next((m) => m.id === "1");
    expect(InitializeResultSchema.safeParse(init.result).success).toBe(true);

    d.send({ id: "2", method: "prompt", params: { user_input: "go" } });
    const approvals: string[] = ["approve", "reject", "approve"];
    for (let i = 0; i < 3; i++) {
      const req = await d.next((m) => m.params?.type === "ApprovalRequest" && m.id === `req-${i + 1}`);
      d.send({ id: req.id, result: { request_id: req.params?.payload["id"], response: approvals[i] } });
    }
    const question = await d.next((m) => m.params?.type === "QuestionRequest");
    d.send({ id: question.id, result: { request_id: question.params?.payload["id"], answers: {} } });
    const tool = await d.next((m) => m.params?.type === "ToolCallRequest");
    const returnValue = { is_error: true, output: "", message: "no tools", display: [] };
    d.send({ id: tool.id, result: { tool_call_id: tool.params?.payload["id"], return_value: returnValue } });
    const first = await d.next((m) => m.id === "2");
    expect(RunResultSchema.parse(first.result)).toEqual({ status: "finished" });

    expect(await readFile(join(tmp.dir, "src/a.js"), "utf8")).toBe("export const a = 1;\n");
    await expect(readFile(join(tmp.dir, "src/b.js"), "utf8")).rejects.toThrow(/ENOENT/);
    const types = d.types();
    for (const t of [
      "TurnBegin",
      "StepBegin",
      "ContentPart",
      "ToolCall",
      "ToolResult",
      "StatusUpdate",
      "TurnEnd",
    ]) {
      expect(types).toContain(t);
    }

    const before = d.count();
    d.send({ id: "3", method: "prompt", params: { user_input: "again" } });
    await d.next((m) => m.params?.type === "StepBegin", before);
    d.send({ id: "4", method: "cancel" });
    const cancelled = await d.next((m) => m.id === "3");
    expect(RunResultSchema.parse(cancelled.result).status).toBe("cancelled");

    d.send({ id: "5", method: "prompt", params: { user_input: "third" } });
    const third = await d.next((m) => m.id === "5");
    expect(RunResultSchema.parse(third.result)).toEqual({ status: "max_steps_reached", steps: 1 });

    d.child.stdin.end();
    expect(await d.exit).toBe(0);
    expect(d.invalid).toEqual([]);
    expect(d.lines.length).toBeGreaterThan(20);
  });

  it("a rejected write answers with an error ToolResult that says so", async () => {
    const scenario = await writeScenario(tmp.dir, {
      turns: [{ steps: [{ write: { path: "x.txt", content: "x" } }] }],
    });
    const d = start(["--wire", "--work-dir", tmp.dir], { OMK_FAKE_KIMI_SCENARIO: scenario });
    d.send({ id: "p", method: "prompt", params: { user_input: "go" } });
    const req = await d.next((m) => m.params?.type === "ApprovalRequest");
    expect(req.params?.payload["display"]).toEqual([
      { type: "diff", path: "x.txt", old_text: "", new_text: "x" },
    ]);
    d.send({ id: req.id, result: { request_id: req.params?.payload["id"], response: "reject" } });
    const result = await d.next((m) => m.params?.type === "ToolResult");
    const rv = result.params?.payload["return_value"] as { is_error: boolean; message: string };
    expect(rv.is_error).toBe(true);
    expect(rv.message).toMatch(/rejected by the user/);
    d.child.stdin.end();
    expect(await d.exit).toBe(0);
    expect(d.invalid).toEqual([]);
  });

  it("answers malformed input with JSON-RPC errors instead of crashing", async () => {
    const d = start(["--wire", "--work-dir", tmp.dir]);
    d.child.stdin.write("this is not json\n");
    const parseError = await d.next((m) => m.error?.code === -32700);
    expect(parseError.error?.message).toMatch(/Parse error/);
    d.send({ id: "c", method: "cancel" });
    expect((await d.next((m) => m.id === "c")).error?.code).toBe(-32000);
    d.send({ id: "u", method: "frobnicate" });
    expect((await d.next((m) => m.id === "u")).error?.code).toBe(-32601);
    d.child.stdin.end();
    expect(await d.exit).toBe(0);
    expect(d.invalid).toEqual([]);
  });

  it("exits non-zero on an invalid client answer, and refuses --yolo", async () => {
    const scenario = await writeScenario(tmp.dir, { turns: [{ steps: [{ shell: { command: "ls" } }] }] });
    const d = start(["--wire", "--scenario", scenario]);
    d.send({ id: "p", method: "prompt", params: { user_input: "go" } });
    const req = await d.next((m) => m.params?.type === "ApprovalRequest");
    d.send({ id: req.id, result: { request_id: req.params?.payload["id"], response: "maybe" } });
    expect(await d.exit).toBe(65);
    expect(d.stderr).toMatch(/invalid approval answer/);

    const yolo = start(["--wire", "--yolo"]);
    expect(await yolo.exit).toBe(2);
  });
});
