import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { setMatcher } from "../../../src/goal/globs.js";
import { type GoalTask, validateProposals } from "../../../src/goal/proposals.js";
import { isSafeAgentPath, sanitizeName } from "../../../src/security/paths.js";

const IDS = ["a", "b", "c", "d", "e", "f", "task-1", "task_2", "api.v2"];

/** Ways a planner can smuggle a publishing intent past a naive word match. */
const INTENTS = [
  "push",
  "git push origin main",
  "PUBLISH",
  "npm_publish",
  "gitPush",
  "then Deploy it",
  "cut a release",
  "released",
  "tag v1.2.3",
  "Tagging",
  "upload the build",
  "pu\u200bsh",
  "p\u00adublish",
  "р\u0443sh", // Cyrillic р and у
  "dерlоy", // Cyrillic е, р, о
  "ｐｕｓｈ", // full-width
  "pùsh",
  "p.u.s.h",
  "d e p l o y",
  "up-load",
  "re\u202elease",
];

const BENIGN_TEXT = [
  "Add a slugify helper",
  "Fix the off-by-one in the pager",
  "Write tests for the parser",
  "Rename the stage variable in storage",
  "Document the vintage config format",
  "Refactor the user service",
];

/** Paths a task may name; each passes the path policy and the glob syntax rule. */
const SAFE_PATHS = [
  "src/a.ts",
  "src/**",
  "**/*.ts",
  "docs/*.md",
  "test/x.test.ts",
  "README.md",
  "lib/?.js",
  "@types/x",
];

/** Paths no accepted task may carry. */
const HOSTILE_PATHS = [
  "../etc/passwd",
  "/etc/passwd",
  ".git/config",
  ".GIT/hooks/pre-commit",
  ".github/workflows/ci.yml",
  "src/../../x",
  "C:/x",
  "~/x",
  "{.git,src}/**",
  "[.]git/config",
  "@(.git)/**",
  "!src/**",
  "src/\u200b.git/x",
  "a\u0000b",
  "a\\b",
  "git~1/config",
  "",
  "./",
  "x".repeat(600),
  "src/a**b",
];

/** Protected: a task may read them, never write them. */
const PROTECTED_PATHS = [
  ".omk/gates.toml",
  ".kimi/mcp.json",
  ".mcp.json",
  ".omk/**",
  ".claude/settings.json",
];

/** Where a hostile write set would do harm: no accepted write set may match any of them. */
const TARGETS = [
  ".git/config",
  ".git/hooks/pre-commit",
  ".github/workflows/ci.yml",
  ".omk/gates.toml",
  ".kimi/mcp.json",
];

const hostileId = fc.constantFrom(
  "",
  "../x",
  "a/b",
  "con",
  ".hidden",
  "A",
  "B",
  "x".repeat(70),
  "a b",
  "-a",
  "é",
);
const anyId = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...IDS) },
  { weight: 1, arbitrary: hostileId },
);

const text = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...BENIGN_TEXT) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...BENIGN_TEXT), fc.constantFrom(...INTENTS))
      .map(([t, i]) => `${t} and ${i}`),
  },
);
const path = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SAFE_PATHS) },
  { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_PATHS, ...PROTECTED_PATHS) },
);

const proposal = fc.record({
  id: anyId,
  title: text,
  prompt: text,
  deps: fc.array(fc.oneof(fc.constantFrom(...IDS), hostileId), { maxLength: 3 }),
  read_set: fc.array(path, { maxLength: 3 }),
  write_set: fc.array(path, { maxLength: 3 }),
});
const task = fc.oneof(
  { weight: 12, arbitrary: proposal },
  { weight: 1, arbitrary: fc.anything() },
  { weight: 1, arbitrary: proposal.map((p) => ({ ...p, deps: "a" })) },
);

function acyclic(tasks: readonly GoalTask[]): boolean {
  const remaining = new Map(tasks.map((t) => [t.id, new Set(t.deps)]));
  for (let progress = true; progress; ) {
    progress = false;
    for (const [id, deps] of remaining) {
      if ([...deps].every((d) => !remaining.has(d))) {
        remaining.delete(id);
        progress = true;
      }
    }
  }
  return remaining.size === 0;
}

function containsIntent(s: string): boolean {
  return INTENTS.some((i) => s.includes(i));
}

describe("proposal validation properties", () => {
  it("accepts no task with an unsafe path, a publishing intent, a duplicate id, an unknown dep or a cycle (10,000 hostile sets)", () => {
    fc.assert(
      fc.property(fc.array(task, { minLength: 1, maxLength: 12 }), (tasks) => {
        const { accepted, rejected } = validateProposals(tasks);
        expect(accepted.length + rejected.length).toBe(tasks.length);
        const ids = accepted.map((t) => t.id.toLowerCase());
        expect(new Set(ids).size).toBe(ids.length);
        const known = new Set(accepted.map((t) => t.id));
        const writes = accepted.map((t) => setMatcher(t.writeSet));
        for (const t of accepted) {
          expect(sanitizeName(t.id)).toBe(t.id);
          expect(containsIntent(t.title) || containsIntent(t.prompt)).toBe(false);
          for (const d of t.deps) expect(known.has(d)).toBe(true);
          expect(t.writeSet.length).toBeGreaterThan(0);
          for (const p of [...t.readSet, ...t.writeSet]) {
            expect(isSafeAgentPath(p).ok).toBe(true);
            expect(HOSTILE_PATHS).not.toContain(p);
          }
          for (const p of t.writeSet) expect(PROTECTED_PATHS).not.toContain(p);
        }
        for (const m of writes) for (const target of TARGETS) expect(m(target)).toBe(false);
        expect(acyclic(accepted)).toBe(true);
      }),
      { numRuns: 10_000 },
    );
  });

  it("accepts every task of a well-formed plan (no false rejections)", () => {
    const plan = fc
      .array(
        fc.record({
          title: fc.constantFrom(...BENIGN_TEXT),
          prompt: fc.constantFrom(...BENIGN_TEXT),
          read_set: fc.array(fc.constantFrom(...SAFE_PATHS), { maxLength: 3 }),
          write_set: fc.array(fc.constantFrom(...SAFE_PATHS), { minLength: 1, maxLength: 3 }),
          depMask: fc.array(fc.boolean(), { maxLength: 20 }),
        }),
        { minLength: 1, maxLength: 20 },
      )
      .map((ts) =>
        ts.map(({ depMask, ...t }, i) => ({
          ...t,
          id: `t${i}`,
          // Only earlier tasks: a DAG by construction.
          deps: depMask.slice(0, i).flatMap((on, j) => (on ? [`t${j}`] : [])),
        })),
      );
    fc.assert(
      fc.property(plan, (tasks) => {
        const r = validateProposals(tasks);
        expect(r.rejected).toEqual([]);
        expect(r.accepted.map((t) => t.id)).toEqual(tasks.map((t) => t.id));
      }),
      { numRuns: 2_000 },
    );
  });
});
