import { appendFile, chmod, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { Clock } from "../../../src/core/clock.js";
import {
  chainEvents,
  GENESIS_HASH,
  HEAD_FILE,
  HEAD_RECORD_BYTES,
  serializeEvent,
} from "../../../src/store/ledger/format.js";
import { readLedger, verifyLedger } from "../../../src/store/ledger/read.js";
import { Ledger } from "../../../src/store/ledger/writer.js";
import { tempDir, withUmask0 } from "./tmp-dir.js";

const RUN = "run-test";

async function mode(p: string): Promise<number> {
  return (await stat(p)).mode & 0o777;
}

function fixedClock(iso: string): Clock {
  return { now: () => new Date(iso), monotonicMs: () => 0 };
}

describe("Ledger append/read", () => {
  it("round-trips events and chains them from the zero hash", async () => {
    const dir = await tempDir();
    const ledger = await Ledger.open(dir, { runId: RUN, clock: fixedClock("2025-01-02T03:04:05.678Z") });
    const a = await ledger.append({ kind: "RunStarted", data: { task: "fix it" } });
    const b = await ledger.append({ kind: "AgentStarted", actor: "kimi", data: { model: "k2" } });
    const c = await ledger.append({ kind: "RunFinished" });
    await ledger.close();

    expect([a.seq, b.seq, c.seq]).toEqual([1, 2, 3]);
    expect(a.prev).toBe(GENESIS_HASH);
    expect(b.prev).toBe(a.hash);
    expect(c.prev).toBe(b.hash);
    expect(a).toMatchObject({ v: 1, run: RUN, actor: "omk", ts: "2025-01-02T03:04:05.678Z" });
    expect(b.actor).toBe("kimi");
    expect(c.data).toEqual({});

    const { events, verify } = await readLedger(dir);
    expect(events).toEqual([a, b, c]);
    expect(verify).toEqual({ ok: true, events: 3, headHash: c.hash, problems: [] });

    const text = await readFile(path.join(dir, "events.jsonl"), "utf8");
    expect(text).toBe(`${[a, b, c].map(serializeEvent).join("\n")}\n`);
    const head = JSON.parse(await readFile(path.join(dir, HEAD_FILE), "utf8"));
    expect(head).toEqual({ seq: 3, hash: c.hash, size: Buffer.byteLength(text) });
  });

  it("continues the chain after close and reopen", async () => {
    const dir = await tempDir();
    const first = await Ledger.open(dir, { runId: RUN });
    const a = await first.append({ kind: "One" });
    await first.close();
    const second = await Ledger.open(dir, { runId: RUN });
    expect(second.head).toEqual({ seq: 1, hash: a.hash });
    const b = await second.append({ kind: "Two" });
    await second.close();
    expect(b).toMatchObject({ seq: 2, prev: a.hash });
    expect((await verifyLedger(dir)).ok).toBe(true);
  });

  it("returns exactly the event a reader will parse (plain JSON data)", async () => {
    const dir = await tempDir();
    const ledger = await Ledger.open(dir, { runId: RUN });
    const when = new Date("2025-05-05T05:05:05.000Z");
    const ev = await ledger.append({ kind: "X", data: { when, gone: undefined, list: [1, "two", null] } });
    await ledger.close();
    expect(ev.data).toEqual({ when: when.toISOString(), list: [1, "two", null] });
    expect((await readLedger(dir)).events[0]).toEqual(ev);
  });

  it("redacts data before hashing and writing", async () => {
    const dir = await tempDir();
    const secret = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
    const redact = (v: Record<string, unknown>) =>
      JSON.parse(JSON.stringify(v).replaceAll(secret, "[REDACTED]")) as Record<string, unknown>;
    const ledger = await Ledger.open(dir, { runId: RUN, redact });
    const ev = await ledger.append({ kind: "AgentEvent", data: { text: `token is ${secret}` } });
    await ledger.close();
    expect(ev.data).toEqual({ text: "token is [REDACTED]" });
    expect(await readFile(path.join(dir, "events.jsonl"), "utf8")).not.toContain(secret);
    const [recomputed] = chainEvents({ seq: 0, hash: GENESIS_HASH }, [
      {
        id: ev.id,
        ts: ev.ts,
        run: ev.run,
        kind: ev.kind,
        actor: ev.actor,
        data: { text: "token is [REDACTED]" },
      },
    ]);
    expect(recomputed!.hash).toBe(ev.hash);
    expect((await verifyLedger(dir)).ok).toBe(true);
  });

  it("rejects an unserializable event without harming the next one", async () => {
    const dir = await tempDir();
    const ledger = await Ledger.open(dir, { runId: RUN });
    await expect(ledger.append({ kind: "Bad", data: { n: 10n } })).rejects.toMatchObject({
      code: "INTERNAL",
    });
    await expect(ledger.append({ kind: "" })).rejects.toMatchObject({ code: "INTERNAL" });
    const ok = await ledger.append({ kind: "Good" });
    await ledger.close();
    expect(ok.seq).toBe(1);
    await expect(ledger.append({ kind: "Late" })).rejects.toMatchObject({ code: "INTERNAL" });
  });

  it("refuses to open a ledger that does not verify", async () => {
    const dir = await tempDir();
    const ledger = await Ledger.open(dir, { runId: RUN });
    await ledger.appendMany([{ kind: "A" }, { kind: "B" }]);
    await ledger.close();
    const file = path.join(dir, "events.jsonl");
    const lines = (await readFile(file, "utf8")).split("\n");
    await writeFile(file, `${lines[1]}\n${lines[0]}\n`);
    await expect(Ledger.open(dir, { runId: RUN })).rejects.toMatchObject({ code: "LEDGER_CORRUPT" });
    // and leaves the evidence untouched
    expect(await readFile(file, "utf8")).toBe(`${lines[1]}\n${lines[0]}\n`);
  });
});

describe("Ledger group commit", () => {
  it("1,000 concurrent appends get seq 1..1000 with far fewer fsyncs", async () => {
    const dir = await tempDir();
    const ledger = await Ledger.open(dir, { runId: RUN });
    const events = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => ledger.append({ kind: "Tick", data: { i } })),
    );
    await ledger.close();

    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(events.map((e) => e.data["i"])).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(ledger.stats.events).toBe(1000);
    expect(ledger.stats.fsyncs).toBe(ledger.stats.batches);
    expect(ledger.stats.fsyncs).toBeLessThan(50);
    const { verify } = await readLedger(dir);
    expect(verify).toMatchObject({ ok: true, events: 1000, headHash: events[999]!.hash });
  });

  it("commits the appends of one tick in one batch, and later ones in the next", async () => {
    const dir = await tempDir();
    const ledger = await Ledger.open(dir, { runId: RUN });
    let firstDone = false;
    const first = ledger.append({ kind: "First" }).then((e) => {
      firstDone = true;
      return e;
    });
    // The batch's write and fsync are synchronous: by the next turn of the loop it is durable.
    await new Promise((resolve) => setImmediate(resolve));
    const durable = firstDone;
    const rest = Array.from({ length: 100 }, (_, i) => ledger.append({ kind: "Later", data: { i } }));
    const all = await Promise.all([first, ...rest]);
    await ledger.close();
    expect(durable).toBe(true);
    expect(ledger.stats.batches).toBe(2);
    expect(ledger.stats.fsyncs).toBe(2);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
  });

  it("keeps an appendMany batch contiguous among concurrent appends", async () => {
    const dir = await tempDir();
    const ledger = await Ledger.open(dir, { runId: RUN });
    const singles = Array.from({ length: 5 }, () => ledger.append({ kind: "Single" }));
    const many = ledger.appendMany([{ kind: "M1" }, { kind: "M2" }, { kind: "M3" }]);
    const more = Array.from({ length: 5 }, () => ledger.append({ kind: "Single" }));
    const [group] = await Promise.all([many, ...singles, ...more]);
    await ledger.close();
    const seqs = (group as { seq: number }[]).map((e) => e.seq);
    expect(seqs[1]! - seqs[0]!).toBe(1);
    expect(seqs[2]! - seqs[1]!).toBe(1);
  });
});

