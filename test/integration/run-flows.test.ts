import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { answerProject, kinds, ofKind, type Project } from "../helpers/project.js";

// The gate (check.mjs): answer.txt must hold 42. Its failure message is what the feedback must carry.

describe("omk run: ready, feedback, budget (exec agent, built CLI)", () => {
  let h: Project;
  beforeEach(async () => {
    h = await answerProject({ "README.md": "sample\n" });
  });
  afterEach(async () => {
    await h.cleanup();
  });

  it("ready in one attempt: branch commit holds the change, main is untouched, proof written", async () => {
    const { r, doc } = await h.execRun(h.writerAgent("agent", { "answer.txt": "42\n" }));
    expect(r.code, r.stderr).toBe(0);
    expect(doc.status).toBe("ready");
    expect(doc.attempts).toBe(1);
    expect(doc.runId).toMatch(/^run-/);
    expect(doc.branch).toBe(`omk/run/${doc.runId}`);
    expect(doc.baseCommit).toBe(h.base);
    expect(doc.headCommit).toBe(h.repo.git(["rev-parse", doc.branch]));
    expect(doc.headCommit).not.toBe(h.base);
    expect(r.stderr).toContain(`run ${doc.runId}: ready`);

    // The run branch is one commit on top of the base, and that commit carries exactly the change.
    expect(h.repo.git(["rev-parse", `${doc.branch}~1`])).toBe(h.base);
    expect(h.repo.git(["show", `${doc.branch}:answer.txt`])).toBe("42");
    expect(h.repo.git(["diff", "--name-status", h.base, doc.branch])).toBe("A\tanswer.txt");
    expect(h.repo.git(["log", "-1", "--format=%B", doc.branch])).toContain(`Omk-Run: ${doc.runId}`);
    // main: same commit, clean, and the file never reached its work tree.
    expect(h.repo.git(["rev-parse", "main"])).toBe(h.base);
    expect(h.repo.git(["symbolic-ref", "--short", "HEAD"])).toBe("main");
    expect(existsSync(join(h.repo.root, "answer.txt"))).toBe(false);
    expect(h.repo.git(["status", "--porcelain", "--untracked-files=no"])).toBe("");

    expect(doc.proofPath).toBe(join(h.runDir(doc.runId), "proof.json"));
    const proof = JSON.parse(readFileSync(doc.proofPath!, "utf8")) as Record<string, unknown>;
    expect(proof["schema"]).toBe("omk.proof/v1");
    expect(proof["runId"]).toBe(doc.runId);
    expect(proof["status"]).toBe("ready");
    expect(proof["headCommit"]).toBe(doc.headCommit);
    expect(proof["gates"]).toMatchObject([{ name: "check", status: "pass", exitCode: 0 }]);
    expect(proof["diff"]).toMatchObject({ files: [{ path: "answer.txt", status: "A" }] });

    const events = h.ledger(doc.runId);
    expect(kinds(events)[0]).toBe("RunStarted");
    expect(ofKind(events, "AttemptStarted")).toHaveLength(1);
    expect(ofKind(events, "AttemptFinished").map((e) => e.data["outcome"])).toEqual(["passed"]);
    expect(ofKind(events, "RunFinished")[0]?.data).toMatchObject({
      status: "ready",
      headCommit: doc.headCommit,
    });
    expect(kinds(events).at(-1)).toBe("ProofWritten");

    const verify = await h.omk(["proof", "verify", doc.runId, "--json"]);
    expect(verify.code, verify.stderr).toBe(0);
  });

  it("ready on attempt 2 after the failing gate's output is fed back", async () => {
    const seen = join(h.sb.dir, "feedback-seen.md");
    const agent = h.script(
      "agent",
      `import { copyFileSync, existsSync, writeFileSync } from "node:fs";
const fb = process.env.OMK_FEEDBACK_FILE;
if (process.env.OMK_ATTEMPT === "2" && fb && existsSync(fb)) {
  copyFileSync(fb, ${JSON.stringify(seen)});
  writeFileSync("answer.txt", "42\\n");
} else {
  writeFileSync("answer.txt", "41\\n");
}
`,
    );
    const { r, doc } = await h.execRun(agent);
    expect(r.code, r.stderr).toBe(0);
    expect(doc.status).toBe("ready");
    expect(doc.attempts).toBe(2);

    // What attempt 2 was given names the failing gate and carries its output.
    const feedback = readFileSync(seen, "utf8");
    expect(feedback).toContain("Attempt 1 of 3");
    expect(feedback).toContain("check");
    expect(feedback).toContain("gate-check: expected 42 in answer.txt, got 41");
    // The task travels beside it (OMK_TASK, stdin), not inside it.
    expect(feedback).not.toContain("fix the thing");

    const events = h.ledger(doc.runId);
    expect(ofKind(events, "AttemptStarted").map((e) => e.data)).toEqual([
      { attempt: 1, feedbackFrom: null },
      { attempt: 2, feedbackFrom: 1 },
    ]);
    expect(ofKind(events, "AttemptFinished").map((e) => e.data["outcome"])).toEqual([
      "gates_failed",
      "passed",
    ]);
    const gates = ofKind(events, "GateResult").map((e) => [
      e.data["attempt"],
      (e.data["gate"] as { status: string }).status,
    ]);
    expect(gates).toEqual([
      [1, "fail"],
      [2, "pass"],
    ]);
    expect(h.repo.git(["show", `${doc.branch}:answer.txt`])).toBe("42");
    expect(h.proof(doc.runId)["attempts"]).toMatchObject([
      { n: 1, outcome: "gates_failed" },
      { n: 2, outcome: "passed" },
    ]);
  });

  it("not_ready after --max-attempts 2 when the agent never fixes it", async () => {
    const agent = h.writerAgent("agent", { "answer.txt": "41\n" });
    const { r, doc } = await h.execRun(agent, { args: ["--max-attempts", "2"] });
    expect(r.code).toBe(1);
    expect(doc.status).toBe("not_ready");
    expect(doc.attempts).toBe(2);
    expect(doc.reasons.join("\n")).toMatch(/check \(fail\)/);
    expect(doc.reasons.join("\n")).toContain("2 of 2");

    const events = h.ledger(doc.runId);
    expect(ofKind(events, "RunStarted")[0]?.data["maxAttempts"]).toBe(2);
    expect(ofKind(events, "AttemptStarted")).toHaveLength(2);
    expect(ofKind(events, "AttemptFinished").map((e) => e.data["outcome"])).toEqual([
      "gates_failed",
      "gates_failed",
    ]);
    expect(ofKind(events, "RunFinished")[0]?.data["status"]).toBe("not_ready");
    // A not_ready run still keeps its work on the branch, and main is untouched.
    expect(h.repo.git(["show", `${doc.branch}:answer.txt`])).toBe("41");
    expect(h.repo.git(["rev-parse", "main"])).toBe(h.base);
    const proof = h.proof(doc.runId);
    expect(proof["status"]).toBe("not_ready");
    expect(proof["attempts"]).toHaveLength(2);
  });
});
