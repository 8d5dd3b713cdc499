import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { agentDescriptors } from "../../src/agents/registry.js";
import { type ModelServer, type Scenario, startModelServer } from "../fixtures/model-server/server.js";
import type { RunDoc } from "../helpers/cli.js";
import { type LedgerLine, type Project, project } from "../helpers/project.js";
import { type Cli, cacheDir, cliPath } from "./clis.js";

/**
 * The e2e harness: 20 canaries for omk's environment, a private HOME per CLI run, one run of the
 * built omk with a real CLI against the fake model server, and each CLI's way to that server.
 */

const CANARY_NAMES = [
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "NPM_TOKEN",
  "NODE_AUTH_TOKEN",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_ACCESS_KEY_ID",
  "OPENAI_API_KEY",
  "DEEPSEEK_API_KEY",
  "GEMINI_API_KEY",
  "KIMI_API_KEY",
  "DATABASE_URL",
  "SLACK_BOT_TOKEN",
  "STRIPE_SECRET_KEY",
  "MY_PASSWORD",
  "SENTRY_DSN",
  "HF_TOKEN",
  "OMK_CANARY_TOKEN",
  "COMPANY_INTERNAL_NOTE",
  "PGPASSWORD",
  "SESSION_COOKIE",
];

/** 20 canaries; a name in the adapter's own env contract is replaced (the CLI is meant to get that one). */
export function canaries(contract: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  CANARY_NAMES.forEach((name, i) => {
    out[contract.includes(name) ? `EXTRA_SECRET_${i}` : name] =
      `canary${i}x${Math.random().toString(36).slice(2, 12)}`;
  });
  return out;
}

const homes: string[] = [];

/** A private HOME per CLI run, outside /tmp (see clis.ts); removed after the test. */
export function privateHome(name: string): string {
  const dir = join(cacheDir(), "homes", `${name}-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  homes.push(dir);
  return dir;
}

/** The current test's server and project (one at a time: the e2e suite runs serially). */
export const e2e: { server: ModelServer | null; p: Project | null } = { server: null, p: null };

/** afterEach: stop the server, remove the project and the private homes. */
export async function cleanupE2e(): Promise<void> {
  await e2e.server?.close();
  await e2e.p?.cleanup();
  for (const dir of homes.splice(0)) rmSync(dir, { recursive: true, force: true });
  e2e.server = null;
  e2e.p = null;
}

export interface E2eRun {
  doc: RunDoc;
  ledger: LedgerLine[];
  secrets: Record<string, string>;
  stdout: string;
  stderr: string;
}

export async function runAgent(
  agent: Cli,
  scenario: Scenario,
  env: (url: string, home: string) => Record<string, string>,
  start = "bad\n",
  extra: readonly string[] = [],
  task: readonly string[] = ["make a.txt say ok"],
): Promise<E2eRun> {
  const server = await startModelServer(scenario);
  const p = await project({ "a.txt": start });
  e2e.server = server;
  e2e.p = p;
  const home = privateHome(agent);
  const d = agentDescriptors().find((x) => x.name === agent);
  const secrets = canaries([...(d?.env.secrets ?? []), ...(d?.env.passThrough ?? [])]);
  expect(Object.keys(secrets)).toHaveLength(20);
  const r = await p.omk(
    [
      "run",
      "--json",
      "--agent",
      agent,
      "--agent-bin",
      cliPath(agent),
      "--max-attempts",
      "2",
      ...extra,
      ...task,
    ],
    {
      env: { ...secrets, HOME: home, ...env(server.url, home) },
      timeoutMs: 170_000,
    },
  );
  const doc = r.json<RunDoc>();
  // OMK_E2E_DEBUG=1: what the server answered, omk's progress and the ledger, for a failing scenario.
  if (process.env["OMK_E2E_DEBUG"] === "1") {
    console.log(
      JSON.stringify(
        server.requests.map((q) => [q.url, q.reply, q.body.includes("did not pass the project")]),
      ),
    );
    console.log(r.stderr);
    for (const l of p.ledger(doc.runId) as unknown as Array<{ ts: string; kind: string; data: unknown }>)
      console.log(l.ts, l.kind, JSON.stringify(l.data).slice(0, 160));
  }
  return { doc, ledger: p.ledger(doc.runId), secrets, stdout: r.stdout, stderr: r.stderr };
}

export function agentEvents(ledger: LedgerLine[]): Array<Record<string, unknown>> {
  return ledger.filter((l) => l.kind === "AgentEvent").map((l) => l.data["event"] as Record<string, unknown>);
}

export function expectNoCanary(run: E2eRun): void {
  const { server, p } = e2e;
  if (server === null || p === null) throw new Error("no run");
  const places: Array<[string, string]> = [
    ["model server requests", server.allText()],
    ["omk stdout", run.stdout],
    ["omk stderr", run.stderr],
    ...p.stateFiles().map((f): [string, string] => [f, readFileSync(f, "latin1")]),
  ];
  for (const [name, value] of Object.entries(run.secrets)) {
    for (const [where, text] of places) {
      expect(text.includes(value), `${name} leaked into ${where}`).toBe(false);
    }
  }
}

export const CLAUDE_ENV = (url: string): Record<string, string> => ({
  ANTHROPIC_BASE_URL: url,
  ANTHROPIC_API_KEY: "sk-ant-e2e-fake-key",
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
});

export function codexEnv(url: string, home: string): Record<string, string> {
  const codexHome = join(home, ".codex");
  mkdirSync(codexHome, { recursive: true });
  writeFileSync(
    join(codexHome, "config.toml"),
    `model = "gpt-5.4"\nmodel_provider = "fake"\n\n[model_providers.fake]\nname = "fake"\nbase_url = "${url}/v1"\nwire_api = "responses"\n`,
  );
  return { CODEX_HOME: codexHome };
}

export function patch(from: string, to: string): string {
  return `apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: a.txt\n@@\n-${from}\n+${to}\n*** End Patch\nEOF\n`;
}

/** The request that answered the second prompt: it must carry the feedback and the first turn's history. */
export function resumedRequest(): string {
  const texts = (e2e.server?.requests ?? [])
    .map((r) => r.body)
    .filter((b) => b.includes("did not pass the project"));
  expect(texts.length).toBeGreaterThan(0);
  return texts[0] ?? "";
}

/** Gemini CLI reads its auth type from settings; the router model is skipped with an explicit --model. */
export function geminiEnv(url: string, home: string): Record<string, string> {
  mkdirSync(join(home, ".gemini"), { recursive: true });
  writeFileSync(
    join(home, ".gemini", "settings.json"),
    JSON.stringify({ security: { auth: { selectedType: "gemini-api-key" } } }),
  );
  return { GOOGLE_GEMINI_BASE_URL: url, GEMINI_API_KEY: "gemini-e2e-fake-key" };
}

export const GEMINI_MODEL = ["--model", "gemini-2.5-pro"];

/** opencode gets the fake server as an OpenAI-compatible provider through its config variable. */
export function opencodeEnv(url: string): Record<string, string> {
  const config = {
    provider: {
      fake: {
        npm: "@ai-sdk/openai-compatible",
        name: "Fake",
        options: { baseURL: `${url}/v1`, apiKey: "fake" },
        models: { "fake-model": { name: "Fake" } },
      },
    },
  };
  return { OPENCODE_CONFIG_CONTENT: JSON.stringify(config), OPENCODE_DISABLE_AUTOUPDATE: "1" };
}

export const OPENCODE_MODEL = ["--model", "fake/fake-model"];
