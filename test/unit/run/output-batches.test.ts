import { afterEach, describe, expect, it, vi } from "vitest";
import { type OutputBatch, OutputCoalescer } from "../../../src/run/output-batches.js";

function coalescer(over: Partial<ConstructorParameters<typeof OutputCoalescer>[0]> = {}) {
  const batches: OutputBatch[] = [];
  let now = 0;
  const c = new OutputCoalescer({
    onBatch: (b) => batches.push(b),
    batchBytes: 100,
    batchMs: 1000,
    maxBatches: 5,
    growEvery: 1000,
    sampleChars: 10,
    now: () => now,
    ...over,
  });
  return { c, batches, tick: (ms: number) => (now += ms) };
}

describe("OutputCoalescer", () => {
  afterEach(() => vi.useRealTimers());

  it("emits one batch per batchBytes, counting lines and bytes, with the batch's first characters", () => {
    const { c, batches } = coalescer();
    for (let i = 0; i < 30; i++) c.push(`line ${String(i).padStart(3, "0")}\n`); // 9 bytes each
    expect(batches.map((b) => [b.lines, b.bytes])).toEqual([
      [12, 108],
      [12, 108],
    ]);
    expect(batches[0]?.sample).toBe("line 000\nl");
    expect(batches[1]?.sample).toBe("line 012\nl");
    const totals = c.close();
    expect(batches.at(-1)).toMatchObject({ lines: 6, bytes: 54 });
    expect(totals).toEqual({ lines: 30, bytes: 270, batches: 3, dropped: 0 });
  });

  it("emits a batch that stayed open batchMs, on the next push", () => {
    const { c, batches, tick } = coalescer();
    c.push("a\n");
    tick(500);
    c.push("b\n");
    expect(batches).toEqual([]);
    tick(600);
    c.push("c\n");
    expect(batches).toEqual([{ lines: 3, bytes: 6, sample: "a\nb\nc\n" }]);
  });

  it("emits a quiet batch on a timer", () => {
    vi.useFakeTimers();
    const batches: OutputBatch[] = [];
    const c = new OutputCoalescer({ onBatch: (b) => batches.push(b), batchMs: 1000 });
    c.push("only line\n");
    vi.advanceTimersByTime(999);
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(batches).toEqual([{ lines: 1, bytes: 10, sample: "only line\n" }]);
    c.close();
  });

  it("stops at maxBatches but keeps counting", () => {
    const { c, batches } = coalescer({ maxBatches: 2 });
    for (let i = 0; i < 10; i++) c.push(`${"x".repeat(99)}\n`);
    expect(batches).toHaveLength(2);
    expect(c.close()).toEqual({ lines: 10, bytes: 1000, batches: 2, dropped: 8 });
  });

  it("doubles its thresholds every growEvery batches", () => {
    const { c, batches } = coalescer({ growEvery: 2, maxBatches: 100 });
    for (let i = 0; i < 10; i++) c.push("x".repeat(100));
    // 100, 100, then 200-byte batches
    expect(batches.map((b) => b.bytes)).toEqual([100, 100, 200, 200, 400]);
    c.close();
  });

  it("counts a final unterminated line when the stream closes; nothing after close", () => {
    const { c, batches } = coalescer();
    c.push("no newline");
    expect(c.close()).toEqual({ lines: 1, bytes: 10, batches: 1, dropped: 0 });
    c.push("late\n");
    expect(batches).toEqual([{ lines: 1, bytes: 10, sample: "no newline" }]);
    expect(c.close().bytes).toBe(10);
  });

  it("counts UTF-8 bytes, not characters", () => {
    const { c } = coalescer();
    c.push("é€😀\n");
    expect(c.close()).toMatchObject({ bytes: 2 + 3 + 4 + 1, lines: 1 });
  });
});
