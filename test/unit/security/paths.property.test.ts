import { lstat, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OmkError } from "../../../src/core/errors.js";
import { isSafeAgentPath, resolveSafePath, sanitizeName } from "../../../src/security/paths.js";

const RUNS = { numRuns: 10_000 };

/** A component that the policy allows: no control chars, no backslash, not "."/"..", not .git*, not git~N. */
const safeComponent = fc
  .string({ unit: fc.constantFrom(..."abcXYZ019_-.~ é"), minLength: 1, maxLength: 12 })
  .filter((c) => c !== "." && c !== ".." && !c.toLowerCase().startsWith(".git") && !/^git~[0-9]+$/i.test(c));
const safePath = fc
  .array(safeComponent, { minLength: 1, maxLength: 6 })
  .filter((parts) => !parts[0]?.startsWith("~") && !/^[A-Za-z]:/.test(parts[0] ?? ""));

const gitName = fc
  .tuple(
    fc.constantFrom(".git", ".GIT", ".Git", ".github", ".gitignore", ".gitmodules", ".gitlab-ci.yml"),
    fc.string({ maxLength: 4 }),
  )
  .map(([g, tail]) => g + tail.replace(/[/\\\x00-\x1f\x7f]/g, ""));

/** One hostile ingredient; the property plants it somewhere in an otherwise safe path. */
const hostile = fc.oneof(
  fc.constant(".."),
  gitName,
  fc.integer({ min: 0, max: 0x1f }).map((c) => `a${String.fromCharCode(c)}b`),
  fc.constant("a\x7fb"),
  fc.constant("a\\b"),
  fc.constant("a\u202eb"),
  fc.constant("GIT~1"),
  fc.constant("x".repeat(256)),
);
const hostilePrefix = fc.constantFrom("/", "//", "~", "~/", "C:", "c:/", "\\\\srv\\", "/tmp/");

describe("path policy properties", () => {
  it("rejects every path with a hostile component, wherever it sits", () => {
    fc.assert(
      fc.property(safePath, hostile, fc.nat(), (parts, bad, at) => {
        const i = at % (parts.length + 1);
        const withBad = [...parts.slice(0, i), bad, ...parts.slice(i)].join("/");
        expect(isSafeAgentPath(withBad).ok).toBe(false);
      }),
      RUNS,
    );
  });

  it("rejects absolute, home-relative, drive and UNC paths", () => {
    fc.assert(
      fc.property(hostilePrefix, safePath, (prefix, parts) => {
        expect(isSafeAgentPath(prefix + parts.join("/")).ok).toBe(false);
      }),
      RUNS,
    );
  });

  it("accepts safe paths and round-trips them, ignoring empty and . components", () => {
    fc.assert(
      fc.property(safePath, fc.array(fc.constantFrom("", ".", "./"), { maxLength: 3 }), (parts, noise) => {
        const joined = parts.join("/");
        const verdict = isSafeAgentPath(joined);
        expect(verdict).toEqual({ ok: true, path: joined });
        const noisy = parts.map((p, i) => (noise[i] === undefined ? p : `${p}/${noise[i]}`)).join("/");
        expect(isSafeAgentPath(noisy)).toEqual({ ok: true, path: joined });
        if (verdict.ok) expect(isSafeAgentPath(verdict.path)).toEqual(verdict);
      }),
      RUNS,
    );
  });

  it("sanitizeName always yields a safe, stable ref component", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 120 }), (input) => {
        const name = sanitizeName(input);
        expect(name).toMatch(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/);
        expect(name).not.toContain("..");
        expect(name.toLowerCase().endsWith(".lock")).toBe(false);
        expect(name.endsWith(".")).toBe(false);
        expect(sanitizeName(input)).toBe(name);
        expect(sanitizeName(name)).toBe(name);
        expect(isSafeAgentPath(name)).toEqual({ ok: true, path: name });
      }),
      RUNS,
    );
  });
});

describe("resolveSafePath never escapes", () => {
  let base: string;
  let root: string;

  beforeAll(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), "omk-paths-prop-")));
    root = join(base, "root");
    await mkdir(join(root, "a", "b"), { recursive: true });
    await mkdir(join(base, "outside"));
    await writeFile(join(root, "a", "file.txt"), "x");
    await symlink(join(base, "outside"), join(root, "link-out"));
    await symlink(join(root, "a"), join(root, "link-in"));
    await symlink(join(base, "gone"), join(root, "dangling"));
    await symlink("../../..", join(root, "a", "b", "up"));
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  const piece = fc.constantFrom(
    "..",
    ".",
    "",
    "a",
    "b",
    "file.txt",
    "link-out",
    "link-in",
    "dangling",
    "up",
    "new",
    "~",
    "\0",
    "%2e%2e",
    "..\\..",
    "outside",
  );
  /** Built inside the test: base and root only exist once beforeAll has run. */
  const relPaths = (): fc.Arbitrary<string> =>
    fc.oneof(
      fc.array(piece, { maxLength: 7 }).map((parts) => parts.join("/")),
      fc
        .tuple(fc.constantFrom("/", base, `${root}/`, `${root}/a/`), fc.array(piece, { maxLength: 4 }))
        .map(([p, parts]) => p + parts.join("/")),
      fc.string({ unit: "binary", maxLength: 20 }),
    );

  /** The deepest existing ancestor of `p`, as the kernel would resolve it. */
  async function deepestExisting(p: string): Promise<string> {
    for (let cur = p; ; cur = dirname(cur)) {
      try {
        await lstat(cur);
        return await realpath(cur);
      } catch {
        if (dirname(cur) === cur) return cur;
      }
    }
  }

  it("returns only paths inside realpath(root), or refuses with UNSAFE_PATH", async () => {
    const realRoot = await realpath(root);
    await fc.assert(
      fc.asyncProperty(relPaths(), async (r) => {
        let resolved: string;
        try {
          resolved = await resolveSafePath(root, r);
        } catch (error) {
          expect(error).toBeInstanceOf(OmkError);
          expect((error as OmkError).code).toBe("UNSAFE_PATH");
          return;
        }
        const inside = (p: string) => {
          const rel = relative(realRoot, p);
          return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
        };
        expect(inside(resolved)).toBe(true);
        expect(resolved.startsWith(realRoot + sep) || resolved === realRoot).toBe(true);
        expect(inside(await deepestExisting(resolved))).toBe(true);
      }),
      RUNS,
    );
  });
});
