import { OmkError } from "../core/errors.js";
import { setsOverlap } from "./globs.js";

/** What the scheduler needs of a task: validated proposals (see proposals.ts) carry all of it. */
export interface DagTask {
  id: string;
  deps: readonly string[];
  readSet: readonly string[];
  writeSet: readonly string[];
}

/**
 * The task graph of a goal: indices instead of ids, children lists, a topological order, and each
 * task's remaining critical path (its own estimated duration plus the longest chain of dependants).
 * Conflicts between tasks' file sets are computed lazily and cached: a 1,000-task goal would
 * otherwise pay for a million glob comparisons nobody asks for.
 */
export class TaskDag {
  readonly ids: readonly string[];
  readonly tasks: readonly DagTask[];
  readonly deps: readonly (readonly number[])[];
  readonly children: readonly (readonly number[])[];
  readonly order: readonly number[];
  readonly weight: readonly number[];
  /** Remaining critical path from each task, inclusive of its own weight. */
  readonly criticalPath: readonly number[];
  readonly #conflicts = new Map<number, boolean>();

  constructor(tasks: readonly DagTask[], weight: (t: DagTask) => number = estimateWeight) {
    const index = new Map<string, number>();
    tasks.forEach((t, i) => {
      if (index.has(t.id)) throw new OmkError("INTERNAL", `duplicate task id ${t.id} in a validated plan`);
      index.set(t.id, i);
    });
    this.ids = tasks.map((t) => t.id);
    this.tasks = tasks;
    this.deps = tasks.map((t) =>
      t.deps.map((d) => {
        const j = index.get(d);
        if (j === undefined) throw new OmkError("INTERNAL", `task ${t.id} depends on unknown ${d}`);
        return j;
      }),
    );
    const children: number[][] = tasks.map(() => []);
    this.deps.forEach((ds, i) => {
      for (const d of ds) children[d]!.push(i);
    });
    this.children = children;
    this.order = topoOrder(this.deps, children);
    this.weight = tasks.map((t) => Math.max(weight(t), Number.EPSILON));
    const cp = new Array<number>(tasks.length).fill(0);
    for (let k = this.order.length - 1; k >= 0; k--) {
      const i = this.order[k]!;
      let longest = 0;
      for (const c of children[i]!) longest = Math.max(longest, cp[c]!);
      cp[i] = this.weight[i]! + longest;
    }
    this.criticalPath = cp;
  }

  get size(): number {
    return this.ids.length;
  }

  indexOf(id: string): number {
    const i = this.ids.indexOf(id);
    if (i < 0) throw new OmkError("INTERNAL", `no task ${id} in the goal`);
    return i;
  }

  /** The longest weighted chain of the whole graph: no schedule can be shorter. */
  longestPath(): number {
    let m = 0;
    for (const v of this.criticalPath) m = Math.max(m, v);
    return m;
  }

  totalWork(): number {
    return this.weight.reduce((a, b) => a + b, 0);
  }

  /**
   * Whether tasks `a` and `b` may not run at the same time: either one's write set overlaps the
   * other's read or write set. Symmetric, so the order in which they would start does not matter.
   */
  conflict(a: number, b: number): boolean {
    if (a === b) return true;
    const key = a < b ? a * this.size + b : b * this.size + a;
    let c = this.#conflicts.get(key);
    if (c === undefined) {
      const x = this.tasks[a]!;
      const y = this.tasks[b]!;
      c =
        setsOverlap(x.writeSet, y.writeSet) ||
        setsOverlap(x.writeSet, y.readSet) ||
        setsOverlap(x.readSet, y.writeSet);
      this.#conflicts.set(key, c);
    }
    return c;
  }
}

/**
 * Without history, a task's duration is guessed from its size: a longer prompt and more files to
 * change mean more work. Only the ratios matter (they order the critical paths).
 */
export function estimateWeight(t: DagTask & { prompt?: string }): number {
  const promptKb = (t.prompt?.length ?? 0) / 1024;
  return 1 + Math.log1p(promptKb) + 0.1 * Math.min(t.writeSet.length, 20);
}

function topoOrder(deps: readonly (readonly number[])[], children: readonly (readonly number[])[]): number[] {
  const indegree = deps.map((d) => d.length);
  const queue: number[] = [];
  indegree.forEach((n, i) => {
    if (n === 0) queue.push(i);
  });
  const order: number[] = [];
  for (let head = 0; head < queue.length; head++) {
    const i = queue[head]!;
    order.push(i);
    for (const c of children[i]!) {
      indegree[c]!--;
      if (indegree[c] === 0) queue.push(c);
    }
  }
  if (order.length !== deps.length) throw new OmkError("INTERNAL", "the task graph has a cycle");
  return order;
}
