/**
 * Confined, the agent and the gates cannot write refs, HEAD, packed-refs or the main checkout: a
 * change there while a run works is the person's (a commit, an edit, a fetch) and is noted without
 * blocking. Unconfined, the same change blocks; config, hooks and info/ block either way.
 */
import { chmodSync, existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RunDoc } from "../helpers/cli.js";
import { ofKind, type Project, project, waitFor } from "../helpers/project.js";

let p: Project;
afterEach(async () => {
  await p.cleanup();
});

/**
 * Runs an agent that writes a.txt, says it works (started.flag in its worktree: all a confined agent
 * may write) and ends its turn once go.flag appears there; `meanwhile` is the person in between.
 */
async function runWhile(
  meanwhile: () => void,
  sandbox: "required" | "off",
  // Attempt 1 fails its gate first, then attempt 2 is the one that waits.
  opts: { failFirst?: boolean } = {},
): Promise<RunDoc> {
  const agent = p.script(
    "waiting",
    `import { existsSync, writeFileSync } from "node:fs";
if (${opts.failFirst === true} && process.env.OMK_ATTEMPT === "1") {
  writeFileSync("a.txt", "bad\\n");
  process.exit(0);
}
writeFileSync("a.txt", "ok\\n");
writeFileSync("started.flag", "");
while (!existsSync("go.flag")) await new Promise((r) => setTimeout(r, 20));
`,
  );
  const run = p.omk(["run", "--json", "--agent", "exec", "--agent-bin", agent, "--sandbox", sandbox, "go"]);
  const worktrees = join(p.repo.root, ".omk", "worktrees");
  const worktree = await waitFor("the agent's turn", () => {
    const dirs = existsSync(worktrees) ? readdirSync(worktrees) : [];
    const found = dirs.map((d) => join(worktrees, d)).find((d) => existsSync(join(d, "started.flag")));
    return found ?? null;
  });
  meanwhile();
  writeFileSync(join(worktree, "go.flag"), "");
  return (await run).json<RunDoc>();
}

const personCommitsAndEdits = () => {
  writeFileSync(join(p.repo.root, "notes.md"), "mine\n");
  p.repo.git(["add", "notes.md"]);
  p.repo.git(["commit", "-q", "-m", "the person's commit"]);
  writeFileSync(join(p.repo.root, "README.md"), "edited meanwhile\n");
};

