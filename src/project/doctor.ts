import { access, constants, mkdir } from "node:fs/promises";
import { agentDescriptors, standaloneAdapter } from "../agents/registry.js";
import type { AgentHealth } from "../agents/types.js";
import { isOmkError } from "../core/errors.js";
import { VERSION } from "../core/version.js";
import { findRepoRoot } from "../git/repo.js";
import { gitVersion } from "../git/version.js";
import { omkDirs } from "../store/paths.js";
import { quotaFromLedgers } from "./doctor-quota.js";
import { gatesForTree } from "./gates.js";
import { locateProject } from "./locate.js";

/**
 * `omk doctor`: what omk itself needs (node, git, its state dir, the project's gates config) and,
 * per agent CLI, what its own probes say. Every fact says how it was learned; `auth` comes from the
 * CLI's own status command, never from the binary existing.
 */

type Env = Readonly<Record<string, string | undefined>>;

export const MIN_NODE = [20, 19] as const;

export interface Check {
  ok: boolean;
  detail: string;
}

export interface AgentReport {
  name: string;
  installed: { value: boolean; path: string | null; how: string };
  version: { value: string | null; how: string };
  auth: { value: "authenticated" | "unauthenticated" | "unknown"; how: string };
  model: { value: string | null; how: string };
  quota: { value: "ok" | "limited" | "unknown"; how: string };
}

export interface DoctorReport {
  /** omk itself is usable: node, git and the state dir are. Agents and gates only inform. */
  ok: boolean;
  omk: { version: string };
  node: Check & { version: string };
  git: Check & { version: string | null };
  stateDir: Check & { path: string };
  gates: Check & { source: string | null; count: number };
  agents: AgentReport[];
}

/** Which adapters are real CLIs worth probing (exec is an arbitrary command, replay needs no binary). */
const PROBED = new Set(["kimi", "claude", "codex", "gemini", "opencode"]);

function nodeCheck(version: string): Check & { version: string } {
  const [major = 0, minor = 0] = version.replace(/^v/, "").split(".").map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return {
    ok,
    version,
    detail: ok ? `node ${version}` : `node ${version} is older than ${MIN_NODE.join(".")}`,
  };
}

async function stateCheck(env: Env): Promise<Check & { path: string }> {
  const path = omkDirs(env).state;
  try {
    await mkdir(path, { recursive: true, mode: 0o700 });
    await access(path, constants.W_OK);
    return { ok: true, path, detail: "writable" };
  } catch (error) {
    return { ok: false, path, detail: `not writable: ${(error as Error).message}` };
  }
}

async function gatesCheck(root: string | null, env: Env): Promise<DoctorReport["gates"]> {
  if (root === null)
    return { ok: true, source: null, count: 0, detail: "not in a git repository: no project gates" };
  try {
    const g = await gatesForTree(root, env);
    if (g.gates.length === 0)
      return { ok: false, source: g.source, count: 0, detail: "no gates configured or detected" };
    return {
      ok: true,
      source: g.source,
      count: g.gates.length,
      detail: `${g.gates.length} gate(s) from ${g.source}`,
    };
  } catch (error) {
    return {
      ok: false,
      source: ".omk/gates.toml",
      count: 0,
      detail: isOmkError(error) ? error.message : String(error),
    };
  }
}

function authOf(h: AgentHealth): AgentReport["auth"] {
  const value =
    h.auth.value === "ok" ? "authenticated" : h.auth.value === "missing" ? "unauthenticated" : "unknown";
  // Binary existence never counts: an adapter that did not run a probe cannot report a login.
  return { value: h.installed.value ? value : "unknown", how: h.auth.how };
}

function pathOf(h: AgentHealth): string | null {
  // probeCli's wording: "found <path> (from <source>); …" (a path may hold spaces).
  const m = /^found (.+?) \(from /.exec(h.installed.how);
  return h.installed.value && m?.[1] !== undefined ? m[1] : null;
}

export async function runDoctor(opts: { cwd: string; env: Env; nodeVersion: string }): Promise<DoctorReport> {
  const { cwd, env } = opts;
  const root = await findRepoRoot(cwd).catch(() => null);
  const loc = root === null ? null : await locateProject(root, env).catch(() => null);
  const [git, stateDir, gates, quota] = await Promise.all([
    gitVersion(cwd, env),
    stateCheck(env),
    gatesCheck(root, env),
    quotaFromLedgers(loc),
  ]);
  const agents: AgentReport[] = [];
  const healths = await Promise.all(
    agentDescriptors()
      .filter((d) => PROBED.has(d.name))
      .map(async (d) => {
        const adapter = await standaloneAdapter(d);
        return adapter.detect({ parentEnv: env, cwd, probeAuth: true });
      }),
  );
  for (const h of healths) {
    agents.push({
      name: h.adapter,
      installed: { value: h.installed.value, path: pathOf(h), how: h.installed.how },
      version: h.version,
      auth: authOf(h),
      model: h.model,
      quota: quota.get(h.adapter) ?? {
        value: "unknown",
        how: "no run of this agent in this project's ledgers",
      },
    });
  }
  const node = nodeCheck(opts.nodeVersion);
  const gitCheck = { ok: git.version !== null, version: git.version, detail: git.how };
  return {
    ok: node.ok && gitCheck.ok && stateDir.ok,
    omk: { version: VERSION },
    node,
    git: gitCheck,
    stateDir,
    gates,
    agents,
  };
}
