import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redactText, redactTextOnce, StreamRedactor } from "../../../src/security/redact.js";
import { anySecret, DELIMITERS, noise, SHAPES, textWithSecrets } from "./secret-arbitraries.js";

const RUNS = { numRuns: 10_000 };
const HOLD_LIMIT = 4096;

/** Cut `text` at the given (arbitrary) positions. */
function split(text: string, cuts: readonly number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(text.slice(from, p));
    from = p;
  }
  chunks.push(text.slice(from));
  return chunks;
}

function streamed(chunks: readonly string[], onHeld?: (held: number) => void): string {
  const redactor = new StreamRedactor();
  let out = "";
  for (const chunk of chunks) {
    out += redactor.push(chunk);
    onHeld?.(redactor.held);
  }
  return out + redactor.flush();
}

const anyText = fc.oneof(
  noise,
  textWithSecrets.map((t) => t.text),
  fc
    .array(
      fc.oneof(
        noise,
        anySecret.map((s) => s.text),
      ),
      { maxLength: 6 },
    )
    .map((parts) => parts.join("")),
);

describe("redactor properties", () => {
  it("is idempotent on arbitrary text, planted secrets and tricky fragments", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const once = redactText(text);
        expect(redactText(once)).toBe(once);
      }),
      RUNS,
    );
  });

  it("removes every planted secret of every shape from surrounding random text", () => {
    fc.assert(
      fc.property(textWithSecrets, ({ text, planted }) => {
        const out = redactText(text);
        for (const p of planted) expect(out, p.kind).not.toContain(p.secret);
      }),
      RUNS,
    );
  });

  it("catches each shape on its own between any delimiters", () => {
    for (const [name, shape] of Object.entries(SHAPES)) {
      fc.assert(
        fc.property(
          shape,
          fc.constantFrom(...DELIMITERS),
          fc.constantFrom(...DELIMITERS),
          (s, left, right) => {
            expect(redactText(`${left}${s.text}${right}`), name).not.toContain(s.secret);
          },
        ),
        { numRuns: 1_000 },
      );
    }
  });

  it("streams to exactly the first whole-text round for any split points (= redactText when one round suffices)", () => {
    fc.assert(
      fc.property(anyText, fc.array(fc.nat(), { maxLength: 8 }), (text, cuts) => {
        const out = streamed(split(text, cuts));
        const once = redactTextOnce(text);
        expect(out).toBe(once);
        if (redactTextOnce(once) === once) expect(out).toBe(redactText(text));
      }),
      RUNS,
    );
  });

  it("needs a single round for text whose secrets sit between delimiters", () => {
    fc.assert(
      fc.property(textWithSecrets, ({ text }) => {
        const once = redactTextOnce(text);
        expect(redactText(text)).toBe(once);
      }),
      RUNS,
    );
  });

  it("streams secrets split one character at a time and never holds back more than 4 KiB", () => {
    fc.assert(
      fc.property(textWithSecrets, ({ text, planted }) => {
        let maxHeld = 0;
        const out = streamed([...text], (held) => {
          maxHeld = Math.max(maxHeld, held);
        });
        expect(out).toBe(redactTextOnce(text));
        for (const p of planted) expect(out).not.toContain(p.secret);
        // An open PEM block may be held up to its cap; everything else stays within the bound.
        if (!text.includes("-----BEGIN")) expect(maxHeld).toBeLessThanOrEqual(HOLD_LIMIT);
      }),
      { numRuns: 10_000 },
    );
  });
});

describe("a secret split across two lines of agent output", () => {
  it("stays redacted when the lines reach the redactor in two calls, and the first call leaks none of it", () => {
    fc.assert(
      fc.property(
        anySecret,
        fc.constantFrom("export TOKEN=", "agent: using ", '{"key": "', "> "),
        fc.nat(),
        (s, before, at) => {
          const text = `${before}${s.text}\n`;
          const cut = before.length + 1 + (at % s.text.length);
          const stream = new StreamRedactor();
          const first = stream.push(text.slice(0, cut));
          const out = first + stream.push(text.slice(cut)) + stream.flush();
          expect(out).toBe(redactTextOnce(text));
          expect(out).not.toContain(s.secret);
          const head = s.secret.slice(0, Math.min(12, s.secret.length));
          expect(first).not.toContain(head);
        },
      ),
      RUNS,
    );
  });

  it("keeps a PEM key redacted when each of its lines is its own call", () => {
    const body = [
      "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
      "qhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7MIIEvQIBADANBgk",
    ];
    const lines = ["-----BEGIN PRIVATE KEY-----", ...body, "-----END PRIVATE KEY-----", "done"];
    const stream = new StreamRedactor();
    const out = lines.map((line) => stream.push(`${line}\n`)).join("") + stream.flush();
    expect(out).toBe("[REDACTED]\ndone\n");
  });
});
