import { readdirSync, readFileSync } from "node:fs";

/**
 * Every child omk starts leads its own process group (spawned detached), so one signal to
 * `-pgid` reaches the grandchildren a test runner or build tool forks. The flip side: a
 * terminal's Ctrl-C no longer reaches them, and nothing else will stop them when omk dies. So
 * live groups are registered, and
 * - an `exit` hook SIGKILLs every group still registered (omk crashed or exited mid-run);
 * - while groups are live, SIGINT/SIGTERM/SIGHUP that nobody else handles kill the groups and
 *   then re-raise the signal, so omk still dies of it as it would have without us. When the CLI
 *   handles the signal itself (it aborts runs, which kills their groups), we stay out of it.
 */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
let signalHooksInstalled = false;

const usesGroups = process.platform !== "win32";
const FATAL_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

export function groupsSupported(): boolean {
  return usesGroups;
}

export function registerGroup(pgid: number): void {
  liveGroups.add(pgid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", killAllRegisteredGroups);
  }
  if (!signalHooksInstalled && usesGroups) {
    signalHooksInstalled = true;
    for (const sig of FATAL_SIGNALS) process.on(sig, onFatalSignal);
  }
}

export function unregisterGroup(pgid: number): void {
  liveGroups.delete(pgid);
  if (liveGroups.size === 0) removeSignalHooks();
}

/** Visible for tests: the groups omk would SIGKILL if it exited now. */
export function registeredGroups(): readonly number[] {
  return [...liveGroups];
}

/** The `exit` hook. Synchronous, as exit hooks must be. Exported for tests. */
function killAllRegisteredGroups(): void {
  for (const pgid of liveGroups) signalGroup(pgid, "SIGKILL");
  liveGroups.clear();
  removeSignalHooks();
}

function onFatalSignal(sig: NodeJS.Signals): void {
  // Another listener owns this signal and decides whether omk exits; the exit hook covers that.
  if (process.listenerCount(sig) > 1) return;
  killAllRegisteredGroups();
  // Our listener is gone now, so this gets the default action: omk terminates by `sig`.
  process.kill(process.pid, sig);
}

function removeSignalHooks(): void {
  if (!signalHooksInstalled) return;
  signalHooksInstalled = false;
  for (const sig of FATAL_SIGNALS) process.off(sig, onFatalSignal);
}

/** Sends `sig` to the whole group. Returns false when the group no longer exists. */
export function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(usesGroups ? -pgid : pgid, sig);
    return true;
  } catch (error) {
    if (isErrno(error, "ESRCH")) return false;
    // EPERM: a member changed credentials (setuid helper). Nothing more we can do from here.
    if (isErrno(error, "EPERM")) return true;
    throw error;
  }
}

/**
 * Whether any member of the group can still run. A zombie is finished: it only waits for its
 * parent (often init, which in some containers never reaps) and cannot be killed further, so
 * on Linux we read /proc to tell zombies from live members; elsewhere signal 0 is the best
 * available answer.
 */
export function groupHasLiveMembers(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  const members = liveMembersFromProc(pgid);
  return members === null ? true : members.length > 0;
}

/** Whether a single pid can still run (zombies count as dead, see above). */
export function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (isErrno(error, "ESRCH")) return false;
    if (!isErrno(error, "EPERM")) throw error;
  }
  const stat = readProcStat(pid);
  if (stat === null) return process.platform !== "linux";
  return stat.state !== "Z" && stat.state !== "X";
}

function liveMembersFromProc(pgid: number): number[] | null {
  if (process.platform !== "linux") return null;
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return null;
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat !== null && stat.pgrp === pgid && stat.state !== "Z" && stat.state !== "X") {
      members.push(Number(entry));
    }
  }
  return members;
}

interface ProcStat {
  state: string;
  pgrp: number;
}

function readProcStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name is in parentheses and may itself contain ") ", so parse from the last one.
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(" ");
  const state = fields[0];
  const pgrp = Number(fields[2]);
  if (state === undefined || !Number.isInteger(pgrp)) return null;
  return { state, pgrp };
}

function isErrno(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}
