import { createHash } from "node:crypto";
import { access } from "node:fs/promises";
import { join } from "node:path";
import { VERSION } from "../core/version.js";
import { type BlobAt, blobsAt } from "../git/export.js";
import type { RunJournal } from "../journal/run-journal.js";
import type { RunLocation } from "../project/locate.js";
import type { Project } from "../project/open.js";
import { GATES_FILE } from "../proof/intoto.js";
import { RECEIPT_FILE, writeReceipt } from "../proof/write.js";
import { loadOrCreateSigningKey } from "../store/keys.js";

/**
 * The run's signed receipt, unless it already has one (a resume after a crash between the proof and
 * the receipt writes it then). The gates definition it names is the base commit's, the one that judged.
 */
export async function ensureReceipt(
  journal: RunJournal,
  project: Project,
  loc: RunLocation,
  /** gates.toml as this process already read it at some commit (an immutable object): no second read. */
  known?: { rev: string; blob: BlobAt | null } | undefined,
): Promise<void> {
  if (
    await access(join(loc.dir, RECEIPT_FILE)).then(
      () => true,
      () => false,
    )
  )
    return;
  const base = journal.state.base;
  const blob =
    known !== undefined && known.rev === base
      ? known.blob
      : ((await blobsAt(project.root, base, [GATES_FILE])).get(GATES_FILE) ?? null);
  const key = await loadOrCreateSigningKey(project.dirs);
  await writeReceipt(journal, loc.dir, key, {
    gatesDigest:
      blob === null
        ? null
        : { sha256: createHash("sha256").update(blob.bytes).digest("hex"), gitBlob: blob.oid },
    omkVersion: VERSION,
  });
}
