import { defaultSpawner, type Spawner } from "./context.js";
import { findExecutable } from "./executable.js";
import { bwrapArgs } from "./sandbox.js";
import type { ParentEnv } from "./types.js";

/** Whether confinement works here, and if not, why and what to do. */
export type SandboxProbe =
  | { available: true; bwrap: string; version: string | null }
  | { available: false; bwrap: string | null; version: string | null; reason: string; hint: string };

const INSTALL_HINT =
  "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap; Arch: pacman -S bubblewrap) so `bwrap` is on PATH";

const cache = new Map<string, Promise<SandboxProbe>>();

/**
 * Finds bwrap on the caller's PATH and starts one trial sandbox with the same namespaces a run
 * uses (pid, ipc, uts, net; private /tmp, die-with-parent), so "available" means a run's sandbox
 * starts, not merely that a binary exists. Memoized per bwrap path for the life of the process.
 */
export function probeSandbox(
  env: ParentEnv,
  opts: { spawner?: Spawner | undefined; platform?: NodeJS.Platform | undefined } = {},
): Promise<SandboxProbe> {
  const platform = opts.platform ?? process.platform;
  if (platform !== "linux") {
    return Promise.resolve({
      available: false,
      bwrap: null,
      version: null,
      reason: `confinement uses Linux namespaces (bubblewrap); this is ${platform}`,
      hint: "run on Linux for confined runs, or pass --sandbox off to run unconfined knowingly",
    });
  }
  const bwrap = findExecutable("bwrap", env["PATH"], "/");
  if (bwrap === null) {
    return Promise.resolve({
      available: false,
      bwrap: null,
      version: null,
      reason: "bwrap (bubblewrap) is not on PATH",
      hint: INSTALL_HINT,
    });
  }
  const key = bwrap;
  let known = cache.get(key);
  if (known === undefined) {
    known = trial(bwrap, env, opts.spawner ?? defaultSpawner);
    cache.set(key, known);
  }
  return known;
}

async function trial(bwrap: string, env: ParentEnv, spawner: Spawner): Promise<SandboxProbe> {
  const common = { cwd: "/", parentEnv: { PATH: env["PATH"] }, timeoutMs: 10_000, maxOutputBytes: 4096 };
  const v = await spawner.run([bwrap, "--version"], common);
  const version = v.exitCode === 0 ? v.stdout.trim().replace(/^bubblewrap\s+/, "") || null : null;
  const args = bwrapArgs({ network: "none", writable: [], readOnly: [], hidden: [], home: null }, "/");
  // bwrap itself is on the read-only root, so it is the one executable certainly there to run.
  const r = await spawner.run([bwrap, ...args, "--", bwrap, "--version"], common);
  if (r.failedToStart === null && r.exitCode === 0) return { available: true, bwrap, version };
  const said = (r.failedToStart ?? r.stderr).trim().split("\n").slice(-1)[0] ?? "";
  const userns = /namespace|permission|not permitted|setting up uid map/i.test(said);
  return {
    available: false,
    bwrap,
    version,
    reason: `${bwrap} cannot start a sandbox here: ${said || `exit ${String(r.exitCode)}`}`,
    hint: userns
      ? "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04+ an AppArmor profile for bwrap), or run inside a container that permits them"
      : INSTALL_HINT,
  };
}
