import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { commitStaged } from "../../../src/git/commit.js";
import { stageAndDiff } from "../../../src/git/diff.js";
import { fastForwardTo, mergeInto, mergeTreeCheck } from "../../../src/git/merge.js";
import { applyPatch, writePatch, writeTreePatch } from "../../../src/git/patch.js";
import { headCommit } from "../../../src/git/refs.js";
import { discardChanges, isDirty, statusPorcelain } from "../../../src/git/repo.js";
import { git, gitGuardReads } from "../../../src/git/runner.js";
import {
  checkoutTreeClean,
  commitsSince,
  commitTree,
  diffTrees,
  setBranch,
  snapshotTree,
  treeOf,
} from "../../../src/git/snapshot.js";
import {
  addDetachedWorktree,
  addWorktree,
  attachWorktree,
  removeWorktree,
} from "../../../src/git/worktree.js";
import { caught, makeRepo, makeTempDir, runGit, type TestRepo } from "../../helpers/git-repo.js";

/**
 * Everything the agent can plant in the repository — hooks, fsmonitor, filter/diff/merge drivers,
 * gpg, editors, a remote for lazy fetches, includes, config.worktree, a repository inside a
 * submodule path — is a script that appends to a marker file. Each test first shows plain git
 * running the plant (so the test is not vacuous), then runs omk's wrappers and expects them to succeed
 * with the marker still empty.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function repo(files: Record<string, string> = { "a.txt": "a\n", "b.txt": "b\n" }): Promise<TestRepo> {
  const r = await makeRepo(files);
  cleanups.push(r.cleanup);
  return r;
}

interface Plant {
  /** An executable script that logs its name and arguments to the marker (and reads no stdin: a transport would wait forever). */
  script: string;
  /** Lines logged so far. */
  fired(): string[];
  reset(): void;
  /** Copy the script to `path` (a hook). */
  copyTo(path: string): void;
}

function plant(): Plant {
  const dir = makeTempDir("omk-plant-");
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const marker = join(dir, "marker");
  const body = `#!/bin/sh\nprintf '%s\\n' "$0 $*" >> '${marker}'\n`;
  const script = join(dir, "evil.sh");
  writeFileSync(script, body);
  chmodSync(script, 0o755);
  return {
    script,
    fired: () => (existsSync(marker) ? readFileSync(marker, "utf8").split("\n").filter(Boolean) : []),
    reset: () => rmSync(marker, { force: true }),
    copyTo: (path) => {
      mkdirSync(join(path, ".."), { recursive: true });
      writeFileSync(path, body);
      chmodSync(path, 0o755);
    },
  };
}

/** Plain git (not omk's runner) must run the plant: proves the plant is live. */
function control(p: Plant, cwd: string, args: string[]): void {
  try {
    runGit(cwd, args);
  } catch {
    // Many plants make the command fail too; only the marker matters.
  }
  expect(p.fired().length).toBeGreaterThan(0);
  p.reset();
}

const HOOKS = [
  "pre-commit",
  "prepare-commit-msg",
  "commit-msg",
  "post-commit",
  "pre-merge-commit",
  "post-merge",
  "post-checkout",
  "post-rewrite",
  "reference-transaction",
  "post-index-change",
  "pre-auto-gc",
];

