import { describe, expect, it } from "vitest";
import { agentDescriptors } from "../../../src/agents/registry.js";
import type { AgentDescriptor, AgentHealth } from "../../../src/agents/types.js";
import { isOmkError } from "../../../src/core/errors.js";
import {
  isProviderPolicy,
  policyCandidates,
  resolveProvider,
  unfitFor,
  unhealthy,
} from "../../../src/policy/providers.js";

const D = agentDescriptors();
const byName = (n: string): AgentDescriptor => {
  const d = D.find((x) => x.name === n);
  if (d === undefined) throw new Error(n);
  return d;
};

function health(
  name: string,
  installed: boolean,
  auth: AgentHealth["auth"]["value"] = "unknown",
): AgentHealth {
  return {
    adapter: name,
    installed: { value: installed, how: installed ? "found" : "no such file" },
    version: { value: null, how: "" },
    auth: { value: auth, how: auth === "missing" ? "logged out" : "?" },
    model: { value: null, how: "" },
    quota: { value: null, how: "" },
  };
}

/** A health probe from a table; records which adapters it was asked about. */
function probe(table: Record<string, AgentHealth>) {
  const asked: string[] = [];
  return {
    asked,
    health: async (d: AgentDescriptor) => {
      asked.push(d.name);
      const h = table[d.name];
      if (h === undefined) throw new Error(`probe exploded for ${d.name}`);
      return h;
    },
  };
}

async function refusal(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    if (isOmkError(err)) return err;
    throw err;
  }
  throw new Error("resolved, expected a refusal");
}

describe("provider policy", () => {
  it("knows its policy names, and none of them is an adapter", () => {
    expect(["authority", "primary", "omk"].every(isProviderPolicy)).toBe(true);
    expect(isProviderPolicy("claude")).toBe(false);
    expect(D.some((d) => isProviderPolicy(d.name))).toBe(false);
  });

  it("judges capabilities: deepseek is read-only for a run, exec/replay cannot be consulted", () => {
    expect(unfitFor("run", byName("deepseek"))).toBe(
      "read-only (read): a run needs an agent that may write and run commands",
    );
    expect(unfitFor("ask", byName("deepseek"))).toBeNull();
    expect(unfitFor("ask", byName("exec"))).toMatch(/^no read-only mode/);
    expect(unfitFor("ask", byName("replay"))).toMatch(/^lacks read/);
    expect(unfitFor("run", byName("replay"))).toMatch(/^lacks shell/);
    expect(unfitFor("run", byName("exec"))).toMatch(/needs --agent-bin/);
    for (const n of ["kimi", "claude", "codex", "gemini", "opencode"]) {
      expect(unfitFor("run", byName(n))).toBeNull();
      expect(unfitFor("ask", byName(n))).toBeNull();
    }
  });

  it("health: not installed and known logged-out are refused; unknown auth is not", () => {
    expect(unhealthy(health("claude", false))).toBe("not installed: no such file");
    expect(unhealthy(health("claude", true, "missing"))).toBe("not authenticated: logged out");
    expect(unhealthy(health("claude", true, "unknown"))).toBeNull();
    expect(unhealthy(health("claude", true, "ok"))).toBeNull();
  });

  it("candidates: the lists as configured (deduplicated); omk = [run] agent, authority, primary, then the registry", () => {
    const lists = { authority: ["codex", "claude", "codex"], primary: ["gemini"], runAgent: "kimi" };
    expect(policyCandidates("authority", lists, D)).toEqual(["codex", "claude"]);
    expect(policyCandidates("primary", lists, D)).toEqual(["gemini"]);
    expect(policyCandidates("omk", lists, D)).toEqual([
      "kimi",
      "codex",
      "claude",
      "gemini",
      "opencode",
      "deepseek",
    ]);
    // A policy or a replay spec as [run] agent is not a name to try first.
    expect(policyCandidates("omk", { ...lists, runAgent: "omk" }, D)[0]).toBe("codex");
    expect(policyCandidates("omk", { ...lists, runAgent: "replay:last" }, D)[0]).toBe("codex");
  });

  it("picks the first fit, healthy candidate and probes no further", async () => {
    const p = probe({
      claude: health("claude", false),
      codex: health("codex", true, "ok"),
      gemini: health("gemini", true),
    });
    const r = await resolveProvider({
      policy: "primary",
      work: "run",
      lists: { authority: [], primary: ["deepseek", "claude", "codex", "gemini"] },
      descriptors: D,
      health: p.health,
    });
    expect(r.descriptor.name).toBe("codex");
    expect(r.refused).toEqual([
      { name: "deepseek", reason: "read-only (read): a run needs an agent that may write and run commands" },
      { name: "claude", reason: "not installed: no such file" },
    ]);
    // deepseek was refused by capability without a probe; gemini was never needed.
    expect(p.asked).toEqual(["claude", "codex"]);
  });

  it("for a consultation, deepseek with a key is a healthy reader", async () => {
    const p = probe({ deepseek: health("deepseek", true, "unknown") });
    const r = await resolveProvider({
      policy: "authority",
      work: "ask",
      lists: { authority: ["exec", "deepseek"], primary: [] },
      descriptors: D,
      health: p.health,
    });
    expect(r.descriptor.name).toBe("deepseek");
    expect(r.refused.map((x) => x.name)).toEqual(["exec"]);
  });

  it("unresolvable: a usage error (exit 2) listing every candidate with its reason", async () => {
    const p = probe({ claude: health("claude", true, "missing"), kimi: health("kimi", false) });
    const err = await refusal(
      resolveProvider({
        policy: "authority",
        work: "run",
        lists: { authority: ["claude", "nosuch", "deepseek", "kimi", "gemini"], primary: [] },
        descriptors: D,
        health: p.health,
      }),
    );
    expect(err.code).toBe("USAGE");
    expect(err.exitCode).toBe(2);
    expect(err.message.split("\n")).toEqual([
      "--agent authority: no provider can run a task (write and shell); every candidate was refused:",
      "  claude: not authenticated: logged out",
      "  nosuch: not a registered provider",
      "  deepseek: read-only (read): a run needs an agent that may write and run commands",
      "  kimi: not installed: no such file",
      "  gemini: its health check failed: probe exploded for gemini",
    ]);
    expect(err.details?.["candidates"]).toHaveLength(5);
  });

  it("an empty list says which list and how to fill it", async () => {
    const err = await refusal(
      resolveProvider({
        policy: "primary",
        work: "ask",
        lists: { authority: ["claude"], primary: [] },
        descriptors: D,
        health: probe({}).health,
      }),
    );
    expect(err.message).toBe("--agent primary: no candidates: [providers] primary is empty");
    expect(err.hint).toContain('[providers] primary = ["claude", "codex"]');
  });
});
