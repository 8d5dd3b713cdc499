import { z } from "zod";
import { OmkError } from "../core/errors.js";
import { isSafeAgentPath, sanitizeName } from "../security/paths.js";
import { protectionRules } from "../security/protected.js";
import { globSyntaxProblem } from "./globs.js";
import { publishingIntent } from "./intent.js";

/**
 * A planner's task proposals are untrusted input: the planner is an agent, and its answer decides
 * what other agents are told to do and which files they may touch. Every task passes these rules or
 * is rejected with the rule that fired; a task that depends on a rejected one is rejected too, so
 * the accepted tasks always form a closed, acyclic set.
 */

export const LIMITS = {
  tasks: 100,
  idChars: 64,
  titleChars: 200,
  promptBytes: 32 * 1024,
  deps: 64,
  setEntries: 256,
  pathChars: 512,
  documentBytes: 4 * 1024 * 1024,
} as const;

export const REJECTION_RULES = [
  "schema",
  "id_unsafe",
  "id_duplicate",
  "dep_unknown",
  "dep_rejected",
  "cycle",
  "publishing_intent",
  "path_unsafe",
  "path_protected",
  "write_set_empty",
] as const;
export type RejectionRule = (typeof REJECTION_RULES)[number];

export interface GoalTask {
  id: string;
  title: string;
  prompt: string;
  deps: string[];
  readSet: string[];
  writeSet: string[];
}

export interface TaskRejection {
  /** The proposed id as given (cut to a printable length), or `#<index>` when there is none. */
  id: string;
  index: number;
  rule: RejectionRule;
  detail: string;
}

export interface ValidatedPlan {
  accepted: GoalTask[];
  rejected: TaskRejection[];
}

const TaskSchema = z.object({
  id: z.string().max(LIMITS.idChars * 4),
  title: z.string().min(1).max(LIMITS.titleChars),
  prompt: z
    .string()
    .min(1)
    .refine(
      (s) => Buffer.byteLength(s, "utf8") <= LIMITS.promptBytes,
      `prompt over ${LIMITS.promptBytes} bytes`,
    ),
  deps: z.array(z.string().max(LIMITS.idChars * 4)).max(LIMITS.deps),
  read_set: z.array(z.string().max(LIMITS.pathChars)).max(LIMITS.setEntries),
  write_set: z.array(z.string().max(LIMITS.pathChars)).max(LIMITS.setEntries),
});

const DocumentSchema = z.object({ tasks: z.array(z.unknown()).min(1).max(LIMITS.tasks) });

function planInvalid(message: string, hint: string): OmkError {
  return new OmkError("PLAN_INVALID", message, { hint });
}

