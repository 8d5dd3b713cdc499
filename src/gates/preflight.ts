import { join } from "node:path";
import { OmkError } from "../core/errors.js";
import { findExecutable } from "../proc/executable.js";
import type { GateSpec } from "./schema.js";

/**
 * Gate mistakes that would otherwise burn every attempt and be blamed on the agent: a command that
 * is a shell string (`"npm test"`), or an executable that is not there. Found before any agent starts.
 */
export function gateConfigProblems(
  gates: readonly GateSpec[],
  root: string,
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  const problems: string[] = [];
  for (const g of gates) {
    if (g.skip) continue;
    const base = join(root, g.cwd);
    const [first, ...rest] = g.command.trim().split(/\s+/);
    // A path (./node_modules/.bin/x) may only exist once [workspace] setup ran: not judged here.
    if (rest.length === 0 && g.command.includes("/")) continue;
    if (findExecutable(g.command, env["PATH"], base) !== null) continue;
    if (rest.length > 0 && first !== undefined && findExecutable(first, env["PATH"], base) !== null) {
      problems.push(
        `gate ${g.name}: command = ${JSON.stringify(g.command)} holds arguments; write command = ${JSON.stringify(first)} and args = ${JSON.stringify([...rest, ...g.args])}`,
      );
    } else {
      problems.push(
        `gate ${g.name}: ${JSON.stringify(g.command)} is not an executable (not found on PATH or in ${g.cwd})`,
      );
    }
  }
  return problems;
}

export function assertGatesRunnable(
  gates: readonly GateSpec[],
  root: string,
  env: Readonly<Record<string, string | undefined>>,
  source: string,
): void {
  if (gates.length === 0) {
    throw new OmkError("CONFIG_INVALID", "no gates: nothing would judge this run", {
      hint: "add [[gates]] to .omk/gates.toml (or run `omk init` to detect them), commit it, then run again",
    });
  }
  const problems = gateConfigProblems(gates, root, env);
  if (problems.length > 0) {
    throw new OmkError("CONFIG_INVALID", `${source}:\n${problems.join("\n")}`, {
      hint: "gates are argv: command is the executable alone, arguments go in args; install the tool or fix its path",
    });
  }
}
