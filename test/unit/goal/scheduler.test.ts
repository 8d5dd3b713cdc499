import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DagTask, TaskDag } from "../../../src/goal/dag.js";
import { Scheduler, simulate } from "../../../src/goal/scheduler.js";

const task = (
  id: string,
  deps: string[] = [],
  writeSet = [`src/${id}.ts`],
  readSet: string[] = [],
): DagTask => ({
  id,
  deps,
  readSet,
  writeSet,
});
const unit = () => 1;

describe("TaskDag", () => {
  it("computes the remaining critical path of each task", () => {
    const dag = new TaskDag([task("a"), task("b", ["a"]), task("c", ["b"]), task("d", ["a"])], unit);
    expect(dag.criticalPath).toEqual([3, 2, 1, 1]);
    expect(dag.longestPath()).toBe(3);
    expect(dag.totalWork()).toBe(4);
  });

  it("refuses a cycle and an unknown dep (validation lets neither through)", () => {
    expect(() => new TaskDag([task("a", ["b"]), task("b", ["a"])])).toThrow(/cycle/);
    expect(() => new TaskDag([task("a", ["zz"])])).toThrow(/unknown/);
  });

  it("sees conflicts between write sets and read sets, in both directions", () => {
    const dag = new TaskDag([
      task("a", [], ["src/**"]),
      task("b", [], ["src/x.ts"]),
      task("c", [], ["docs/x.md"], ["src/*.ts"]),
      task("d", [], ["test/x.ts"], ["docs/**"]),
    ]);
    expect(dag.conflict(0, 1)).toBe(true);
    expect(dag.conflict(0, 2)).toBe(true);
    expect(dag.conflict(2, 0)).toBe(true);
    expect(dag.conflict(1, 3)).toBe(false);
    expect(dag.conflict(2, 3)).toBe(true);
  });
});

describe("Scheduler", () => {
  it("starts only ready tasks, longest critical path first", () => {
    const dag = new TaskDag(
      [task("short"), task("long"), task("after", ["long"]), task("last", ["after"])],
      unit,
    );
    const s = new Scheduler(dag);
    expect(s.pick(1)).toEqual(["long"]);
    expect(s.pick(5)).toEqual(["short"]);
    expect(s.phase("after")).toBe("waiting");
    s.integrated("long");
    expect(s.pick(5)).toEqual(["after"]);
  });

  it("never starts a task whose files overlap a running task's", () => {
    const dag = new TaskDag(
      [task("a", [], ["src/**"]), task("b", [], ["src/b.ts"]), task("c", [], ["docs/c.md"])],
      unit,
    );
    const s = new Scheduler(dag);
    const first = s.pick(3);
    expect(first).toHaveLength(2);
    expect(first).toContain("c");
    expect(s.blockedByConflict).toHaveLength(1);
    const waiting = first.includes("a") ? "b" : "a";
    s.integrated(first.find((x) => x !== "c")!);
    expect(s.pick(3)).toEqual([waiting]);
  });

  it("is deterministic given a seed", () => {
    const tasks = Array.from({ length: 30 }, (_, i) => task(`t${i}`));
    const order = (seed: number) => new Scheduler(new TaskDag(tasks, unit), seed).pick(30);
    expect(order(7)).toEqual(order(7));
    expect(order(7)).not.toEqual(order(8));
  });

  it("requeues a running task and drops a task with its dependants", () => {
    const s = new Scheduler(new TaskDag([task("a"), task("b", ["a"]), task("c", ["b"]), task("d")], unit));
    expect(s.pick(2).sort()).toEqual(["a", "d"]);
    s.requeue("a");
    expect(s.phase("a")).toBe("ready");
    expect(s.drop("a").sort()).toEqual(["a", "b", "c"]);
    s.integrated("d");
    expect(s.finished).toBe(true);
  });

  it("in simulation, conflicting tasks never overlap in time and every dep finishes first", () => {
    const files = ["src/**", "src/a.ts", "docs/*.md", "docs/x.md", "test/**", "lib/*", "lib/y.js"];
    const plan = fc
      .array(
        fc.record({
          write: fc.subarray(files, { minLength: 1, maxLength: 2 }),
          read: fc.subarray(files, { maxLength: 2 }),
          depMask: fc.array(fc.boolean(), { maxLength: 12 }),
          d: fc.integer({ min: 1, max: 9 }),
        }),
        { minLength: 1, maxLength: 12 },
      )
      .map((ts) =>
        ts.map((t, i) => ({
          ...task(
            `t${i}`,
            t.depMask.slice(0, i).flatMap((on, j) => (on ? [`t${j}`] : [])),
            t.write,
            t.read,
          ),
          d: t.d,
        })),
      );
    fc.assert(
      fc.property(plan, fc.integer({ min: 1, max: 4 }), (tasks, k) => {
        const dag = new TaskDag(tasks, (t) => (t as (typeof tasks)[number]).d);
        const run = simulate(dag, k, (id) => tasks.find((t) => t.id === id)!.d);
        for (let a = 0; a < tasks.length; a++) {
          const sa = run.spans.get(tasks[a]!.id)!;
          for (const d of tasks[a]!.deps) expect(run.spans.get(d)!.end).toBeLessThanOrEqual(sa.start);
          for (let b = a + 1; b < tasks.length; b++) {
            const sb = run.spans.get(tasks[b]!.id)!;
            if (dag.conflict(a, b)) expect(sa.end <= sb.start || sb.end <= sa.start).toBe(true);
          }
        }
        expect(run.makespan).toBeGreaterThanOrEqual(Math.max(dag.longestPath(), dag.totalWork() / k) - 1e-9);
      }),
      { numRuns: 2_000 },
    );
  });
});