/** Parses the planner's text as the `{"tasks": [...]}` document; throws PLAN_INVALID naming why. */
export function parsePlanText(text: string): unknown[] {
  if (Buffer.byteLength(text, "utf8") > LIMITS.documentBytes) {
    throw planInvalid(`the plan is over ${LIMITS.documentBytes} bytes`, "ask for fewer, smaller tasks");
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw planInvalid(
      `the plan is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
      'the plan must be one JSON document {"tasks": [...]}',
    );
  }
  return parsePlanDocument(doc);
}

export function parsePlanDocument(doc: unknown): unknown[] {
  const r = DocumentSchema.safeParse(doc);
  if (!r.success) {
    throw planInvalid(
      `the plan is not a {"tasks": [...]} document with 1 to ${LIMITS.tasks} tasks: ${z.prettifyError(r.error)}`,
      'the plan must be one JSON document {"tasks": [{"id", "title", "prompt", "deps", "read_set", "write_set"}]}',
    );
  }
  return r.data.tasks;
}

function shown(text: string): string {
  const cut = JSON.stringify(text.slice(0, 80));
  return text.length > 80 ? `${cut.slice(0, -1)}…"` : cut;
}

/** Judges each proposed task; `protect` is gates.toml's `protect` of the base (globs only count). */
export function validateProposals(tasks: readonly unknown[], protect: readonly string[] = []): ValidatedPlan {
  const rejected = new Map<number, TaskRejection>();
  const parsed: (GoalTask | null)[] = [];
  const protection = protectionRules(protect, []);
  const reject = (index: number, id: string, rule: RejectionRule, detail: string) => {
    if (!rejected.has(index))
      rejected.set(index, { id: id === "" ? `#${index}` : shown(id), index, rule, detail });
  };

  tasks.forEach((raw, index) => {
    const r = TaskSchema.safeParse(raw);
    if (!r.success) {
      const id = typeof raw === "object" && raw !== null && typeof (raw as { id?: unknown }).id === "string";
      reject(index, id ? String((raw as { id: string }).id) : "", "schema", z.prettifyError(r.error));
      parsed.push(null);
      return;
    }
    const t = r.data;
    parsed.push({
      id: t.id,
      title: t.title,
      prompt: t.prompt,
      deps: t.deps,
      readSet: t.read_set,
      writeSet: t.write_set,
    });
    const problem = taskProblem(t.id, t.title, t.prompt, t.read_set, t.write_set, protection);
    if (problem) reject(index, t.id, problem.rule, problem.detail);
  });

  // Ids compared case-insensitively: on macOS `Fix` and `fix` would be one branch file.
  const byKey = new Map<string, number[]>();
  parsed.forEach((t, i) => {
    if (t === null) return;
    const key = t.id.toLowerCase();
    byKey.set(key, [...(byKey.get(key) ?? []), i]);
  });
  for (const [, idx] of byKey) {
    if (idx.length < 2) continue;
    for (const i of idx) reject(i, parsed[i]!.id, "id_duplicate", `id is shared by ${idx.length} tasks`);
  }
  parsed.forEach((t, i) => {
    if (t === null) return;
    const unknown = t.deps.filter((d) => !hasExact(parsed, d));
    if (unknown.length > 0) reject(i, t.id, "dep_unknown", `unknown deps: ${unknown.map(shown).join(", ")}`);
  });

  rejectCycles(parsed, rejected, reject);
  propagate(parsed, rejected, reject);

  const accepted = parsed.filter((t, i): t is GoalTask => t !== null && !rejected.has(i));
  return { accepted, rejected: [...rejected.values()].sort((a, b) => a.index - b.index) };
}

function hasExact(parsed: readonly (GoalTask | null)[], id: string): boolean {
  return parsed.some((t) => t !== null && t.id === id);
}

function taskProblem(
  id: string,
  title: string,
  prompt: string,
  readSet: readonly string[],
  writeSet: readonly string[],
  protection: ReturnType<typeof protectionRules>,
): { rule: RejectionRule; detail: string } | null {
  if (id === "" || id.length > LIMITS.idChars || sanitizeName(id, "") !== id) {
    return {
      rule: "id_unsafe",
      detail: `id must be 1–${LIMITS.idChars} of [A-Za-z0-9._-], as sanitizeName keeps it`,
    };
  }
  const intent = publishingIntent(title) ?? publishingIntent(prompt);
  if (intent !== null) {
    return {
      rule: "publishing_intent",
      detail: `"${intent}": tasks change files; omk lands and publishes nothing`,
    };
  }
  for (const [name, set] of [
    ["read_set", readSet],
    ["write_set", writeSet],
  ] as const) {
    for (const p of set) {
      const verdict = isSafeAgentPath(p);
      if (!verdict.ok) return { rule: "path_unsafe", detail: `${name} ${shown(p)}: ${verdict.reason}` };
      const syntax = globSyntaxProblem(p);
      if (syntax !== null) return { rule: "path_unsafe", detail: `${name} ${shown(p)}: ${syntax}` };
    }
  }
  if (writeSet.length === 0)
    return { rule: "write_set_empty", detail: "a task must name the files it may change" };
  for (const p of writeSet) {
    const glob = protection.globFor(p);
    if (glob !== null) {
      return {
        rule: "path_protected",
        detail: `write_set ${shown(p)} is protected (${glob}); agents may not change it`,
      };
    }
  }
  return null;
}

type Reject = (index: number, id: string, rule: RejectionRule, detail: string) => void;

/** Every task on a dependency cycle (self-loops included) among the tasks still standing. */
function rejectCycles(
  parsed: readonly (GoalTask | null)[],
  rejected: Map<number, TaskRejection>,
  reject: Reject,
) {
  const index = new Map<string, number>();
  parsed.forEach((t, i) => {
    if (t !== null && !rejected.has(i)) index.set(t.id, i);
  });
  const edges = (i: number) =>
    parsed[i]!.deps.map((d) => index.get(d)).filter((j): j is number => j !== undefined);
  const onCycle: number[] = [];
  for (const start of index.values()) {
    // Reachability back to `start` over deps; n ≤ 100 tasks, so a walk per task is cheap.
    const seen = new Set<number>();
    const stack = edges(start);
    while (stack.length > 0) {
      const j = stack.pop()!;
      if (j === start) {
        onCycle.push(start);
        break;
      }
      if (seen.has(j)) continue;
      seen.add(j);
      stack.push(...edges(j));
    }
  }
  for (const i of onCycle) reject(i, parsed[i]!.id, "cycle", "the task depends on itself through its deps");
}

/** A task whose dep was rejected cannot run: reject it too, until nothing changes. */
function propagate(
  parsed: readonly (GoalTask | null)[],
  rejected: Map<number, TaskRejection>,
  reject: Reject,
) {
  const idx = new Map<string, number>();
  parsed.forEach((t, i) => {
    if (t !== null) idx.set(t.id, i);
  });
  for (let changed = true; changed; ) {
    changed = false;
    parsed.forEach((t, i) => {
      if (t === null || rejected.has(i)) return;
      const bad = t.deps.find((d) => {
        const j = idx.get(d);
        return j === undefined || rejected.has(j);
      });
      if (bad !== undefined) {
        reject(i, t.id, "dep_rejected", `depends on rejected task ${shown(bad)}`);
        changed = true;
      }
    });
  }
}
