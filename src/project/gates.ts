import { join } from "node:path";
import { detectGates } from "../gates/detect.js";
import { loadGatesFile, parseGatesToml } from "../gates/load.js";
import type { GateSpec } from "../gates/schema.js";
import { type BlobAt, blobsAt } from "../git/export.js";
import { FULL_OID } from "../git/parse.js";

export type Env = Readonly<Record<string, string | undefined>>;

export interface TreeGates {
  gates: GateSpec[];
  /** gates.toml `protect` (empty when detected). */
  protect: string[];
  /** ".omk/gates.toml" or "detected". */
  source: string;
  /** gatesAtCommit: the commit read and its gates.toml blob (null: none there), for the receipt's digest. */
  committed?: { rev: string; blob: BlobAt | null } | undefined;
}

/**
 * gates.toml's blob at each full commit id read in this process. A commit never changes, so the
 * answer is kept: a goal reads its base's gates, and then each run of its first lanes reads them at
 * that same commit again, each with its own git process, while every lane waits to start.
 */
const blobsAtCommit = new Map<string, Promise<BlobAt | null>>();

function gatesBlobAt(root: string, rev: string, file: string): Promise<BlobAt | null> {
  const read = () => blobsAt(root, rev, [file]).then((m) => m.get(file) ?? null);
  if (!FULL_OID.test(rev)) return read();
  const key = `${root}\0${rev}`;
  let blob = blobsAtCommit.get(key);
  if (blob === undefined) {
    blob = read();
    blob.catch(() => blobsAtCommit.delete(key));
    blobsAtCommit.set(key, blob);
  }
  return blob;
}

/** `.omk/gates.toml` of the tree at `dir` when present (errors in it are fatal), otherwise detection. */
export async function gatesForTree(dir: string, env: Env): Promise<TreeGates> {
  const loaded = await loadGatesFile(join(dir, ".omk", "gates.toml"), { env });
  if (loaded.found) return { ...loaded.config, source: ".omk/gates.toml" };
  return { gates: await detectGates(dir, { env }), protect: [], source: "detected" };
}

/**
 * The gates as committed at `rev` — what a run started from `rev` is judged by, whatever the working
 * tree holds now. Without a committed gates.toml, detection (on the checkout at `root`).
 */
export async function gatesAtCommit(root: string, rev: string, env: Env): Promise<TreeGates> {
  const file = ".omk/gates.toml";
  const blob = await gatesBlobAt(root, rev, file);
  const committed = { rev, blob };
  if (blob !== null)
    return {
      ...parseGatesToml(blob.bytes.toString("utf8"), `${rev.slice(0, 12)}:${file}`, { env }),
      source: `${file} at ${rev.slice(0, 12)}`,
      committed,
    };
  return { gates: await detectGates(root, { env }), protect: [], source: "detected", committed };
}
