import { isAbsolute, relative, resolve, sep } from "node:path";
import type { ApprovalDecision, ApprovalRequest } from "../agents/types.js";
import { isSafeAgentPath } from "../security/paths.js";
import type { ExecutionMode } from "./execution-mode.js";

/** Tools that only read. Everything else (writes, shell, unknown tools) needs the policy's consent. */
const READ_ONLY_TOOLS = new Set([
  "readfile",
  "read",
  "glob",
  "grep",
  "ls",
  "list",
  "search",
  "searchweb",
  "fetchurl",
  "think",
]);

export type AskFn = (req: ApprovalRequest) => Promise<boolean>;

/**
 * The execution policy, decided per approval request. `auto` approves only what stays inside the
 * worktree by the path policy; `never` rejects every write/shell call; `ask` asks a person and fails
 * closed when nobody can answer.
 */
export function decideApproval(
  mode: ExecutionMode,
  req: ApprovalRequest,
  worktree: string,
  ask: AskFn | null,
): Promise<ApprovalDecision> {
  const tool = req.tool.toLowerCase().replace(/[^a-z]/g, "");
  if (READ_ONLY_TOOLS.has(tool)) {
    // Reading stays inside the worktree too: ~/.aws/credentials is as much a leak as a write.
    const outside = req.paths.find((p) => leavesWorktree(p, worktree));
    if (outside !== undefined) {
      return Promise.resolve({
        decision: "reject",
        reason: `path ${JSON.stringify(outside)} refused: reads outside the worktree are not allowed`,
      });
    }
    return Promise.resolve({ decision: "approve", reason: "read-only tool" });
  }
  if (mode === "never") {
    return Promise.resolve({
      decision: "reject",
      reason: "execution policy 'never' rejects write and shell tools",
    });
  }
  for (const p of req.paths) {
    // Agents often name files by absolute path inside their work dir; judge the part below it.
    const rel = isAbsolute(p) && p.startsWith(`${worktree}${sep}`) ? relative(worktree, p) : p;
    const verdict = isSafeAgentPath(rel);
    if (!verdict.ok)
      return Promise.resolve({
        decision: "reject",
        reason: `path ${JSON.stringify(p)} refused: ${verdict.reason}`,
      });
  }
  if (mode === "auto") {
    return Promise.resolve({
      decision: "approve",
      reason:
        req.paths.length > 0
          ? "execution policy 'auto': paths stay inside the worktree"
          : "execution policy 'auto'",
    });
  }
  if (!ask) {
    return Promise.resolve({
      decision: "reject",
      reason: "execution policy 'ask' but no terminal to ask: failing closed",
    });
  }
  return ask(req).then((yes) =>
    yes
      ? { decision: "approve", reason: "approved by the user" }
      : { decision: "reject", reason: "rejected by the user" },
  );
}

function leavesWorktree(p: string, worktree: string): boolean {
  if (p.startsWith("~")) return true;
  const abs = resolve(worktree, p);
  return abs !== worktree && !abs.startsWith(`${worktree}${sep}`);
}
