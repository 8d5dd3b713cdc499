import { describe, expect, it, vi } from "vitest";
import type { ApprovalRequest } from "../../../src/agents/types.js";
import { type AskFn, decideApproval } from "../../../src/policy/approval.js";
import { EXECUTION_MODES, type ExecutionMode } from "../../../src/policy/execution-mode.js";
import { WORKTREE } from "../journal/fixture.js";

function req(tool: string, paths: string[] = []): ApprovalRequest {
  return { requestId: "req-1", tool, action: "run", description: `${tool} ${paths.join(" ")}`, paths };
}

/** An asker that must not be reached. */
const unreachable: AskFn = () => Promise.reject(new Error("the asker was called"));

function answering(answer: boolean) {
  return vi.fn<AskFn>(() => Promise.resolve(answer));
}

const READ_ONLY = [
  "ReadFile",
  "read_file",
  "READ-FILE",
  "read",
  "Glob",
  "grep",
  "LS",
  "list",
  "Search",
  "search_web",
  "SearchWeb",
  "fetch_url",
  "FetchURL",
  "Think",
];
const WRITES = ["WriteFile", "write_file", "StrReplaceFile", "Shell", "bash", "some_new_tool"];
const UNSAFE = [
  "/etc/passwd",
  "~/.ssh/id_rsa",
  "../outside.txt",
  "src/../../escape.ts",
  ".git/config",
  "sub/.github/workflows/ci.yml",
  ".gitignore",
  "C:/Windows/x",
  `${WORKTREE}/../other-run/x.ts`,
  `${WORKTREE}/.git/hooks/pre-commit`,
  `${WORKTREE}/src/../.git/HEAD`,
  `${WORKTREE}-evil/x.ts`,
  WORKTREE,
  `${WORKTREE}/`,
];

describe("decideApproval", () => {
  describe("read-only tools", () => {
    it.each(EXECUTION_MODES)(
      "are approved in mode %s, whatever the spelling, without asking",
      async (mode) => {
        for (const tool of READ_ONLY) {
          await expect(
            decideApproval(mode, req(tool, ["src/app.ts"]), WORKTREE, unreachable),
          ).resolves.toEqual({
            decision: "approve",
            reason: "read-only tool",
          });
        }
      },
    );

    it.each([["/etc/passwd"], ["~/.aws/credentials"], ["../other-repo/.env"]])(
      "are refused outside the worktree in every mode: %s",
      async (path) => {
        for (const mode of ["never", "auto", "ask"] as const) {
          const d = await decideApproval(mode, req("ReadFile", [path]), WORKTREE, unreachable);
          expect(d).toEqual({
            decision: "reject",
            reason: `path ${JSON.stringify(path)} refused: reads outside the worktree are not allowed`,
          });
        }
      },
    );

    it("are approved inside the worktree, by relative or absolute path", async () => {
      for (const path of ["src/app.ts", `${WORKTREE}/src/app.ts`, ".github/workflows/ci.yml"]) {
        const d = await decideApproval("never", req("ReadFile", [path]), WORKTREE, unreachable);
        expect(d).toEqual({ decision: "approve", reason: "read-only tool" });
      }
    });
  });

  it.each(WRITES)("mode never rejects %s, with safe paths and an asker at hand", async (tool) => {
    await expect(decideApproval("never", req(tool, ["src/app.ts"]), WORKTREE, unreachable)).resolves.toEqual({
      decision: "reject",
      reason: "execution policy 'never' rejects write and shell tools",
    });
  });

  describe.each(["auto", "ask"] as const)("mode %s refuses unsafe paths", (mode) => {
    it.each(UNSAFE)("%s", async (path) => {
      const d = await decideApproval(mode, req("WriteFile", ["src/ok.ts", path]), WORKTREE, unreachable);
      expect(d.decision).toBe("reject");
      expect(d.reason.startsWith(`path ${JSON.stringify(path)} refused: `)).toBe(true);
    });
  });

  it.each([
    [".git/config", /git metadata/],
    ["../x", /\.\. component/],
    ["/etc/passwd", /absolute/],
    [`${WORKTREE}/../x`, /\.\. component/],
  ])("gives the path policy's reason for %s", async (path, reason) => {
    const d = await decideApproval("auto", req("Shell", [path]), WORKTREE, null);
    expect(d.reason).toMatch(reason);
  });

  const INSIDE = { decision: "approve", reason: "execution policy 'auto': paths stay inside the worktree" };
  it.each([
    [
      "a shell call that names no path",
      "Shell",
      [],
      { decision: "approve", reason: "execution policy 'auto'" },
    ],
    ["writes inside the worktree", "StrReplaceFile", ["src/app.ts", "test/app.test.ts"], INSIDE],
    // Absolute paths inside the worktree are judged by their part below it.
    [
      "absolute paths inside the worktree",
      "WriteFile",
      [`${WORKTREE}/src/app.ts`, `${WORKTREE}/a/./b.ts`],
      INSIDE,
    ],
  ])("auto approves %s", async (_name, tool, paths, decision) => {
    await expect(decideApproval("auto", req(tool, paths), WORKTREE, unreachable)).resolves.toEqual(decision);
  });

  it("ask with nobody to ask fails closed", async () => {
    await expect(decideApproval("ask", req("Shell"), WORKTREE, null)).resolves.toEqual({
      decision: "reject",
      reason: "execution policy 'ask' but no terminal to ask: failing closed",
    });
  });

  it.each([
    [true, { decision: "approve", reason: "approved by the user" }],
    [false, { decision: "reject", reason: "rejected by the user" }],
  ])("ask uses the asker's answer (%s), handing it the request", async (answer, decision) => {
    const ask = answering(answer);
    const r = req("WriteFile", ["src/app.ts"]);
    await expect(decideApproval("ask", r, WORKTREE, ask)).resolves.toEqual(decision);
    expect(ask).toHaveBeenCalledTimes(1);
    expect(ask).toHaveBeenCalledWith(r);
  });

  it("passes an asker's failure on to the caller (the agent adapter turns it into a rejection)", async () => {
    await expect(decideApproval("ask", req("Shell"), WORKTREE, unreachable)).rejects.toThrow(
      "the asker was called",
    );
  });

  it("does not call the asker for read-only tools, unsafe paths or another mode", async () => {
    const ask = answering(true);
    const calls: [ExecutionMode, ApprovalRequest][] = [
      ["ask", req("ReadFile", ["src/app.ts"])],
      ["ask", req("WriteFile", [".git/config"])],
      ["auto", req("WriteFile", ["src/app.ts"])],
      ["never", req("WriteFile", ["src/app.ts"])],
    ];
    for (const [mode, r] of calls) await decideApproval(mode, r, WORKTREE, ask);
    expect(ask).not.toHaveBeenCalled();
  });
});
