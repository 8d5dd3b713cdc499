import type { AgentDescriptor, AgentHealth, Capability } from "../agents/types.js";
import { OmkError } from "../core/errors.js";

/**
 * Provider resolution: `--agent authority | primary | omk` (for `omk run` and `omk ask`) → one
 * concrete, registered, capable and healthy provider, or a usage error naming every candidate and
 * why it was refused. The judging is pure; the only IO is the health probe the caller passes in,
 * called one candidate at a time so a healthy first choice spares probing the rest.
 */

export const PROVIDER_POLICIES = ["authority", "primary", "omk"] as const;
export type ProviderPolicy = (typeof PROVIDER_POLICIES)[number];

/** What the work is; each needs its own capabilities. */
export type Work = "run" | "ask";

/**
 * A run chosen by a policy must edit files and run the project's commands; a consultation only reads.
 * (An adapter named explicitly for a run needs only `write`: replay applies patches without a shell.)
 */
export const WORK_NEEDS: Readonly<Record<Work, readonly Capability[]>> = {
  run: ["write", "shell"],
  ask: ["read"],
};

export function isProviderPolicy(text: string): text is ProviderPolicy {
  return (PROVIDER_POLICIES as readonly string[]).includes(text);
}

/** `[providers]` of .omk/config.toml, plus the run's configured agent (omk's own first pick). */
export interface ProviderLists {
  authority: readonly string[];
  primary: readonly string[];
  /** `[run] agent`: `omk` tries it first when it is a plain adapter name. */
  runAgent?: string | undefined;
}

export interface Refusal {
  name: string;
  reason: string;
}

export interface Resolution {
  descriptor: AgentDescriptor;
  policy: ProviderPolicy;
  /** Candidates tried before it, with why each was passed over. */
  refused: Refusal[];
}

/** Adapters a policy can pick on its own: no `name:<arg>`, and no command the person must supply. */
export function pickable(d: AgentDescriptor): boolean {
  return d.arg === null && d.agentBin !== "required";
}

/**
 * The candidates in order. `authority` and `primary` are the config's lists; `omk` is omk's own pick:
 * `[run] agent`, then authority, then primary, then every other pickable adapter in registry order.
 */
export function policyCandidates(
  policy: ProviderPolicy,
  lists: ProviderLists,
  descriptors: readonly AgentDescriptor[],
): string[] {
  if (policy === "authority") return [...new Set(lists.authority)];
  if (policy === "primary") return [...new Set(lists.primary)];
  const first =
    lists.runAgent !== undefined && !isProviderPolicy(lists.runAgent) && !lists.runAgent.includes(":")
      ? [lists.runAgent]
      : [];
  return [
    ...new Set([
      ...first,
      ...lists.authority,
      ...lists.primary,
      ...descriptors.filter(pickable).map((d) => d.name),
    ]),
  ];
}

function describeNeeds(work: Work): string {
  return work === "run"
    ? "a run needs an agent that may write and run commands"
    : "a consultation needs read";
}

/** Why the adapter cannot do this work at all (capability, read-only mode, what it needs), or null. */
export function unfitFor(work: Work, d: AgentDescriptor): string | null {
  const missing = WORK_NEEDS[work].filter((c) => !d.capabilities.includes(c));
  if (missing.length > 0) {
    const readOnly = work === "run" && d.capabilities.length === 1 && d.capabilities[0] === "read";
    return `${readOnly ? "read-only" : `lacks ${missing.join(" and ")}`} (${d.capabilities.join(", ")}): ${describeNeeds(work)}`;
  }
  if (work === "ask" && d.advisor.kind === "none") return `no read-only mode: ${d.advisor.why}`;
  if (!pickable(d))
    return d.arg !== null
      ? `needs ${d.name}:${d.arg.placeholder}, which a policy cannot supply`
      : "needs --agent-bin (its command), which a policy cannot supply";
  return null;
}

/** Why detect() says it cannot be used now: not installed, or known not to be logged in. */
export function unhealthy(h: AgentHealth): string | null {
  if (!h.installed.value) return `not installed: ${h.installed.how}`;
  if (h.auth.value === "missing") return `not authenticated: ${h.auth.how}`;
  return null;
}

export async function resolveProvider(o: {
  policy: ProviderPolicy;
  work: Work;
  lists: ProviderLists;
  descriptors: readonly AgentDescriptor[];
  health: (d: AgentDescriptor) => Promise<AgentHealth>;
}): Promise<Resolution> {
  const names = policyCandidates(o.policy, o.lists, o.descriptors);
  const refused: Refusal[] = [];
  for (const name of names) {
    const d = o.descriptors.find((x) => x.name === name);
    const unfit = d === undefined ? "not a registered provider" : unfitFor(o.work, d);
    if (unfit !== null || d === undefined) {
      refused.push({ name, reason: unfit ?? "not a registered provider" });
      continue;
    }
    let sick: string | null;
    try {
      sick = unhealthy(await o.health(d));
    } catch (err) {
      sick = `its health check failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (sick === null) return { descriptor: d, policy: o.policy, refused };
    refused.push({ name, reason: sick });
  }
  throw unresolvable(o.policy, o.work, refused);
}

function unresolvable(policy: ProviderPolicy, work: Work, refused: readonly Refusal[]): OmkError {
  const what = work === "run" ? "run a task (write and shell)" : "answer a question read-only";
  const listed = refused.map((r) => `  ${r.name}: ${r.reason}`).join("\n");
  const message =
    refused.length === 0
      ? `--agent ${policy}: no candidates: [providers] ${policy} is empty`
      : `--agent ${policy}: no provider can ${what}; every candidate was refused:\n${listed}`;
  const hint =
    refused.length === 0
      ? `list providers in .omk/config.toml, e.g. [providers] ${policy} = ["claude", "codex"], or name one with --agent <name>`
      : "install or log in to one of them (`omk doctor` says which), change [providers] in .omk/config.toml, or name one with --agent <name>";
  return new OmkError("USAGE", message, {
    hint,
    details: { policy, work, candidates: refused.map((r) => ({ name: r.name, reason: r.reason })) },
  });
}
