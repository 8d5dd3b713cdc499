import fc from "fast-check";
import { describe, expect, it } from "vitest";

import {
  chainEvents,
  encodeEvents,
  GENESIS_HASH,
  type LedgerHead,
  toPlainData,
} from "../../../src/store/ledger/format.js";
import { verifyLines } from "../../../src/store/ledger/verify.js";

const NUM_RUNS = 10_000;

/** A valid ledger built in memory through the writer's own format functions. */
const ledgerArb = fc
  .array(
    fc.record({
      kind: fc.constantFrom("RunStarted", "AgentEvent", "GateResult", "ProofWritten"),
      actor: fc.constantFrom("omk", "kimi", "gate"),
      ts: fc.date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true }),
      data: fc.dictionary(
        fc.string({ maxLength: 6 }),
        fc.oneof(fc.string({ unit: "binary", maxLength: 12 }), fc.integer(), fc.jsonValue({ maxDepth: 2 })),
        { maxKeys: 3 },
      ),
    }),
    { minLength: 1, maxLength: 6 },
  )
  .map((rows) => {
    const events = chainEvents(
      { seq: 0, hash: GENESIS_HASH },
      rows.map((r, i) => ({
        id: `evt-${i}`,
        ts: r.ts.toISOString(),
        run: "run-prop",
        kind: r.kind,
        actor: r.actor,
        data: toPlainData(r.data),
      })),
    );
    const bytes = new TextEncoder().encode(encodeEvents(events));
    const last = events.at(-1)!;
    const head: LedgerHead = { seq: last.seq, hash: last.hash, size: bytes.length };
    return { bytes, head, count: events.length };
  });

/** 1-based line number of the byte at `pos`; a line's "\n" belongs to it. */
function lineOf(bytes: Uint8Array, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

function splitLines(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      lines.push(bytes.subarray(start, i + 1));
      start = i + 1;
    }
  }
  return lines;
}

function join(lines: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(lines));
}

type Mutation =
  | { type: "flip"; at: number; delta: number }
  | { type: "delete"; at: number }
  | { type: "swap"; a: number; b: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ type: fc.constant("flip" as const), at: fc.nat(), delta: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ type: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ type: fc.constant("swap" as const), a: fc.nat(), b: fc.nat() }),
);

/** Applies `m` and says which seq verification must name first, and which kinds may explain it. */
function mutate(bytes: Uint8Array, count: number, m: Mutation) {
  if (m.type === "flip") {
    const at = m.at % bytes.length;
    const out = Uint8Array.from(bytes);
    out[at] = (out[at]! + m.delta) % 256;
    const line = lineOf(bytes, at);
    const isNewline = bytes[at] === 0x0a;
    const kinds = isNewline ? ["malformed", "truncated"] : ["edited", "malformed"];
    return { out, seq: line, kinds };
  }
  const lines = splitLines(bytes);
  if (m.type === "delete") {
    const at = m.at % count;
    lines.splice(at, 1);
    return { out: join(lines), seq: at + 1, kinds: [at + 1 === count ? "truncated" : "missing"] };
  }
  const a = m.a % count;
  let b = m.b % count;
  if (a === b) b = (b + 1) % count;
  if (a === b) return null; // a one-event ledger has nothing to swap
  [lines[a], lines[b]] = [lines[b]!, lines[a]!];
  return { out: join(lines), seq: Math.min(a, b) + 1, kinds: ["reordered"] };
}

describe("verifyLines (property)", () => {
  it("accepts every ledger the format functions build", () => {
    fc.assert(
      fc.property(ledgerArb, ({ bytes, head, count }) => {
        const { verify, events } = verifyLines(bytes, head);
        expect(verify.problems).toEqual([]);
        expect(verify.ok).toBe(true);
        expect(events).toHaveLength(count);
      }),
      { numRuns: 2_000 },
    );
  });

  it("detects any single-byte mutation, line deletion or swap, naming the first bad seq", () => {
    fc.assert(
      fc.property(ledgerArb, mutationArb, ({ bytes, head, count }, m) => {
        const mutated = mutate(bytes, count, m);
        fc.pre(mutated !== null);
        const { verify } = verifyLines(mutated!.out, head);
        expect(verify.ok).toBe(false);
        const first = verify.problems[0]!;
        expect(first.seq).toBe(mutated!.seq);
        expect(mutated!.kinds).toContain(first.kind);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
