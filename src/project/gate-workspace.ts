import { createHash } from "node:crypto";
import { lstat, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { checkoutTreeClean } from "../git/snapshot.js";
import { addDetachedWorktree, pruneWorktrees } from "../git/worktree.js";
import type { Spawner } from "../proc/context.js";
import type { LedgerLock } from "../store/ledger/lock.js";
import { writePrivateFile } from "../store/private-fs.js";
import type { WorkspaceConfig } from "./config-schema.js";
import type { ProjectLocation } from "./locate.js";
import { acquirePoolSlot, poolDirs, removeIdlePool, type SlotRemoval, type WorktreePool } from "./slots.js";
import { prepareWorkspace, type SetupStep } from "./workspace.js";
import { cacheDirsFor, LOCKFILES } from "./workspace-propose.js";

/** The project's gate workspaces; up to 16 at once (one per concurrent run). */
const GATE_WORKSPACES: WorktreePool = {
  prefix: "gates",
  state: "gate-workspaces",
  max: 16,
  what: "gate workspaces",
};

/**
 * A gate workspace: a detached checkout the gates run in, never the agent's worktree. Each evaluation
 * resets it to exactly the tree under judgement (tracked files from the object store, everything
 * else removed but the dependency caches), so nothing the agent left outside the tree — ignored files,
 * its index, its commits — can make a gate pass. Slots are reused across attempts and runs, so
 * `[workspace] setup` (dependency install) runs again only when the lockfiles or the setup changed.
 */
export interface GateWorkspace {
  dir: string;
  /** Reset to exactly `tree`: tracked files from the object store, everything else gone but caches. */
  checkout(tree: string, ws: WorkspaceConfig): Promise<void>;
  /** `[workspace]` copy, link and setup on what is checked out; setup only when its inputs changed. */
  setup(
    ws: WorkspaceConfig,
    o: PrepareOptions,
  ): Promise<{ ok: boolean; detail: string; setupCached: boolean }>;
  /** checkout, then setup. */
  prepare(
    tree: string,
    ws: WorkspaceConfig,
    o: PrepareOptions,
  ): Promise<{ ok: boolean; detail: string; setupCached: boolean }>;
  release(): Promise<void>;
}

/** Who runs a workspace's `[workspace] setup` and its gates (run/confinement.ts confines them). */
export interface WorkspaceSpawners {
  setup: Spawner;
  gates: Spawner;
}

export interface PrepareOptions {
  parentEnv: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal | undefined;
  proc?: Spawner | undefined;
  onStep?: ((s: SetupStep) => void) | undefined;
}

export async function acquireGateWorkspace(project: ProjectLocation, prefer = 0): Promise<GateWorkspace> {
  const slot = await acquirePoolSlot(project, GATE_WORKSPACES, prefer);
  try {
    return await openSlot(project, slot.dir, slot.state, slot.lock);
  } catch (err) {
    await slot.lock.release().catch(() => {});
    throw err;
  }
}

async function openSlot(
  project: ProjectLocation,
  dir: string,
  slotState: string,
  lock: LedgerLock,
): Promise<GateWorkspace> {
  const keyFile = join(slotState, "setup.key");
  if ((await lstat(join(dir, ".git")).catch(() => null)) === null) {
    await mkdir(join(project.root, ".omk", "worktrees"), { recursive: true });
    await pruneWorktrees(project.root).catch(() => {});
    await addDetachedWorktree(project.root, dir, "HEAD");
    await writePrivateFile(keyFile, "");
  }
  const checkout = async (tree: string, ws: WorkspaceConfig): Promise<void> => {
    await checkoutTreeClean(dir, tree, ws.cache ?? (await cacheDirsFor(dir)));
  };
  const setup = async (ws: WorkspaceConfig, o: PrepareOptions) => {
    const key = await setupKey(dir, ws);
    const cached = ws.setup.length > 0 && (await readFile(keyFile, "utf8").catch(() => "")) === key;
    const r = await prepareWorkspace(project.root, dir, cached ? { ...ws, setup: [] } : ws, {
      parentEnv: o.parentEnv,
      signal: o.signal,
      proc: o.proc,
      onStep: o.onStep ?? (() => {}),
    });
    // A failed or interrupted setup must run again next time.
    await writePrivateFile(keyFile, r.ok ? key : "");
    return { ...r, setupCached: cached };
  };
  return {
    dir,
    checkout,
    setup,
    async prepare(tree, ws, o) {
      await checkout(tree, ws);
      return setup(ws, o);
    },
    release: () => lock.release(),
  };
}

/** What the dependency install depends on: the setup commands and the lockfiles' contents. */
async function setupKey(dir: string, ws: WorkspaceConfig): Promise<string> {
  const h = createHash("sha256").update(JSON.stringify(ws.setup));
  for (const name of LOCKFILES) {
    const content = await readFile(join(dir, name)).catch(() => null);
    if (content !== null) h.update(`\0${name}\0`).update(content);
  }
  return h.digest("hex");
}

/** Every gate workspace of the project, in use or not (crash recovery looks for leftovers there). */
export function gateWorkspaceDirs(root: string): Promise<string[]> {
  return poolDirs(root, GATE_WORKSPACES);
}

/**
 * `omk cleanup --workspaces`: removes the gate workspaces no run holds, dependencies and all. The next
 * run checks one out again and runs `[workspace] setup` on it (its key is reset with the checkout).
 */
export function removeIdleGateWorkspaces(project: ProjectLocation): Promise<SlotRemoval[]> {
  return removeIdlePool(project, GATE_WORKSPACES);
}