describe("nothing the repository configures runs inside omk", () => {
  it("hooks: neither .git/hooks nor a configured core.hooksPath", async () => {
    const r = await repo();
    const base = r.git(["rev-parse", "HEAD"]);
    r.write({ "b.txt": "main\n" });
    const mainHead = r.commitAll("main moves on");
    const p = plant();
    const planted = join(makeTempDir("omk-hooks-"), "hooks");
    for (const h of HOOKS) {
      p.copyTo(join(r.root, ".git", "hooks", h));
      p.copyTo(join(planted, h));
    }
    control(p, r.root, ["update-ref", "refs/heads/control", "HEAD"]);
    r.git(["-c", "core.hooksPath=/dev/null", "config", "core.hooksPath", planted]);
    control(p, r.root, ["update-ref", "refs/heads/control2", "HEAD"]);

    const wt = join(r.root, ".omk", "worktrees", "run");
    await addWorktree(r.root, wt, "omk/run/x", base);
    r.write({ "a.txt": "run\n" }, wt);
    const tree = await snapshotTree(wt, base, join(r.root, "..", "snap.index"));
    const commit = await commitTree(r.root, tree, base, "run change");
    await setBranch(r.root, "omk/run/x", commit, "omk: judged");
    await stageAndDiff(wt, base);
    await commitStaged(wt, "agent-style commit");
    const gates = join(r.root, ".omk", "worktrees", "gates-0");
    await addDetachedWorktree(r.root, gates, "HEAD");
    await checkoutTreeClean(gates, tree, []);
    const merged = await mergeInto(r.root, "omk/run/x", { ffOnly: false, message: "land" });
    expect(merged.fastForward).toBe(false);
    await removeWorktree(r.root, gates, { force: true });
    await removeWorktree(r.root, wt, { force: true });
    await attachWorktree(r.root, wt, "omk/run/x");
    expect(p.fired()).toEqual([]);
    expect(r.git(["rev-parse", "HEAD^1"])).toBe(mainHead);
  });

  it("fsmonitor", async () => {
    const r = await repo();
    const p = plant();
    r.git(["config", "core.fsmonitor", p.script]);
    control(p, r.root, ["status", "--porcelain"]);
    r.write({ "a.txt": "changed\n" });
    expect((await isDirty(r.root)).entries).toEqual([" M a.txt"]);
    expect((await statusPorcelain(r.root)).entries.map((e) => e.path)).toEqual(["a.txt"]);
    await snapshotTree(r.root, "HEAD", join(r.root, "..", "snap.index"));
    await discardChanges(r.root);
    expect(p.fired()).toEqual([]);
  });

  it("filter drivers (clean, smudge, process; required), from info/attributes and .gitattributes", async () => {
    const r = await repo();
    const base = r.git(["rev-parse", "HEAD"]);
    const p = plant();
    for (const k of ["clean", "smudge", "process"]) r.git(["config", `filter.ev.${k}`, p.script]);
    r.git(["config", "filter.ev.required", "true"]);
    writeFileSync(join(r.root, ".git", "info", "attributes"), "*.txt filter=ev\n");
    r.write({ "a.txt": "touched\n" });
    control(p, r.root, ["add", "a.txt"]);
    r.git([
      "-c",
      "filter.ev.process=",
      "-c",
      "filter.ev.clean=",
      "-c",
      "filter.ev.required=false",
      "reset",
      "-q",
    ]);
    p.reset();

    const wt = join(r.root, ".omk", "worktrees", "run");
    await addWorktree(r.root, wt, "omk/run/x", base);
    expect(readFileSync(join(wt, "a.txt"), "utf8")).toBe("a\n");
    r.write({ "a.txt": "run\n", ".gitattributes": "*.md filter=ev\n", "c.md": "# c\n" }, wt);
    const tree = await snapshotTree(wt, base, join(r.root, "..", "snap.index"));
    expect(r.git(["cat-file", "-p", `${tree}:a.txt`])).toBe("run");
    expect((await diffTrees(r.root, base, tree)).files.map((f) => f.path).sort()).toEqual([
      ".gitattributes",
      "a.txt",
      "c.md",
    ]);
    const gates = join(r.root, ".omk", "worktrees", "gates-0");
    await addDetachedWorktree(r.root, gates, base);
    await checkoutTreeClean(gates, tree, []);
    expect(readFileSync(join(gates, "c.md"), "utf8")).toBe("# c\n");
    await stageAndDiff(wt, base);
    const patch = join(r.root, "..", "run.patch");
    await writePatch(wt, base, patch);
    await discardChanges(wt);
    await applyPatch(wt, patch);
    await commitStaged(wt, "agent commit");
    await removeWorktree(r.root, gates, { force: true });
    expect(p.fired()).toEqual([]);
  });

  it("diff drivers (textconv, command) and diff.external", async () => {
    const r = await repo();
    const base = r.git(["rev-parse", "HEAD"]);
    r.write({ "a.txt": "two\n" });
    const next = r.commitAll("two");
    const p = plant();
    r.git(["config", "diff.ev.textconv", p.script]);
    r.git(["config", "diff.ev.command", p.script]);
    r.git(["config", "diff.external", p.script]);
    writeFileSync(join(r.root, ".git", "info", "attributes"), "* diff=ev\n");
    control(p, r.root, ["diff", base, next]);
    r.git(["config", "--unset", "diff.external"]);
    control(p, r.root, ["log", "-p", "-1", "--no-ext-diff"]);
    r.git(["config", "diff.external", p.script]);

    expect((await diffTrees(r.root, base, next)).files).toMatchObject([
      { path: "a.txt", added: 1, deleted: 1 },
    ]);
    const patch = join(r.root, "..", "tree.patch");
    await writeTreePatch(r.root, base, next, patch);
    expect(readFileSync(patch, "utf8")).toContain("+two");
    r.write({ "b.txt": "changed\n" });
    await stageAndDiff(r.root, next);
    await writePatch(r.root, next, patch);
    expect(await commitsSince(r.root, base, next)).toHaveLength(1);
    expect(p.fired()).toEqual([]);
  });

  it("merge drivers: a planted driver fails the merge instead of running; merge.default falls back to text", async () => {
    const r = await repo({ "a.txt": "1\n2\n3\n4\n5\n6\n7\n" });
    r.git(["checkout", "-q", "-b", "side"]);
    r.write({ "a.txt": "1\nside\n3\n4\n5\n6\n7\n" });
    const side = r.commitAll("side");
    r.git(["checkout", "-q", "main"]);
    r.write({ "a.txt": "1\n2\n3\n4\n5\n6\nmain\n" });
    const main = r.commitAll("main");
    const p = plant();
    r.git(["config", "merge.ev.driver", `${p.script} %O %A %B`]);
    r.git(["config", "merge.default", "ev"]);
    control(p, r.root, ["merge-tree", "--write-tree", main, side]);

    // Only merge.default names it: omk merges with git's own text merge.
    const clean = await mergeTreeCheck(r.root, main, side);
    expect(clean.clean).toBe(true);
    expect(r.git(["show", `${clean.tree}:a.txt`])).toBe("1\nside\n3\n4\n5\n6\nmain");
    // An attribute names it: refused, with a hint saying why.
    writeFileSync(join(r.root, ".git", "info", "attributes"), "*.txt merge=ev\n");
    const error = await caught(mergeTreeCheck(r.root, main, side));
    expect(error.code).toBe("GIT_FAILED");
    expect(error.hint).toMatch(/never runs programs named in the repository's own git config/);
    expect(p.fired()).toEqual([]);
  });

  it("signing and signature checks: commit.gpgSign, gpg.program, log.showSignature, merge.verifySignatures", async () => {
    const r = await repo();
    const base = r.git(["rev-parse", "HEAD"]);
    const tree = r.git(["rev-parse", "HEAD^{tree}"]);
    // A commit carrying a (bogus) signature, so verification would call gpg.
    const raw = `tree ${tree}\nparent ${base}\nauthor a <a@a> 1 +0000\ncommitter a <a@a> 1 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n\nsigned\n`;
    const rawFile = join(r.root, "..", "commit.txt");
    writeFileSync(rawFile, raw);
    const signed = r.git(["hash-object", "-t", "commit", "-w", rawFile]);
    r.git(["branch", "signed", signed]);
    const p = plant();
    for (const [k, v] of [
      ["commit.gpgSign", "true"],
      ["tag.gpgSign", "true"],
      ["gpg.program", p.script],
      ["gpg.ssh.program", p.script],
      ["log.showSignature", "true"],
      ["merge.verifySignatures", "true"],
    ] as const) {
      r.git(["config", k, v]);
    }
    control(p, r.root, ["log", "-1", "--format=%H", signed]);
    control(p, r.root, ["commit", "--allow-empty", "-qm", "x"]);

    expect(await commitsSince(r.root, base, signed)).toEqual([{ commit: signed, subject: "signed" }]);
    r.write({ "a.txt": "staged\n" });
    r.git(["-c", "commit.gpgSign=false", "add", "a.txt"]);
    expect(await commitStaged(r.root, "unsigned")).not.toBeNull();
    await mergeInto(r.root, "signed", { ffOnly: false, message: "merge signed" });
    await fastForwardTo(r.root, "HEAD");
    expect(p.fired()).toEqual([]);
  });

  it("editors: core.editor and sequence.editor never start", async () => {
    const r = await repo();
    const p = plant();
    r.git(["config", "core.editor", p.script]);
    r.git(["config", "sequence.editor", p.script]);
    control(p, r.root, ["commit", "--allow-empty"]);
    // Without a message git would open the editor; omk's ":" editor leaves the message empty and git refuses.
    const res = await git(r.root)(["commit", "--allow-empty"], { allowFail: true });
    expect(res.code).not.toBe(0);
    expect(p.fired()).toEqual([]);
  });

  it("remotes: a planted promisor remote is never contacted for a missing object", async () => {
    const r = await repo();
    const blob = r.git(["rev-parse", "HEAD:a.txt"]);
    rmSync(join(r.root, ".git", "objects", blob.slice(0, 2), blob.slice(2)));
    const p = plant();
    r.git(["config", "core.repositoryformatversion", "1"]);
    r.git(["config", "extensions.partialClone", "origin"]);
    r.git(["config", "remote.origin.url", `ext::${p.script}`]);
    r.git(["config", "remote.origin.promisor", "true"]);
    r.git(["config", "protocol.ext.allow", "always"]);
    r.git(["config", "protocol.allow", "always"]);
    control(p, r.root, ["cat-file", "-p", blob]);

    const res = await git(r.root)(["cat-file", "-p", blob], { allowFail: true });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/transport 'ext' not allowed/);
    await expect(treeOf(r.root, "HEAD")).resolves.toMatch(/^[0-9a-f]{40}$/);
    expect(p.fired()).toEqual([]);
  });

  it("includeIf aimed at worktree git dirs, and config.worktree, are read for the worktree omk runs in", async () => {
    const r = await repo();
    const base = r.git(["rev-parse", "HEAD"]);
    const p = plant();
    const included = join(makeTempDir("omk-inc-"), "included.cfg");
    writeFileSync(
      included,
      `[filter "inc"]\n\tclean = ${p.script}\n\tsmudge = ${p.script}\n\trequired = true\n`,
    );
    r.git(["config", "includeIf.gitdir:**/worktrees/**.path", included]);
    writeFileSync(join(r.root, ".git", "info", "attributes"), "*.txt filter=inc\n");
    control(p, r.root, ["worktree", "add", "-q", "--detach", join(r.root, "..", "control-wt"), "HEAD"]);

    const wt = join(r.root, ".omk", "worktrees", "run");
    await addWorktree(r.root, wt, "omk/run/x", base);
    expect(readFileSync(join(wt, "a.txt"), "utf8")).toBe("a\n");
    await addDetachedWorktree(r.root, join(r.root, ".omk", "worktrees", "verify-1"), base);
    await removeWorktree(r.root, wt, { force: true });
    await attachWorktree(r.root, wt, "omk/run/x");
    r.write({ "a.txt": "run\n" }, wt);
    await snapshotTree(wt, base, join(r.root, "..", "snap.index"));
    expect(p.fired()).toEqual([]);

    // config.worktree of the run's worktree (worktreeConfig enabled in the shared config).
    r.git(["config", "--unset", "includeIf.gitdir:**/worktrees/**.path"]);
    r.git(["config", "extensions.worktreeConfig", "true"]);
    r.git(["config", "--worktree", "filter.inc.clean", p.script], wt);
    r.git(["config", "--worktree", "filter.inc.required", "true"], wt);
    await snapshotTree(wt, base, join(r.root, "..", "snap.index"));
    await removeWorktree(r.root, wt, { force: true });
    expect(p.fired()).toEqual([]);
  });

  it("git checks a new worktree out itself only under a guard that holds there: not with a config.worktree to copy", async () => {
    const r = await repo();
    const base = r.git(["rev-parse", "HEAD"]);
    const p = plant();
    r.git(["config", "filter.ev.smudge", p.script]);
    r.git(["config", "filter.ev.required", "true"]);
    writeFileSync(join(r.root, ".git", "info", "attributes"), "*.txt filter=ev\n");
    control(p, r.root, ["worktree", "add", "-q", "--detach", join(r.root, "..", "control-1"), "HEAD"]);
    // Past the racy window, so the main work tree's read is cached and stands for new worktrees.
    await sleep(100);
    let reads = gitGuardReads();
    await addWorktree(r.root, join(r.root, ".omk", "worktrees", "a"), "omk/run/a", base);
    expect(gitGuardReads() - reads).toBe(1);
    expect(readFileSync(join(r.root, ".omk", "worktrees", "a", "a.txt"), "utf8")).toBe("a\n");
    expect(p.fired()).toEqual([]);

    // worktree add copies the main work tree's config.worktree into the new one (worktreeConfig on).
    r.git(["config", "extensions.worktreeConfig", "true"]);
    r.git(["config", "--worktree", "filter.wt.smudge", p.script]);
    r.git(["config", "--worktree", "filter.wt.required", "true"]);
    writeFileSync(join(r.root, ".git", "info", "attributes"), "*.txt filter=wt\n");
    control(p, r.root, ["worktree", "add", "-q", "--detach", join(r.root, "..", "control-2"), "HEAD"]);
    await sleep(100);
    reads = gitGuardReads();
    await addWorktree(r.root, join(r.root, ".omk", "worktrees", "b"), "omk/run/b", base);
    await addDetachedWorktree(r.root, join(r.root, ".omk", "worktrees", "c"), base);
    expect(gitGuardReads() - reads).toBe(3);
    expect(readFileSync(join(r.root, ".omk", "worktrees", "c", "a.txt"), "utf8")).toBe("a\n");
    expect(p.fired()).toEqual([]);
  });

  it("a repository the agent made at a submodule path never runs git inside it", async () => {
    const r = await repo();
    const nested = join(makeTempDir("omk-sub-"), "sub");
    mkdirSync(nested);
    runGit(nested, ["init", "-q", "-b", "main"]);
    writeFileSync(join(nested, "f"), "f\n");
    runGit(nested, ["add", "f"]);
    runGit(nested, ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "sub"]);
    const subCommit = runGit(nested, ["rev-parse", "HEAD"]);
    r.git(["update-index", "--add", "--cacheinfo", `160000,${subCommit},sub`]);
    r.git(["commit", "-qm", "add submodule", "--no-verify"]);
    const base = r.git(["rev-parse", "HEAD"]);
    const p = plant();

    // The agent's worktree: the submodule path holds a repository (at the recorded commit, so git
    // would ask it whether it is dirty) with a planted filter.
    const wt = join(r.root, ".omk", "worktrees", "run");
    await addWorktree(r.root, wt, "omk/run/x", base);
    const sub = join(wt, "sub");
    rmSync(sub, { recursive: true, force: true });
    runGit(wt, ["clone", "-q", nested, "sub"]);
    runGit(sub, ["config", "filter.ev.clean", p.script]);
    writeFileSync(join(sub, ".git", "info", "attributes"), "* filter=ev\n");
    const touch = async () => {
      await sleep(1100);
      writeFileSync(join(sub, "f"), "f\n");
    };
    await touch();
    control(p, wt, ["add", "-A"]);
    runGit(wt, ["reset", "-q"]);
    p.reset();
    await touch();

    const snap = join(r.root, "..", "snap.index");
    let tree = await snapshotTree(wt, base, snap);
    expect(r.git(["rev-parse", `${tree}:sub`])).toBe(subCommit);
    expect((await isDirty(wt)).entries).toEqual([]);
    expect((await statusPorcelain(wt)).entries).toEqual([]);
    expect(p.fired()).toEqual([]);
    // The agent commits inside the submodule: the snapshot records its new HEAD.
    writeFileSync(join(sub, "g"), "g\n");
    runGit(sub, ["-c", "filter.ev.clean=", "add", "g"]);
    runGit(sub, [
      "-c",
      "filter.ev.clean=",
      "-c",
      "user.name=t",
      "-c",
      "user.email=t@t",
      "commit",
      "-qm",
      "agent",
    ]);
    const agentSub = runGit(sub, ["rev-parse", "HEAD"]);
    p.reset();
    await touch();
    tree = await snapshotTree(wt, base, snap);
    expect(r.git(["rev-parse", `${tree}:sub`])).toBe(agentSub);
    expect(r.git(["rev-parse", `${tree}:a.txt`])).toBe(r.git(["rev-parse", `${base}:a.txt`]));
    await stageAndDiff(wt, base);
    expect((await isDirty(wt)).entries).toEqual(["M  sub"]);
    expect((await statusPorcelain(wt)).entries.map((e) => e.path)).toEqual(["sub"]);
    await removeWorktree(r.root, wt, { force: true });
    expect(p.fired()).toEqual([]);
  });

  it("removing a worktree without force checks for changes under that worktree's guard", async () => {
    const r = await repo();
    const p = plant();
    const wt = join(r.root, ".omk", "worktrees", "run");
    await addWorktree(r.root, wt, "omk/run/x", "HEAD");
    r.git(["config", "filter.ev.clean", p.script]);
    r.git(["config", "filter.ev.required", "true"]);
    writeFileSync(join(r.root, ".git", "info", "attributes"), "*.txt filter=ev\n");
    await sleep(1100);
    writeFileSync(join(wt, "a.txt"), "a\n");
    control(p, wt, ["status", "--porcelain"]);
    await sleep(1100);
    writeFileSync(join(wt, "a.txt"), "a\n");
    r.write({ "new.txt": "n" }, wt);
    await expect(removeWorktree(r.root, wt)).rejects.toMatchObject({ code: "GIT_FAILED" });
    expect(existsSync(wt)).toBe(true);
    rmSync(join(wt, "new.txt"));
    await removeWorktree(r.root, wt);
    expect(existsSync(wt)).toBe(false);
    expect(p.fired()).toEqual([]);
  });

  it("reads the repository's drivers once, and again as soon as its config changes", async () => {
    const r = await repo();
    r.write({ "a.txt": "changed\n" });
    // Past the window in which a just-written config is re-read on every call (100 ms with
    // nanosecond timestamps, 2 s with whole-second ones).
    await sleep(2100);
    const g = git(r.root);
    await g(["rev-parse", "HEAD"]);
    const before = gitGuardReads();
    for (let i = 0; i < 5; i++) await g(["rev-parse", "HEAD"]);
    expect(gitGuardReads()).toBe(before);

    const p = plant();
    r.git(["config", "filter.late.clean", p.script]);
    r.git(["config", "filter.late.required", "true"]);
    writeFileSync(join(r.root, ".git", "info", "attributes"), "*.txt filter=late\n");
    control(p, r.root, ["diff", "--quiet"]);
    await snapshotTree(r.root, "HEAD", join(r.root, "..", "snap.index"));
    expect(gitGuardReads()).toBeGreaterThan(before);
    expect(p.fired()).toEqual([]);
    expect(await headCommit(r.root)).toMatch(/^[0-9a-f]{40}$/);
  });
});
