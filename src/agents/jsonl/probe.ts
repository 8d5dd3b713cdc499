import { defaultSpawner } from "../../proc/context.js";
import { findExecutable } from "../../proc/executable.js";
import type { ProcResult } from "../../proc/types.js";
import type { AgentHealth, DetectContext, Learned } from "../types.js";
import { truncate } from "./session.js";

type Env = Readonly<Record<string, string | undefined>>;

/** Which executable is the CLI: `--agent-bin`, then the `<NAME>_BIN` test seam, then the name on PATH. */
export function cliBin(
  name: string,
  seam: string,
  env: Env,
  agentBin?: string | undefined,
): { bin: string; source: string } {
  if (agentBin !== undefined && agentBin !== "") return { bin: agentBin, source: "--agent-bin" };
  const v = env[seam];
  if (v !== undefined && v !== "") return { bin: v, source: seam };
  return { bin: name, source: "PATH" };
}

export interface ProbeSpec {
  adapter: string;
  seam: string;
  passThrough: readonly string[];
  explicitEnv: Readonly<Record<string, string>>;
  /** e.g. ["auth", "status"]: the CLI's own answer to "are you logged in"; null when it has none. */
  authArgs: readonly string[] | null;
  /** Reads the status command's result; binary existence alone never counts. */
  auth(res: ProcResult): Learned<"ok" | "missing" | "unknown">;
  model: Learned<string | null>;
  quota: Learned<string | null>;
}

function how(probe: string, res: ProcResult): string {
  if (res.failedToStart !== null) return `${probe} failed to start: ${res.failedToStart}`;
  if (res.timedOut) return `${probe} timed out`;
  return `${probe} exit ${String(res.exitCode)}`;
}

/** `2.1.332 (Claude Code)`, `codex-cli 0.171.0` → the version number; else the first line. */
export function parseVersion(stdout: string): string | null {
  const first = stdout.trim().split("\n")[0]?.trim() ?? "";
  if (first === "") return null;
  const m = /\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.-]+)?/.exec(first);
  return truncate(m?.[0] ?? first, 80);
}

/** `--version` and the CLI's auth status command, both with the env the agent itself would get. */
export async function probeCli(spec: ProbeSpec, ctx: DetectContext): Promise<AgentHealth> {
  const { bin, source } = cliBin(spec.adapter, spec.seam, ctx.parentEnv, ctx.agentBin);
  const exe = findExecutable(bin, ctx.parentEnv["PATH"], ctx.cwd);
  if (exe === null) {
    return {
      adapter: spec.adapter,
      installed: { value: false, how: `${bin} (from ${source}) is not an executable file` },
      version: { value: null, how: "not probed: not installed" },
      auth: { value: "unknown", how: "not probed: not installed" },
      model: spec.model,
      quota: spec.quota,
    };
  }
  const proc = ctx.proc ?? defaultSpawner;
  const opts = {
    cwd: ctx.cwd,
    parentEnv: ctx.parentEnv,
    passThrough: spec.passThrough,
    explicitEnv: spec.explicitEnv,
    timeoutMs: 15_000,
    maxOutputBytes: 16_384,
  };
  const [ver, auth] = await Promise.all([
    proc.run([exe, "--version"], opts),
    ctx.probeAuth === true && spec.authArgs !== null ? proc.run([exe, ...spec.authArgs], opts) : null,
  ]);
  const verHow = how(`\`${bin} --version\``, ver);
  const verOk = ver.failedToStart === null && !ver.timedOut && ver.exitCode === 0;
  const authProbe = `\`${[bin, ...(spec.authArgs ?? ["(no auth status command)"])].join(" ")}\``;
  const authLearned: Learned<"ok" | "missing" | "unknown"> =
    auth === null
      ? { value: "unknown", how: `not probed (${authProbe} runs in \`omk doctor\`)` }
      : auth.failedToStart !== null || auth.timedOut
        ? { value: "unknown", how: how(authProbe, auth) }
        : (() => {
            const r = spec.auth(auth);
            return { value: r.value, how: `${how(authProbe, auth)}: ${r.how}` };
          })();
  return {
    adapter: spec.adapter,
    installed: { value: ver.failedToStart === null, how: `found ${exe} (from ${source}); ${verHow}` },
    version: { value: verOk ? parseVersion(ver.stdout) : null, how: verHow },
    auth: authLearned,
    model: spec.model,
    quota: spec.quota,
  };
}
