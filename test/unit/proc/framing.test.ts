import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineQueue } from "../../../src/proc/line-queue.js";
import { LineSplitter } from "../../../src/proc/line-splitter.js";
import { TailBuffer, truncationMarker } from "../../../src/proc/tail-buffer.js";

/** Cuts `text` at the given (sorted, deduplicated) positions. */
function chunk(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let from = 0;
  for (const p of points) {
    out.push(text.slice(from, p));
    from = p;
  }
  out.push(text.slice(from));
  return out;
}

function expectedLines(text: string): string[] {
  const parts = text.split("\n");
  if (parts.at(-1) === "") parts.pop();
  return parts.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}

describe("LineSplitter", () => {
  it("frames the same lines however the text is chunked", () => {
    const text = fc.string({ unit: fc.constantFrom("a", "b", " ", "\n", "\r", "é", "🙂") });
    fc.assert(
      fc.property(text, fc.array(fc.nat()), (t, cuts) => {
        const lines: string[] = [];
        const splitter = new LineSplitter((l) => lines.push(l));
        for (const c of chunk(t, cuts)) splitter.push(c);
        splitter.flush();
        expect(lines).toEqual(expectedLines(t));
      }),
    );
  });

  it("strips one CR before LF and emits an unterminated last line on flush", () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l));
    splitter.push("a\r\nb\r");
    splitter.push("\nc");
    expect(lines).toEqual(["a", "b"]);
    splitter.flush();
    expect(lines).toEqual(["a", "b", "c"]);
  });

  it("bounds a line that never ends when a limit is set", () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l), 4);
    splitter.push("abcdefghij");
    splitter.flush();
    expect(lines).toEqual(["abcd", "efgh", "ij"]);
  });
});

describe("TailBuffer", () => {
  it("keeps a byte-capped suffix on a character boundary and marks what it dropped", () => {
    const text = fc.string({ unit: fc.constantFrom("x", "\n", "é", "€", "🙂") });
    fc.assert(
      fc.property(fc.array(text), fc.integer({ min: 1, max: 64 }), (parts, cap) => {
        const tail = new TailBuffer(cap);
        for (const p of parts) tail.append(p);
        const whole = parts.join("");
        const total = Buffer.byteLength(whole);
        const out = tail.text();
        if (total <= cap) {
          expect(out).toBe(whole);
          return;
        }
        const body = out.slice(out.indexOf("\n") + 1);
        const dropped = total - Buffer.byteLength(body);
        expect(out.startsWith(truncationMarker(dropped))).toBe(true);
        expect(whole.endsWith(body)).toBe(true);
        expect(Buffer.byteLength(body)).toBeLessThanOrEqual(cap);
        // At most one character (4 bytes) is lost to the boundary cut.
        expect(Buffer.byteLength(body)).toBeGreaterThan(cap - 4);
      }),
    );
  });
});

describe("LineQueue", () => {
  it("yields buffered and later lines, then ends", async () => {
    const queue = new LineQueue();
    queue.push("a");
    const iterator = queue[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ value: "a", done: false });
    const pending = iterator.next();
    queue.push("b");
    expect(await pending).toEqual({ value: "b", done: false });
    const end = iterator.next();
    queue.end();
    expect(await end).toEqual({ value: undefined, done: true });
  });

  it("drops lines after the consumer stops", async () => {
    const queue = new LineQueue();
    queue.push("a");
    for await (const line of queue) {
      expect(line).toBe("a");
      break;
    }
    queue.push("b");
    expect(() => queue[Symbol.asyncIterator]()).toThrow(/one consumer/);
  });
});
