import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OmkError } from "../../../src/core/errors.js";
import { isSafeAgentPath, resolveSafePath, sanitizeName } from "../../../src/security/paths.js";

describe("sanitizeName", () => {
  it.each([
    ["Fix the login bug!", "Fix-the-login-bug"],
    ["café crème", "cafe-creme"],
    ["../../etc/passwd", "etc-passwd"],
    [".hidden", "hidden"],
    ["--force", "force"],
    ["release.lock", "release"],
    ["a..b", "a.b"],
    ["trailing.", "trailing"],
    ["con", "_con"],
    ["NUL.txt", "_NUL.txt"],
    ["feature/x y", "feature-x-y"],
  ])("%j → %j", (input, expected) => {
    expect(sanitizeName(input)).toBe(expected);
  });

  it("falls back when nothing is left, sanitizing the fallback too", () => {
    expect(sanitizeName("")).toBe("unnamed");
    expect(sanitizeName("!!!", "task")).toBe("task");
    expect(sanitizeName("...", "../x")).toBe("x");
    expect(sanitizeName("@@", "@@")).toBe("unnamed");
  });

  it("caps the length at 64 without leaving a bad ending", () => {
    // Cut at 64 the name would end in ".lock", which git refuses.
    expect(sanitizeName(`${"a".repeat(59)}.lockxyz`)).toBe("a".repeat(59));
    expect(sanitizeName(`${"b".repeat(63)}.x`)).toBe("b".repeat(63));
    expect(sanitizeName("c".repeat(100))).toHaveLength(64);
  });

  it("produces names git accepts as branch components", () => {
    const inputs = [
      "Fix: the @{upstream} thing",
      "a.lock",
      "-x-",
      "..",
      "~^:?*[\\",
      "  ",
      "ÄÖÜ",
      "x".repeat(300),
    ];
    for (const input of inputs) {
      const ref = `omk/run/${sanitizeName(input)}`;
      expect(() =>
        execFileSync("git", ["check-ref-format", "--branch", ref], { stdio: "pipe" }),
      ).not.toThrow();
    }
  });
});

describe("isSafeAgentPath", () => {
  it.each([
    ["src/index.ts", "src/index.ts"],
    ["./src//lib/./a.ts", "src/lib/a.ts"],
    ["docs/", "docs"],
    ["a/~b/c", "a/~b/c"],
    ["notes/.env.example", "notes/.env.example"],
    ["src/git.ts", "src/git.ts"],
    ["données/été.md", "données/été.md"],
    ["...", "..."],
  ])("accepts %j as %j", (input, expected) => {
    expect(isSafeAgentPath(input)).toEqual({ ok: true, path: expected });
  });

  it.each([
    ["", "empty"],
    ["/etc/passwd", "absolute"],
    ["//server/share/x", "absolute"],
    ["C:/Windows/x", "drive"],
    ["c:x", "drive"],
    ["\\\\server\\share", "backslash"],
    ["src\\x.ts", "backslash"],
    ["~/x", "~"],
    ["~root/x", "~"],
    ["a/../b", ".."],
    ["..", ".."],
    ["a/b/..", ".."],
    ["a\0b", "control"],
    ["a\nb", "control"],
    ["a\x7fb", "control"],
    ["a\u202eb", "invisible"],
    [".g\u200cit/config", "invisible"],
    [".git/config", ".git"],
    [".GIT/HEAD", ".git"],
    [".github/workflows/ci.yml", ".git"],
    ["sub/.gitignore", ".git"],
    [".gitmodules", ".git"],
    [".gitlab-ci.yml", ".git"],
    ["GIT~1/config", ".git"],
    ["./", "no file"],
    ["/", "absolute"],
    [`${"a".repeat(256)}/b`, "255"],
    [`${"a/".repeat(2049)}b`, "4096"],
    ["a\ud800b", "surrogate"],
  ])("rejects %j (%s)", (input, why) => {
    const verdict = isSafeAgentPath(input);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason.toLowerCase()).toContain(why.toLowerCase());
  });

  it("counts bytes, not characters, against the limits", () => {
    expect(isSafeAgentPath("é".repeat(127)).ok).toBe(true);
    expect(isSafeAgentPath("é".repeat(128)).ok).toBe(false);
  });
});

describe("resolveSafePath", () => {
  let base: string;
  let root: string;
  let outside: string;

  beforeAll(() => {
    base = realpathSync(mkdtempSync(join(tmpdir(), "omk-paths-")));
    root = join(base, "root");
    outside = join(base, "outside");
    mkdirSync(join(root, "src", "deep"), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(root, "src", "a.ts"), "x");
    writeFileSync(join(outside, "secret.txt"), "s");
    symlinkSync(outside, join(root, "out-dir"));
    symlinkSync(join(outside, "secret.txt"), join(root, "out-file"));
    symlinkSync(join(base, "nowhere"), join(root, "dangling"));
    symlinkSync(join(root, "src"), join(root, "in-dir"));
    symlinkSync("../../..", join(root, "src", "deep", "up"));
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  async function refusal(rel: string): Promise<OmkError> {
    const error = await resolveSafePath(root, rel).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OmkError);
    const omk = error as OmkError;
    expect(omk.code).toBe("UNSAFE_PATH");
    expect(omk.hint).toBeTruthy();
    return omk;
  }

  it("resolves existing and not-yet-existing paths inside the root", async () => {
    expect(await resolveSafePath(root, "src/a.ts")).toBe(join(root, "src", "a.ts"));
    expect(await resolveSafePath(root, "src/new/file.ts")).toBe(join(root, "src", "new", "file.ts"));
    expect(await resolveSafePath(root, "")).toBe(root);
    expect(await resolveSafePath(root, "src/../src/a.ts")).toBe(join(root, "src", "a.ts"));
    expect(await resolveSafePath(root, "in-dir/a.ts")).toBe(join(root, "src", "a.ts"));
  });

  it("refuses lexical escapes", async () => {
    await refusal("../outside/secret.txt");
    await refusal("src/../../outside");
    await refusal(join(outside, "secret.txt"));
  });

  it("refuses escapes through symlinks, existing or not yet existing below them", async () => {
    expect((await refusal("out-dir/secret.txt")).message).toContain("symlink");
    await refusal("out-dir/new-file");
    await refusal("out-file");
    await refusal("src/deep/up/outside/secret.txt");
  });

  it("refuses a dangling symlink, which a write would follow", async () => {
    expect((await refusal("dangling")).message).toContain("does not exist");
    await refusal("dangling/child");
  });

  it("refuses NUL bytes and overlong paths", async () => {
    await refusal("a\0b");
    await refusal("a/".repeat(3000));
  });

  it("refuses a root that does not exist", async () => {
    const error = await resolveSafePath(join(base, "missing-root"), "x").catch((e: unknown) => e);
    expect((error as OmkError).code).toBe("UNSAFE_PATH");
  });
});

describe("sanitizeName regressions", () => {
  it("is idempotent on names that only become reserved once trimmed", async () => {
    const { sanitizeName } = await import("../../../src/security/paths.js");
    for (const input of ["con\u0000", "con-", "nul.", "aux.lock", "com1--"]) {
      const once = sanitizeName(input);
      expect(once.startsWith("_")).toBe(true);
      expect(sanitizeName(once)).toBe(once);
    }
  });
});
