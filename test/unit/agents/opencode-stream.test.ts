import { describe, expect, it } from "vitest";
import { opencodeAuth } from "../../../src/agents/opencode/adapter.js";
import { opencodeArgv, opencodePermission } from "../../../src/agents/opencode/contract.js";
import { OpencodeStreamParser } from "../../../src/agents/opencode/stream.js";

const WT = "/repo/.omk/worktrees/r1";

describe("opencode run --format json → normalized events", () => {
  it("maps steps, the tool call with its result, text and each step's usage and cost", () => {
    const p = new OpencodeStreamParser(WT);
    const events = [
      { type: "step_start", sessionID: "ses_1", part: {} },
      {
        type: "tool_use",
        sessionID: "ses_1",
        part: {
          tool: "write",
          callID: "c1",
          state: { status: "completed", input: { filePath: `${WT}/a.txt` }, output: "Wrote file" },
        },
      },
      {
        type: "tool_use",
        sessionID: "ses_1",
        part: {
          tool: "bash",
          callID: "c2",
          state: { status: "error", input: { command: "rm -rf /" }, error: "rejected" },
        },
      },
      {
        type: "step_finish",
        sessionID: "ses_1",
        part: {
          reason: "tool-calls",
          cost: 0.01,
          tokens: { input: 100, output: 10, cache: { read: 5, write: 0 } },
        },
      },
      { type: "text", sessionID: "ses_1", part: { text: "done" } },
    ].flatMap((l) => p.line(JSON.stringify(l)));
    expect(events).toEqual([
      { type: "step", n: 1 },
      { type: "tool_call", id: "c1", name: "write", summary: `write ${WT}/a.txt` },
      { type: "tool_result", id: "c1", isError: false, summary: "Wrote file", diffPaths: ["a.txt"] },
      { type: "tool_call", id: "c2", name: "bash", summary: "bash rm -rf /" },
      { type: "tool_result", id: "c2", isError: true, summary: "rejected", diffPaths: [] },
      { type: "usage", inputTokens: 105, outputTokens: 10, costUsd: 0.01 },
      { type: "text", text: "done" },
    ]);
    expect(p.sessionId).toBe("ses_1");
    expect(p.outcome?.ok).toBe(true);
  });

  it("an error event fails the turn even when a step finishes after it", () => {
    const p = new OpencodeStreamParser(WT);
    p.line(
      JSON.stringify({ type: "error", error: { name: "APIError", data: { message: "429 rate limit" } } }),
    );
    p.line(JSON.stringify({ type: "step_finish", part: {} }));
    expect(p.outcome?.ok).toBe(false);
    expect(p.outcome?.detail).toContain("429 rate limit");
  });
});

describe("opencode argv, permissions and auth", () => {
  it("maps auto → allow, never → deny, ask → ask (auto-rejected by opencode run)", () => {
    expect(JSON.parse(opencodePermission("auto"))).toEqual({
      edit: "allow",
      bash: "allow",
      webfetch: "allow",
    });
    expect(JSON.parse(opencodePermission("never"))).toEqual({ edit: "deny", bash: "deny", webfetch: "deny" });
    expect(JSON.parse(opencodePermission("ask"))).toEqual({ edit: "ask", bash: "ask", webfetch: "ask" });
  });

  it("runs with no message argument (the message is on stdin) and continues a session with --session", () => {
    const argv = opencodeArgv("/bin/opencode", { resume: "ses_1", extra: [] });
    expect(argv.slice(0, 4)).toEqual(["/bin/opencode", "run", "--format", "json"]);
    expect(argv.at(-1)).toBe("ses_1");
    expect(argv).toEqual(expect.arrayContaining(["--session", "ses_1"]));
  });

  it("reads `opencode auth list`: 0 credentials and no environment is unauthenticated", () => {
    expect(
      opencodeAuth("\u001b[0m┌  Credentials ~/.local/share/opencode/auth.json\n└  0 credentials\n").value,
    ).toBe("missing");
    expect(opencodeAuth("└  0 credentials\n┌  Environment\n└  1 environment variable\n").value).toBe("ok");
    expect(opencodeAuth("something else").value).toBe("unknown");
  });
});
