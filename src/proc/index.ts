export { killOrphanedGroups } from "./orphans.js";
export { groupHasLiveMembers, onGroupRegistered, pidIsAlive, registeredGroups } from "./process-group.js";
export { quoteArgv } from "./quote.js";
export { runProcess } from "./run-process.js";
export { spawnProcess } from "./spawn-process.js";
export { TailBuffer } from "./tail-buffer.js";
export type { ExitInfo, ParentEnv, ProcessHandle, ProcResult, RunOptions, SpawnOptions } from "./types.js";
