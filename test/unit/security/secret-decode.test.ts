import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodersFor } from "../../../src/security/secret-decode.js";

/** Feed `bytes` to the decoders chosen for them, cut at the given points; one output per decoder. */
function decode(bytes: Uint8Array, cuts: readonly number[]): { where: string; texts: string[] } {
  const { where, decoders } = decodersFor(bytes);
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const texts = decoders.map((decoder) => {
    let out = "";
    let from = 0;
    for (const p of [...points, bytes.length]) {
      out += decoder.write(bytes.subarray(from, p));
      from = p;
    }
    return out + decoder.end();
  });
  return { where, texts };
}

const text = fc.string({ unit: "grapheme", maxLength: 200 }).filter((s) => !s.includes("\0"));
const cuts = fc.array(fc.nat(), { maxLength: 8 });

function withBom(s: string, encoding: "utf16le" | "utf16be" | "utf32le" | "utf32be"): Buffer {
  const body = `\ufeff${s}`;
  if (encoding === "utf16le") return Buffer.from(body, "utf16le");
  if (encoding === "utf16be") return Buffer.from(body, "utf16le").swap16();
  const points = [...body].map((c) => c.codePointAt(0) ?? 0);
  const out = Buffer.alloc(points.length * 4);
  points.forEach((cp, i) => {
    if (encoding === "utf32le") out.writeUInt32LE(cp, i * 4);
    else out.writeUInt32BE(cp, i * 4);
  });
  return out;
}

describe("decodersFor", () => {
  it("decodes UTF-8 cut anywhere, even inside a character", () => {
    fc.assert(
      fc.property(text, cuts, (s, c) => {
        expect(decode(Buffer.from(s), c)).toEqual({ where: "content", texts: [s] });
      }),
      { numRuns: 2_000 },
    );
  });

  it("decodes any UTF-8 as Buffer does, replacement characters included, however it is cut", () => {
    // Non-ASCII chunks of 256 bytes or more that are valid UTF-8 go through ICU, the rest through V8:
    // both must agree with Buffer#toString on every byte sequence, valid or not.
    const unit = fc.oneof(
      fc.constantFrom("a", "\u00e9", "\u4e00", "\ud83d\ude00", "\ufeff", "\uffff", "\u2028", "\n"),
      fc.integer({ min: 1, max: 255 }).map((b) => String.fromCharCode(b)),
    );
    const bytes = fc
      .tuple(
        fc.array(unit, { minLength: 100, maxLength: 600 }),
        fc.array(fc.integer({ min: 1, max: 255 }), { maxLength: 4 }),
      )
      .map(([units, junk]) => {
        const valid = Buffer.from(units.join(""), "utf8");
        // Stray bytes anywhere make some chunks invalid UTF-8.
        for (const b of junk) valid[b % Math.max(1, valid.length)] = b;
        return valid;
      })
      .filter((b) => b.indexOf(0) === -1 && !(b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf));
    fc.assert(
      fc.property(bytes, cuts, (b, c) => {
        expect(decode(b, c)).toEqual({ where: "content", texts: [b.toString("utf8")] });
      }),
      { numRuns: 3_000 },
    );
  });

  it.each(["utf16le", "utf16be", "utf32le", "utf32be"] as const)(
    "decodes %s with a BOM cut anywhere",
    (enc) => {
      fc.assert(
        fc.property(text, cuts, (s, c) => {
          expect(decode(withBom(s, enc), c)).toEqual({ where: "content", texts: [s] });
        }),
        { numRuns: 1_000 },
      );
    },
  );

  it("recognises UTF-16 without a BOM by its zero bytes", () => {
    const s = 'const password = "Tr0ub4dor&3";\r\n// ascii-heavy text\r\n';
    expect(decode(Buffer.from(s, "utf16le"), [7])).toEqual({ where: "content", texts: [s] });
    expect(decode(Buffer.from(s, "utf16le").swap16(), [8])).toEqual({ where: "content", texts: [s] });
  });

  it("reads a binary file as its printable runs of 8 or more, however it is cut", () => {
    const run = "token=Zx81kLq0Pm3nVb7R";
    const bytes = Buffer.concat([
      Buffer.from([0, 1, 2, 0xff]),
      Buffer.from(run),
      Buffer.from([0]),
      Buffer.from("short"),
      Buffer.from([7]),
      Buffer.from(run, "utf16le"),
      Buffer.from([0xfe, 3]),
      Buffer.from(run, "utf16le").swap16(),
      Buffer.from([0, 0, 9]),
    ]);
    fc.assert(
      fc.property(cuts, (c) => {
        const { where, texts } = decode(bytes, c);
        expect(where).toBe("strings");
        const runs = texts.flatMap((t) => t.split("\n")).filter((line) => line.length > 0);
        expect(runs.sort()).toEqual([run, run, run].sort());
      }),
      { numRuns: 1_000 },
    );
  });
});
