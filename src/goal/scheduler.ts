import { OmkError } from "../core/errors.js";
import type { TaskDag } from "./dag.js";

export type TaskPhase = "waiting" | "ready" | "running" | "integrated" | "dropped";

/**
 * The goal's scheduler: pure and deterministic given its seed. A task is ready when all its deps are
 * integrated; among ready tasks it picks the longest remaining critical path first (ties by a seeded
 * hash of the id, then the id), and never starts a task that conflicts with a running one (their
 * file sets overlap, see TaskDag.conflict). It decides; the goal runner acts and reports back.
 */
export class Scheduler {
  readonly dag: TaskDag;
  readonly #phase: TaskPhase[];
  readonly #missingDeps: number[];
  readonly #running = new Set<number>();
  /** Ready tasks, kept sorted by priority (highest first). */
  #ready: number[] = [];
  readonly #rank: number[];

  constructor(dag: TaskDag, seed = 0) {
    this.dag = dag;
    this.#phase = dag.ids.map(() => "waiting");
    this.#missingDeps = dag.deps.map((d) => d.length);
    const tie = dag.ids.map((id) => hash32(`${seed}:${id}`));
    const byPriority = dag.ids
      .map((_, i) => i)
      .sort(
        (a, b) =>
          dag.criticalPath[b]! - dag.criticalPath[a]! ||
          tie[a]! - tie[b]! ||
          (dag.ids[a]! < dag.ids[b]! ? -1 : 1),
      );
    this.#rank = new Array<number>(dag.size);
    byPriority.forEach((i, r) => {
      this.#rank[i] = r;
    });
    for (let i = 0; i < dag.size; i++) if (this.#missingDeps[i] === 0) this.#makeReady(i);
  }

  phase(id: string): TaskPhase {
    return this.#phase[this.dag.indexOf(id)]!;
  }

  get running(): string[] {
    return [...this.#running].map((i) => this.dag.ids[i]!);
  }

  /** Every task is integrated or dropped. */
  get finished(): boolean {
    return this.#phase.every((p) => p === "integrated" || p === "dropped");
  }

  /** Ready tasks that cannot start only because of a running task's files. */
  get blockedByConflict(): string[] {
    return this.#ready.filter((i) => this.#conflictsWithRunning(i)).map((i) => this.dag.ids[i]!);
  }

  /**
   * Which tasks to start now, for `free` idle lanes, highest priority first. Marks them running.
   * A ready task that conflicts with a running one (or with one picked in this call) waits.
   */
  pick(free: number): string[] {
    const picked: string[] = [];
    if (free <= 0) return picked;
    const keep: number[] = [];
    for (const i of this.#ready) {
      if (picked.length < free && !this.#conflictsWithRunning(i)) {
        this.#phase[i] = "running";
        this.#running.add(i);
        picked.push(this.dag.ids[i]!);
      } else keep.push(i);
    }
    this.#ready = keep;
    return picked;
  }

  /** Marks a task as running without picking it (resuming a goal whose lane holds it). */
  claim(id: string): void {
    const i = this.dag.indexOf(id);
    if (this.#phase[i] !== "ready")
      throw new OmkError("INTERNAL", `task ${id} is ${this.#phase[i]}, not ready`);
    this.#ready = this.#ready.filter((j) => j !== i);
    this.#phase[i] = "running";
    this.#running.add(i);
  }

  /** A running task is integrated: its dependants may become ready. */
  integrated(id: string): void {
    const i = this.dag.indexOf(id);
    const p = this.#phase[i];
    if (p !== "running" && p !== "ready")
      throw new OmkError("INTERNAL", `task ${id} is ${p}; only a running or ready task can be integrated`);
    if (p === "ready") this.#ready = this.#ready.filter((j) => j !== i);
    this.#running.delete(i);
    this.#phase[i] = "integrated";
    for (const c of this.dag.children[i]!) {
      this.#missingDeps[c]!--;
      if (this.#missingDeps[c] === 0 && this.#phase[c] === "waiting") this.#makeReady(c);
    }
  }

  /** A running task goes back to the ready queue (a retry after a conflict or an expired lease). */
  requeue(id: string): void {
    const i = this.dag.indexOf(id);
    if (this.#phase[i] !== "running") throw new OmkError("INTERNAL", `task ${id} is not running`);
    this.#running.delete(i);
    this.#makeReady(i);
  }

  /** A task that will not be integrated (blocked, failed, cancelled), and everything that needs it. */
  drop(id: string): string[] {
    const dropped: string[] = [];
    const stack = [this.dag.indexOf(id)];
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (this.#phase[i] === "dropped" || this.#phase[i] === "integrated") continue;
      this.#running.delete(i);
      this.#ready = this.#ready.filter((j) => j !== i);
      this.#phase[i] = "dropped";
      dropped.push(this.dag.ids[i]!);
      stack.push(...this.dag.children[i]!);
    }
    return dropped;
  }

  #conflictsWithRunning(i: number): boolean {
    for (const r of this.#running) if (this.dag.conflict(i, r)) return true;
    return false;
  }

  #makeReady(i: number): void {
    this.#phase[i] = "ready";
    const rank = this.#rank[i]!;
    // Binary insertion keeps the queue sorted by rank without re-sorting on every change.
    let lo = 0;
    let hi = this.#ready.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#rank[this.#ready[mid]!]! < rank) lo = mid + 1;
      else hi = mid;
    }
    this.#ready.splice(lo, 0, i);
  }
}

/** FNV-1a: a stable 32-bit tie-break from the seed and the id. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface SimulatedRun {
  makespan: number;
  /** Per task: when it started and finished, in simulated time. */
  spans: Map<string, { start: number; end: number; lane: number }>;
}

/**
 * Runs the schedule in simulated time: `duration(id)` per task, integration instant, K lanes. The
 * bench measures makespans with it; tests check the conflict rule on its spans.
 */
export function simulate(
  dag: TaskDag,
  lanes: number,
  duration: (id: string) => number,
  seed = 0,
): SimulatedRun {
  const s = new Scheduler(dag, seed);
  const spans = new Map<string, { start: number; end: number; lane: number }>();
  const freeLanes = Array.from({ length: lanes }, (_, i) => lanes - 1 - i);
  // Running tasks by finish time; K is small, so a sorted array beats a heap.
  let running: { id: string; end: number; lane: number }[] = [];
  let now = 0;
  for (;;) {
    for (const id of s.pick(freeLanes.length)) {
      const lane = freeLanes.pop()!;
      const end = now + duration(id);
      spans.set(id, { start: now, end, lane });
      running.push({ id, end, lane });
    }
    if (running.length === 0) break;
    running.sort((a, b) => a.end - b.end);
    now = running[0]!.end;
    const done = running.filter((r) => r.end <= now);
    running = running.filter((r) => r.end > now);
    for (const r of done) {
      s.integrated(r.id);
      freeLanes.push(r.lane);
    }
  }
  if (!s.finished) throw new OmkError("INTERNAL", "the simulated schedule stalled");
  return { makespan: now, spans };
}
