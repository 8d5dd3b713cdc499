import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { sep } from "node:path";
import { signalGroup } from "./process-group.js";

// /proc is served from memory: its reads never wait for a disk. Synchronous reads cost ~10× less
// than thread-pool round trips (one scan of ~70 processes: 0.6 ms against 6 ms, and 1.3 ms against
// 22 ms when each process's status is read), and a run scans after every agent turn and gate run.

/**
 * After omk itself was SIGKILLed its children live on (a kill -9 cannot be caught, and they run in
 * their own process groups). Before a run resumes or is cleaned up, stop the groups it recorded —
 * but only those that still have a member working inside one of `dirs` (the run's worktree, the
 * gate workspaces), so a recycled pid or a
 * user's shell is never touched. Linux only (reads /proc); elsewhere this finds nothing.
 */
export async function killOrphanedGroups(
  recorded: readonly number[],
  dirs: readonly string[],
  opts: { graceMs?: number } = {},
): Promise<number[]> {
  const wanted = new Set(recorded.filter((g) => Number.isInteger(g) && g > 1 && g !== process.pid));
  if (wanted.size === 0) return [];
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const doomed = new Set<number>();
  for (const pid of pids) {
    try {
      // Field 5 of /proc/<pid>/stat is the process group; the command name (field 2) may hold spaces.
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const pgid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (!wanted.has(pgid) || doomed.has(pgid)) continue;
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (dirs.some((d) => cwd === d || cwd.startsWith(d + sep))) doomed.add(pgid);
    } catch {
      // exited meanwhile, or not ours to inspect
    }
  }
  for (const g of doomed) signalGroup(g, "SIGTERM");
  if (doomed.size > 0) {
    await new Promise((r) => setTimeout(r, opts.graceMs ?? 500));
    for (const g of doomed) signalGroup(g, "SIGKILL");
  }
  return [...doomed];
}

/**
 * Every process (but omk itself and `spare`) whose working directory is inside `dir`: what an agent
 * turn left running there — including processes that escaped their group with setsid. They are
 * SIGKILLed, group and all, so nothing can change the worktree after omk looks at it. Linux only
 * (reads /proc); elsewhere this finds nothing and the group kills of the supervisor are all there is.
 */
export async function killProcessesIn(dir: string, spare: readonly number[] = []): Promise<number[]> {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const skip = new Set([process.pid, process.ppid, ...spare, ...sandboxedSession(pids, spare)]);
  const killed: number[] = [];
  for (const name of pids) {
    const pid = Number(name);
    if (skip.has(pid)) continue;
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cwd !== dir && !cwd.startsWith(dir + sep)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const pgid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      // The whole group when it is not a spared process's (or omk's) group; else the process alone.
      if (Number.isInteger(pgid) && pgid > 1 && !skip.has(pgid) && pgid !== process.pid)
        signalGroup(pgid, "SIGKILL");
      else process.kill(pid, "SIGKILL");
      killed.push(pid);
    } catch {
      // exited meanwhile, or not ours to inspect
    }
  }
  return killed;
}

/**
 * A spared process that is a sandbox (bwrap) holds its session in two more processes: the pid
 * namespace's init (pid 1 there) and the command it started (pid 2 there). Those are spared too;
 * anything else in that namespace — what the command started, daemons it left behind, reparented to
 * init — is not. Linux only: NSpid in /proc/<pid>/status lists the pid in each nested namespace.
 */
function sandboxedSession(pids: readonly string[], spare: readonly number[]): number[] {
  if (spare.length === 0) return [];
  const info = new Map<number, { ppid: number; nspid: number[] }>();
  for (const name of pids) {
    try {
      const status = readFileSync(`/proc/${name}/status`, "utf8");
      const ppid = Number(/^PPid:\s*(\d+)/m.exec(status)?.[1]);
      const nspid = (/^NSpid:\s*(.*)$/m.exec(status)?.[1] ?? "").trim().split(/\s+/).map(Number);
      info.set(Number(name), { ppid, nspid });
    } catch {
      // exited meanwhile
    }
  }
  const spared = new Set(spare);
  const found: number[] = [];
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, { ppid, nspid }] of info) {
      if (spared.has(pid) || !spared.has(ppid)) continue;
      const parent = info.get(ppid)?.nspid ?? [ppid];
      const inner = nspid[nspid.length - 1];
      const init = nspid.length > parent.length && inner === 1;
      const command = nspid.length === parent.length && parent[parent.length - 1] === 1 && inner === 2;
      if (!init && !command) continue;
      spared.add(pid);
      found.push(pid);
      grew = true;
    }
  }
  return found;
}