describe("Ledger torn tail", () => {
  it("open() removes a head temp file left by a writer killed mid head-write; the ledger still verifies", async () => {
    const dir = await tempDir();
    const ledger = await Ledger.open(dir, { runId: RUN });
    await ledger.appendMany([{ kind: "A" }, { kind: "B" }]);
    await ledger.close();
    await writeFile(path.join(dir, "events.head.tmp-999999"), '{"seq":');
    const reopened = await Ledger.open(dir, { runId: RUN });
    await reopened.append({ kind: "C" });
    await reopened.close();
    expect((await readdir(dir)).filter((n) => n.includes(".tmp-"))).toEqual([]);
    expect(await readLedger(dir).then((r) => r.verify)).toMatchObject({ ok: true, events: 3, problems: [] });
  });

  it("is reported by readers, quarantined by open(), and the chain continues from the last good event", async () => {
    const dir = await tempDir();
    const file = path.join(dir, "events.jsonl");
    const ledger = await Ledger.open(dir, { runId: RUN });
    const [, , last] = await ledger.appendMany([{ kind: "A" }, { kind: "B" }, { kind: "C" }]);
    await ledger.close();
    const torn = '{"actor":"omk","data":{"half":';
    await appendFile(file, torn);

    const before = await readLedger(dir);
    expect(before.verify.ok).toBe(true);
    expect(before.verify.events).toBe(3);
    expect(before.verify.problems).toEqual([
      expect.objectContaining({ kind: "torn_tail", seq: null, line: 4 }),
    ]);

    const reopened = await withUmask0(() => Ledger.open(dir, { runId: RUN }));
    const quarantined = reopened.recovery.tornTailPath!;
    expect(reopened.recovery.tornBytes).toBe(torn.length);
    expect(path.basename(quarantined)).toMatch(/^events\.jsonl\.torn-\d{8}T\d{9}Z$/);
    expect(await readFile(quarantined, "utf8")).toBe(torn);
    expect(await mode(quarantined)).toBe(0o600);
    expect(reopened.head).toEqual({ seq: 3, hash: last!.hash });
    const next = await reopened.append({ kind: "D" });
    await reopened.close();

    expect(next).toMatchObject({ seq: 4, prev: last!.hash });
    expect(await readLedger(dir).then((r) => r.verify)).toMatchObject({ ok: true, events: 4, problems: [] });
  });

  it("treats a complete-looking last event without its newline as torn (never acknowledged)", async () => {
    const dir = await tempDir();
    const file = path.join(dir, "events.jsonl");
    const ledger = await Ledger.open(dir, { runId: RUN });
    const a = await ledger.append({ kind: "A" });
    await ledger.close();
    const [ghost] = chainEvents({ seq: 1, hash: a.hash }, [
      { id: "evt-ghost", ts: a.ts, run: RUN, kind: "Ghost", actor: "omk", data: {} },
    ]);
    await appendFile(file, serializeEvent(ghost!));

    const reopened = await Ledger.open(dir, { runId: RUN });
    const b = await reopened.append({ kind: "B" });
    await reopened.close();
    expect(b).toMatchObject({ seq: 2, prev: a.hash, kind: "B" });
    const files = await readdir(dir);
    expect(files.filter((f) => f.startsWith("events.jsonl.torn-"))).toHaveLength(1);
    expect((await verifyLedger(dir)).problems).toEqual([]);
  });

  it("accepts a head one batch behind (crash between fsync and head write) and catches it up", async () => {
    const dir = await tempDir();
    const headFile = path.join(dir, HEAD_FILE);
    const ledger = await Ledger.open(dir, { runId: RUN });
    await ledger.append({ kind: "A" });
    const staleHead = await readFile(headFile, "utf8");
    const b = await ledger.append({ kind: "B" });
    await ledger.close();
    await writeFile(headFile, staleHead);

    expect((await verifyLedger(dir)).ok).toBe(true);
    const reopened = await Ledger.open(dir, { runId: RUN });
    await reopened.close();
    expect(JSON.parse(await readFile(headFile, "utf8"))).toMatchObject({ seq: 2, hash: b.hash });
  });
});

