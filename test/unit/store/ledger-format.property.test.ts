import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  chainEvents,
  GENESIS_HASH,
  hashEvent,
  lineWithoutHash,
  serializeEvent,
} from "../../../src/store/ledger/format.js";

// The writer builds lines field by field for speed; they must be exactly RFC 8785 canonical JSON,
// and the hashed text must be exactly the line minus its hash member.
const jsonData = fc
  .dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
  .map((d) => JSON.parse(JSON.stringify(d)) as Record<string, unknown>);

describe("ledger line format", () => {
  it("field-by-field lines equal canonicalize(event) and hash the line minus its hash member", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        jsonData,
        (kind, actor, run, data) => {
          const [event] = chainEvents({ seq: 0, hash: GENESIS_HASH }, [
            { id: "evt-1", ts: "2026-11-23T09:00:00.000Z", run, kind, actor, data },
          ]);
          const line = serializeEvent(event!);
          expect(line).toBe(canonicalJson(event));
          const { hash: _h, ...withoutHash } = event!;
          const member = lineWithoutHash(line);
          expect(member?.text).toBe(canonicalJson(withoutHash));
          expect(member?.hash).toBe(event!.hash);
          expect(hashEvent(event!)).toBe(event!.hash);
        },
      ),
      { numRuns: 10_000 },
    );
  });
});
