import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AgentOutputRecorder, type OutputFraming } from "../../../src/run/output.js";
import type { OutputBatch } from "../../../src/run/output-batches.js";

const SECRET = ["ghp", "Zq8xY7wV6uT5sR4qP3oN2mL1kJ0iH9gF8eD7"].join("_");

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "omk-output-"));
  mkdirSync(join(dir, "artifacts"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function recorder(capBytes: number, framing: OutputFraming = "lines", attempt = 1) {
  const batches: OutputBatch[] = [];
  const r = new AgentOutputRecorder({
    runDir: dir,
    attempt,
    capBytes,
    framing,
    onBatch: (b) => batches.push(b),
    batching: { batchMs: 0 },
  });
  return { r, batches, file: () => readFileSync(join(dir, "artifacts", `output-${attempt}.log`), "utf8") };
}

describe("AgentOutputRecorder", () => {
  it("keeps everything under the cap, one line per text event, and names the file with its sha256", () => {
    const { r, file } = recorder(1 << 20);
    r.text("hello");
    r.text("world");
    const saved = r.finish();
    expect(file()).toBe("hello\nworld\n");
    expect(saved).toEqual({
      attempt: 1,
      file: "artifacts/output-1.log",
      sha256: createHash("sha256").update("hello\nworld\n").digest("hex"),
      bytes: 12,
      seenBytes: 12,
      lines: 2,
      cutBytes: 0,
      batches: 1,
    });
    expect(statSync(join(dir, saved.file)).mode & 0o777).toBe(0o600);
  });

  it("keeps the head and the tail past the cap, marks the cut, and leaves no spill files", () => {
    const { r, file, batches } = recorder(8192);
    for (let i = 0; i < 10_000; i++) r.text(`line ${i}`);
    const saved = r.finish();
    const text = file();
    expect(text.startsWith("line 0\nline 1\n")).toBe(true);
    expect(text.endsWith("line 9998\nline 9999\n")).toBe(true);
    const marker = /\[omk: (\d+) bytes of agent output cut here; the head and the tail are kept\]\n/.exec(
      text,
    );
    expect(marker).not.toBeNull();
    expect(Number(marker?.[1])).toBe(saved.cutBytes);
    expect(saved.bytes).toBe(Buffer.byteLength(text));
    expect(saved.seenBytes - saved.cutBytes + marker![0].length).toBe(saved.bytes);
    expect(saved.bytes).toBeLessThanOrEqual(8192 + 200);
    expect(saved.lines).toBe(10_000);
    expect(batches.reduce((n, b) => n + b.lines, 0)).toBe(10_000);
    // Whole lines on both sides of the cut.
    const [head, tail] = text.split(marker![0]);
    expect(head?.endsWith("\n")).toBe(true);
    expect(tail?.split("\n")[0]).toMatch(/^line \d+$/);
    expect(readdirSync(dir).filter((f) => f.includes("tail"))).toEqual([]);
  });

  it("redacts a secret split across two chunks (kimi's deltas) and across text events", () => {
    const { r, file, batches } = recorder(1 << 20, "chunks");
    r.text(`token ${SECRET.slice(0, 10)}`);
    r.text(`${SECRET.slice(10)} end\n`);
    r.text("thought", "thinking");
    r.text("done\n");
    r.finish();
    const text = file();
    expect(text).not.toContain(SECRET.slice(4));
    expect(text).toContain("token [REDACTED] end\n");
    expect(text).toContain("[thinking] thought\ndone\n");
    expect(JSON.stringify(batches)).not.toContain(SECRET.slice(4, 20));
  });

  it("never cuts a multi-byte character", () => {
    const { r, file } = recorder(4096);
    for (let i = 0; i < 2000; i++) r.text("é€😀".repeat(3));
    r.finish();
    expect(file()).not.toContain("\uFFFD");
  });

  it("an attempt started again writes its file over", () => {
    const first = recorder(4096, "lines", 2);
    first.r.text("first try");
    first.r.finish();
    const again = recorder(4096, "lines", 2);
    again.r.text("second");
    const saved = again.r.finish();
    expect(again.file()).toBe("second\n");
    expect(saved.file).toBe("artifacts/output-2.log");
    expect(again.r.finish()).toBe(saved);
  });
});