describe("Ledger head, overwritten in place", () => {
  it("keeps one fixed-size head file (same inode, no temp files) that always matches the tip", async () => {
    const dir = await tempDir();
    const headFile = path.join(dir, HEAD_FILE);
    const ledger = await Ledger.open(dir, { runId: RUN });
    const inode = (await stat(headFile)).ino;
    let last = await ledger.append({ kind: "A" });
    for (let i = 0; i < 20; i++) {
      last = await ledger.append({ kind: "B", data: { i, pad: "x".repeat(i * 50) } });
      const text = await readFile(headFile, "utf8");
      expect(text.length).toBe(HEAD_RECORD_BYTES);
      expect(JSON.parse(text)).toEqual({
        seq: last.seq,
        hash: last.hash,
        size: (await stat(path.join(dir, "events.jsonl"))).size,
      });
    }
    expect((await stat(headFile)).ino).toBe(inode);
    await ledger.close();
    expect((await readdir(dir)).filter((n) => n.startsWith(`${HEAD_FILE}.`))).toEqual([]);
    expect((await verifyLedger(dir)).ok).toBe(true);
  });

  it("never writes through a symlink swapped in for the head after open", async () => {
    const dir = await tempDir();
    const outside = path.join(await tempDir(), "victim.txt");
    await writeFile(outside, "precious\n");
    const ledger = await Ledger.open(dir, { runId: RUN });
    await ledger.append({ kind: "A" });
    await rm(path.join(dir, HEAD_FILE));
    await symlink(outside, path.join(dir, HEAD_FILE));
    await ledger.append({ kind: "B" });
    await ledger.close();
    expect(await readFile(outside, "utf8")).toBe("precious\n");
    // What was swapped in is not a head of this ledger: readers say so.
    expect((await verifyLedger(dir)).problems.map((p) => p.kind)).toEqual(["head_mismatch"]);
  });
});

describe("Ledger file modes", () => {
  it("creates 0700 dirs and 0600 files even with umask 0, and tightens an old 0644 ledger", async () => {
    const root = await tempDir();
    const dir = path.join(root, "runs", "run-1");
    await withUmask0(async () => {
      const ledger = await Ledger.open(dir, { runId: RUN });
      expect(await mode(path.join(dir, "ledger.lock"))).toBe(0o700);
      expect(await mode(path.join(dir, "ledger.lock.owner"))).toBe(0o600);
      await ledger.append({ kind: "A" });
      await ledger.close();
    });
    expect(await mode(path.join(root, "runs"))).toBe(0o700);
    expect(await mode(dir)).toBe(0o700);
    expect(await mode(path.join(dir, "events.jsonl"))).toBe(0o600);
    expect(await mode(path.join(dir, HEAD_FILE))).toBe(0o600);

    await withUmask0(async () => {
      const loose = path.join(root, "loose");
      await Ledger.open(loose, { runId: RUN }).then((l) => l.close());
      await chmod(path.join(loose, "events.jsonl"), 0o644);
      await Ledger.open(loose, { runId: RUN }).then((l) => l.close());
      expect(await mode(path.join(loose, "events.jsonl"))).toBe(0o600);
    });
  });
});