describe("changes outside the worktree while a run works", () => {
  it("confined: the person's commit and edit are noted, not blocking; the run is ready and its proof says so", async () => {
    p = await project({ "README.md": "base\n" });
    const doc = await runWhile(personCommitsAndEdits, "required");
    expect(doc.status).toBe("ready");
    const events = p.ledger(doc.runId);
    expect(ofKind(events, "RepoTampered")).toEqual([]);
    const noted = ofKind(events, "OutsideChanged").map((e) => e.data);
    expect(noted).toEqual([
      {
        attempt: 1,
        confined: true,
        changes: [expect.stringMatching(/^refs\/heads\/main moved /), "main checkout: README.md modified"],
      },
    ]);
    expect((p.proof(doc.runId)["attempts"] as Record<string, unknown>[])[0]).toMatchObject({
      outsideChangesWhileConfined: noted[0]!["changes"],
    });
    const shown = await p.omk(["run", "show", doc.runId]);
    expect(shown.stdout).toContain(
      "  outside:  attempt 1: main checkout: README.md modified (not the agent: it was confined)\n",
    );
    const v = await p.proofVerify(doc.runId);
    expect(v.code, JSON.stringify(v.doc.checks)).toBe(0);
  });

  it("unconfined, the same commit and edit block the run", async () => {
    p = await project({ "README.md": "base\n" });
    const doc = await runWhile(personCommitsAndEdits, "off");
    expect(doc.status).toBe("blocked");
    expect(ofKind(p.ledger(doc.runId), "OutsideChanged")).toEqual([]);
    expect(doc.reasons).toEqual(
      expect.arrayContaining([
        "the repository outside the worktree changed: main checkout: README.md modified",
      ]),
    );
  });

  it("confined, a hook planted meanwhile still blocks (and a ref moved with it is only noted)", async () => {
    p = await project({ "README.md": "base\n" });
    const doc = await runWhile(() => {
      const hook = join(p.repo.root, ".git", "hooks", "post-checkout");
      writeFileSync(hook, "#!/bin/sh\n");
      chmodSync(hook, 0o755);
      p.repo.git(["commit", "-q", "--allow-empty", "-m", "mine"]);
    }, "required");
    expect(doc.status).toBe("blocked");
    const events = p.ledger(doc.runId);
    expect(ofKind(events, "RepoTampered").map((e) => e.data["changes"])).toEqual([
      ["hook post-checkout added"],
    ]);
    expect(ofKind(events, "OutsideChanged").map((e) => e.data["changes"])).toEqual([
      [expect.stringMatching(/^refs\/heads\/main moved /)],
    ]);
  });

  it("the gate workspace's setup, which runs the agent's tree, cannot move a ref when confined; unconfined the move blocks", async () => {
    // The setup moves a ref of the repository, as install scripts of a dependency the agent chose could.
    const files = {
      "README.md": "base\n",
      "setup.mjs": `import { execFileSync } from "node:child_process";
const common = execFileSync("git", ["rev-parse", "--path-format=absolute", "--git-common-dir"], { encoding: "utf8" }).trim();
const head = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
execFileSync("git", ["--git-dir", common, "update-ref", "refs/heads/moved-by-setup-" + Date.now(), head]);
`,
      ".omk/config.toml": '[workspace]\nsetup = [["node", "setup.mjs"]]\n',
    };
    // The run's worktree is set up first, on the base's tree (the person's, unconfined): that one ref is theirs.
    const moved = () =>
      p.repo
        .git(["for-each-ref", "--format=%(refname)", "refs/heads/"])
        .split("\n")
        .filter((r) => r.includes("moved-by-setup")).length;
    p = await project(files);
    const confined = await runWhile(() => {}, "required");
    // The sandbox stopped it: the gate workspace's setup failed (read-only refs), nothing to blame.
    expect(confined.status).toBe("not_ready");
    const events = p.ledger(confined.runId);
    const setups = ofKind(events, "GateWorkspaceReady");
    expect(setups.length).toBeGreaterThan(0);
    for (const e of setups) expect(e.data["ok"]).toBe(false);
    expect(ofKind(events, "RepoTampered")).toEqual([]);
    expect(moved()).toBe(1);
    await p.cleanup();

    p = await project(files);
    const open = await runWhile(() => {}, "off");
    expect(open.status).toBe("blocked");
    const tampered = ofKind(p.ledger(open.runId), "RepoTampered").flatMap(
      (e) => e.data["changes"] as string[],
    );
    expect(tampered).toEqual([expect.stringMatching(/^refs\/heads\/moved-by-setup-\d+ created at /)]);
    expect(moved()).toBe(2);
  });

  it("confined, a setup that ran on the agent's tree ran confined too: the person's later changes are still noted, not blocking", async () => {
    p = await project({
      "README.md": "base\n",
      ".omk/config.toml": '[workspace]\nsetup = [["node", "-e", "0"]]\n',
    });
    const doc = await runWhile(personCommitsAndEdits, "required", { failFirst: true });
    expect(doc.status).toBe("ready");
    const events = p.ledger(doc.runId);
    expect(ofKind(events, "RepoTampered")).toEqual([]);
    expect(ofKind(events, "OutsideChanged").map((e) => e.data["attempt"])).toEqual([2]);
  });

  it("attack, confined: object alternates, the one fingerprinted file the agent can write (objects/ is writable), still block", async () => {
    p = await project({ "README.md": "base\n" });
    const agent = p.script(
      "alternates",
      `import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const common = execFileSync("git", ["rev-parse", "--path-format=absolute", "--git-common-dir"], { encoding: "utf8" }).trim();
writeFileSync("a.txt", "ok\\n");
mkdirSync(join(common, "objects", "info"), { recursive: true });
writeFileSync(join(common, "objects", "info", "alternates"), "/elsewhere/objects\\n");
`,
    );
    const { doc } = await p.execRun(agent, { args: ["--sandbox", "required"] });
    expect(doc.status).toBe("blocked");
    const events = p.ledger(doc.runId);
    expect(ofKind(events, "Confinement").map((e) => e.data["mode"])).toEqual(["bwrap"]);
    expect(ofKind(events, "RepoTampered").map((e) => e.data["changes"])).toEqual([
      [".git/objects/info/alternates added"],
    ]);
    expect(ofKind(events, "OutsideChanged")).toEqual([]);
  });
});
