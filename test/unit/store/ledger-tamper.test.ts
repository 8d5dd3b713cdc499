import { readFile, rm, truncate, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  chainEvents,
  HEAD_FILE,
  type LedgerEvent,
  serializeEvent,
} from "../../../src/store/ledger/format.js";
import { verifyLedger } from "../../../src/store/ledger/read.js";
import { Ledger } from "../../../src/store/ledger/writer.js";
import { tempDir } from "./tmp-dir.js";

const RUN = "run-tamper";

/** A closed 5-event ledger; each event carries a distinct note so a byte can be flipped inside data. */
async function fiveEvents(): Promise<{ dir: string; file: string; lines: string[]; events: LedgerEvent[] }> {
  const dir = await tempDir();
  const ledger = await Ledger.open(dir, { runId: RUN });
  const events = await ledger.appendMany(
    [1, 2, 3, 4, 5].map((n) => ({ kind: "Step", data: { note: `hello-${n}`, n } })),
  );
  await ledger.close();
  const file = path.join(dir, "events.jsonl");
  const lines = (await readFile(file, "utf8")).split("\n").slice(0, -1);
  return { dir, file, lines, events };
}

async function writeLines(file: string, lines: readonly string[]): Promise<void> {
  await writeFile(file, lines.map((l) => `${l}\n`).join(""));
}

async function firstProblem(dir: string) {
  const verify = await verifyLedger(dir);
  expect(verify.ok).toBe(false);
  return verify.problems[0];
}

describe("ledger tamper detection", () => {
  it("a flipped byte in a line's data → edited at that seq", async () => {
    const { dir, file, lines } = await fiveEvents();
    lines[2] = lines[2]!.replace("hello-3", "jello-3");
    await writeLines(file, lines);
    expect(await firstProblem(dir)).toMatchObject({ kind: "edited", seq: 3, line: 3 });
    expect((await verifyLedger(dir)).events).toBe(2);
  });

  it("a flipped byte that breaks JSON → malformed at that seq", async () => {
    const { dir, file, lines } = await fiveEvents();
    lines[3] = `x${lines[3]!.slice(1)}`;
    await writeLines(file, lines);
    expect(await firstProblem(dir)).toMatchObject({ kind: "malformed", seq: 4, line: 4 });
  });

  it("a deleted line → missing at its seq", async () => {
    const { dir, file, lines } = await fiveEvents();
    lines.splice(1, 1);
    await writeLines(file, lines);
    expect(await firstProblem(dir)).toMatchObject({ kind: "missing", seq: 2, line: 2 });
  });

  it("two swapped lines → reordered at the first", async () => {
    const { dir, file, lines } = await fiveEvents();
    [lines[1], lines[3]] = [lines[3]!, lines[1]!];
    await writeLines(file, lines);
    expect(await firstProblem(dir)).toMatchObject({ kind: "reordered", seq: 2, line: 2 });
  });

  it("a file truncated at a line boundary → truncated after the last line left", async () => {
    const { dir, file, lines } = await fiveEvents();
    await truncate(file, Buffer.byteLength(`${lines.slice(0, 3).join("\n")}\n`));
    expect(await firstProblem(dir)).toMatchObject({ kind: "truncated", seq: 4, line: 4 });
  });

  it("an edited line whose hash was recomputed → caught at the next link", async () => {
    const { dir, file, lines, events } = await fiveEvents();
    const e2 = events[1]!;
    const [forged] = chainEvents({ seq: 1, hash: e2.prev }, [
      { id: e2.id, ts: e2.ts, run: e2.run, kind: e2.kind, actor: e2.actor, data: { note: "forged", n: 2 } },
    ]);
    lines[1] = serializeEvent(forged!);
    await writeLines(file, lines);
    expect(await firstProblem(dir)).toMatchObject({ kind: "edited", seq: 3, line: 3 });
  });

  it("a re-hashed last line → head_mismatch", async () => {
    const { dir, file, lines, events } = await fiveEvents();
    const e5 = events[4]!;
    const [forged] = chainEvents({ seq: 4, hash: e5.prev }, [
      { id: e5.id, ts: e5.ts, run: e5.run, kind: e5.kind, actor: e5.actor, data: { note: "forged", n: 5 } },
    ]);
    lines[4] = serializeEvent(forged!);
    await writeLines(file, lines);
    expect(await firstProblem(dir)).toMatchObject({ kind: "head_mismatch", seq: 5 });
  });

  it("non-canonical bytes that parse to the same event → edited", async () => {
    const { dir, file, lines } = await fiveEvents();
    lines[0] = lines[0]!.replace('"kind":"Step"', '"kind": "Step"');
    await writeLines(file, lines);
    expect(await firstProblem(dir)).toMatchObject({ kind: "edited", seq: 1, line: 1 });
  });

  describe("events.head", () => {
    it("an edited hash → head_mismatch", async () => {
      const { dir, events } = await fiveEvents();
      const headFile = path.join(dir, HEAD_FILE);
      const head = JSON.parse(await readFile(headFile, "utf8"));
      head.hash = events[3]!.hash;
      await writeFile(headFile, JSON.stringify(head));
      expect(await firstProblem(dir)).toMatchObject({ kind: "head_mismatch", seq: 5 });
    });

    it("an edited size → head_mismatch", async () => {
      const { dir } = await fiveEvents();
      const headFile = path.join(dir, HEAD_FILE);
      const head = JSON.parse(await readFile(headFile, "utf8"));
      head.size -= 1;
      await writeFile(headFile, JSON.stringify(head));
      expect(await firstProblem(dir)).toMatchObject({ kind: "head_mismatch", seq: 5 });
    });

    it("a head claiming more events → truncated", async () => {
      const { dir } = await fiveEvents();
      const headFile = path.join(dir, HEAD_FILE);
      const head = JSON.parse(await readFile(headFile, "utf8"));
      head.seq = 6;
      await writeFile(headFile, JSON.stringify(head));
      expect(await firstProblem(dir)).toMatchObject({ kind: "truncated", seq: 6 });
    });

    it("garbage → head_mismatch", async () => {
      const { dir } = await fiveEvents();
      await writeFile(path.join(dir, HEAD_FILE), "{not json");
      expect(await firstProblem(dir)).toMatchObject({ kind: "head_mismatch", seq: null });
    });

    it("missing while events exist → head_mismatch", async () => {
      const { dir } = await fiveEvents();
      await rm(path.join(dir, HEAD_FILE));
      expect(await firstProblem(dir)).toMatchObject({ kind: "head_mismatch" });
    });
  });

  it("an untouched ledger verifies", async () => {
    const { dir, events } = await fiveEvents();
    expect(await verifyLedger(dir)).toEqual({ ok: true, events: 5, headHash: events[4]!.hash, problems: [] });
  });

  it("a missing ledger is an IO_FAILED error, not an empty ledger", async () => {
    const dir = await tempDir();
    await expect(verifyLedger(dir)).rejects.toMatchObject({ code: "IO_FAILED" });
  });
});
