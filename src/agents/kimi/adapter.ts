import { OmkError } from "../../core/errors.js";
import { defaultSpawner } from "../../proc/context.js";
import { findExecutable } from "../../proc/executable.js";
import type { AgentAdapter, AgentHealth, AgentSession, AgentStartContext, DetectContext } from "../types.js";
import { KIMI_API_KEY_VAR as API_KEY_VAR, KIMI_PASS_THROUGH as PASS_THROUGH } from "./contract.js";
import { handshake, KIMI_PROTOCOL_VERSION, kimiNotFound } from "./handshake.js";
import { truncate } from "./normalize.js";
import { KimiSession } from "./session.js";

export { KIMI_PROTOCOL_VERSION };

export interface KimiAdapterOptions {
  /** Mirrors the SDK's HANDSHAKE_TIMEOUT: how long `initialize` may take. */
  handshakeTimeoutMs?: number | undefined;
  /** After `cancel` (interrupt, timeout, Ctrl-C), how long kimi gets before its group is killed. */
  cancelGraceMs?: number | undefined;
  /** Passed to proc: SIGTERM → SIGKILL grace when the group is killed. */
  killGraceMs?: number | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Which executable is "kimi": `--agent-bin`, then KIMI_BIN, then MOCK_KIMI, then `kimi` on PATH.
 * KIMI_BIN and MOCK_KIMI are test seams (they point at test/fixtures/fake-kimi); never defaulted.
 */
export function kimiBin(env: Env, agentBin?: string | undefined): { bin: string; source: string } {
  if (agentBin !== undefined && agentBin !== "") return { bin: agentBin, source: "--agent-bin" };
  for (const name of ["KIMI_BIN", "MOCK_KIMI"] as const) {
    const v = env[name];
    if (v !== undefined && v !== "") return { bin: v, source: name };
  }
  return { bin: "kimi", source: "PATH" };
}

export function kimiArgv(
  exe: string,
  ctx: Pick<AgentStartContext, "worktree" | "model" | "agentArgs">,
): string[] {
  // Never --yolo: approvals are omk's job (the policy callback), not kimi's.
  return [
    exe,
    "--wire",
    "--work-dir",
    ctx.worktree,
    ...(ctx.model !== undefined && ctx.model !== "" ? ["--model", ctx.model] : []),
    ...(ctx.agentArgs ?? []),
  ];
}

export function createKimiAdapter(options: KimiAdapterOptions = {}): AgentAdapter {
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 30_000;
  const cancelGraceMs = options.cancelGraceMs ?? 10_000;

  async function start(ctx: AgentStartContext): Promise<AgentSession> {
    if (ctx.signal?.aborted === true) throw new OmkError("INTERRUPTED", "Interrupted before kimi started.");
    const { bin, source } = kimiBin(ctx.parentEnv, ctx.agentBin);
    const exe = findExecutable(bin, ctx.parentEnv["PATH"], ctx.cwd);
    if (exe === null) throw kimiNotFound(bin, source);
    const apiKey = ctx.parentEnv[API_KEY_VAR];
    // Env sanitizer warnings arrive during spawn, before the session exists to report them.
    const early: string[] = [];
    let warn = (message: string): void => {
      early.push(message);
    };
    const handle = ctx.proc.spawn(kimiArgv(exe, ctx), {
      cwd: ctx.worktree,
      parentEnv: ctx.parentEnv,
      passThrough: PASS_THROUGH,
      explicitEnv: apiKey !== undefined && apiKey !== "" ? { [API_KEY_VAR]: apiKey } : {},
      graceMs: options.killGraceMs,
      onWarning: (message) => warn(message),
    });
    const session = new KimiSession(handle, ctx, { cancelGraceMs });
    warn = (message) => session.emit({ type: "status", message: truncate(message) });
    for (const message of early) warn(message);
    try {
      const init = await handshake(session, {
        timeoutMs: handshakeTimeoutMs,
        signal: ctx.signal,
        bin,
        source,
      });
      session.emit({
        type: "status",
        message: truncate(
          `kimi ready: ${init.server.name} ${init.server.version}, protocol ${init.protocol_version}`,
        ),
      });
      session.ready = true;
      // Untrusted text from the agent: bounded here, redacted when recorded.
      session.version = truncate(init.server.version, 80);
      return session;
    } catch (error) {
      await handle.kill("kimi handshake failed");
      throw error;
    }
  }

  async function detect(ctx: DetectContext): Promise<AgentHealth> {
    const { bin, source } = kimiBin(ctx.parentEnv, ctx.agentBin);
    const exe = findExecutable(bin, ctx.parentEnv["PATH"], ctx.cwd);
    const modelName = ctx.parentEnv["KIMI_MODEL_NAME"];
    const model =
      modelName !== undefined && modelName !== ""
        ? { value: modelName, how: "KIMI_MODEL_NAME" }
        : { value: null, how: "not set; kimi uses the default model of ~/.kimi/config.toml" };
    const keySet = (ctx.parentEnv[API_KEY_VAR] ?? "") !== "";
    const auth = {
      value: "unknown" as const,
      how: `not probed: kimi has no offline auth check (${API_KEY_VAR} ${keySet ? "is" : "is not"} set)`,
    };
    const quota = { value: null, how: "kimi reports no quota" };
    if (exe === null) {
      return {
        adapter: "kimi",
        installed: { value: false, how: `${bin} (from ${source}) is not an executable file` },
        version: { value: null, how: "not probed: not installed" },
        auth,
        model,
        quota,
      };
    }
    const res = await (ctx.proc ?? defaultSpawner).run([exe, "--version"], {
      cwd: ctx.cwd,
      parentEnv: ctx.parentEnv,
      passThrough: PASS_THROUGH,
      timeoutMs: 10_000,
      maxOutputBytes: 4096,
    });
    const probe = `\`${bin} --version\``;
    const how = res.failedToStart
      ? `${probe} failed to start: ${res.failedToStart}`
      : res.timedOut
        ? `${probe} timed out`
        : `${probe} exit ${String(res.exitCode)}`;
    const ok = res.failedToStart === null && !res.timedOut && res.exitCode === 0;
    return {
      adapter: "kimi",
      installed: { value: res.failedToStart === null, how: `found ${exe} (from ${source}); ${how}` },
      version: { value: ok ? parseVersion(res.stdout) : null, how },
      auth,
      model,
      quota,
    };
  }

  return { name: "kimi", detect, start };
}

/** `kimi, version 1.2.3` → `1.2.3`; otherwise the first line, as printed. */
export function parseVersion(stdout: string): string | null {
  const first = stdout.trim().split("\n")[0]?.trim() ?? "";
  if (first === "") return null;
  const m = /\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.-]+)?/.exec(first);
  return truncate(m?.[0] ?? first, 80);
}
