import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type ModelServer, startModelServer } from "../fixtures/model-server/server.js";
import { leaks, type Project, project } from "../helpers/project.js";

/**
 * `omk ask` and secrets: DEEPSEEK_API_KEY reaches DeepSeek's endpoint in the Authorization header and
 * nowhere else (not the output, not the record, not an agent CLI); none of 20 canary secrets planted
 * in omk's environment leaves it; an API error that echoes the key is scrubbed before it is shown.
 */

const KEY = "sk-feedc0de0123456789abcdef01234567";

const CANARY_NAMES = [
  "OPENAI_API_KEY",
  "OPENAI_ORG_ID",
  "OPENAI_PROJECT_ID",
  "OPENAI_WEBHOOK_SECRET",
  "ANTHROPIC_API_KEY",
  "GEMINI_API_KEY",
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "NPM_TOKEN",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "DATABASE_URL",
  "SLACK_BOT_TOKEN",
  "STRIPE_SECRET_KEY",
  "SENTRY_DSN",
  "HF_TOKEN",
  "PGPASSWORD",
  "SESSION_COOKIE",
  "COMPANY_INTERNAL_NOTE",
];

function canaries(): Record<string, string> {
  return Object.fromEntries(
    CANARY_NAMES.map((name, i) => [name, `canary${i}x${Math.random().toString(36).slice(2, 12)}`]),
  );
}

/** A stand-in `claude` whose answer is its whole environment. */
const ENV_DUMPING_CLAUDE = `const argv = process.argv.slice(2);
if (argv[0] === "--version") { console.log("2.1.332 (Claude Code)"); process.exit(0); }
const emit = (o) => console.log(JSON.stringify(o));
emit({ type: "assistant", message: { content: [{ type: "text", text: "env: " + JSON.stringify(process.env) }] } });
emit({ type: "result", subtype: "success", is_error: false, result: "done", num_turns: 1, usage: { input_tokens: 1, output_tokens: 1 } });
`;

let p: Project | null = null;
let server: ModelServer | null = null;
let rejecting: Server | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
  if (rejecting !== null) {
    rejecting.closeAllConnections();
    await new Promise((r) => rejecting?.close(r));
    rejecting = null;
  }
  await p?.cleanup();
  p = null;
});

/** A DeepSeek look-alike that refuses every key, quoting it back in full (worse than the real one, which masks it). */
async function keyEchoingServer(): Promise<{ url: string; headers: IncomingHttpHeaders[] }> {
  const headers: IncomingHttpHeaders[] = [];
  rejecting = createServer((req, res) => {
    headers.push(req.headers);
    req.resume();
    req.on("end", () => {
      const key = String(req.headers["authorization"] ?? "").replace(/^Bearer /, "");
      res.writeHead(401, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          error: {
            message: `Authentication Fails, Your api key: ${key} is invalid`,
            type: "authentication_error",
          },
        }),
      );
    });
  });
  await new Promise<void>((r) => rejecting?.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(rejecting.address() as AddressInfo).port}`, headers };
}

describe("omk ask and secrets", () => {
  it("the key goes only to DeepSeek's Authorization header; no canary leaves omk (API, --run, an agent CLI)", async () => {
    p = await project({ "a.txt": "ok\n" });
    server = await startModelServer({ steps: [], final: "unused", side: "the scripted answer" });
    const secrets = canaries();
    const env = { ...secrets, DEEPSEEK_API_KEY: KEY, DEEPSEEK_BASE_URL: server.url };
    const { doc: run } = await p.execRun(p.writerAgent("writer", { "b.txt": "ok\n" }), { env });
    const outputs: Record<string, string> = {};
    const asks: [string, string[]][] = [
      ["api", ["ask", "deepseek", "what is in a.txt?"]],
      ["api-json-run", ["ask", "--json", "deepseek", "--run", run.runId, "review this"]],
      ["cli", ["ask", "--json", "claude", "dump"]],
    ];
    for (const [name, args] of asks) {
      const r = await p.omk(args, { env: { ...env, CLAUDE_BIN: p.script("claude", ENV_DUMPING_CLAUDE) } });
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      outputs[`${name} stdout`] = r.stdout;
      outputs[`${name} stderr`] = r.stderr;
    }
    expect(outputs["api stdout"]).toBe("the scripted answer\n");
    // The claude stand-in really did put its environment into its answer: the check below has teeth.
    expect(outputs["cli stdout"]).toContain('\\"PATH\\"');

    const files = p.stateFiles();
    expect(files.filter((f) => f.includes("/asks/"))).toHaveLength(3);
    for (const value of [KEY, ...Object.values(secrets)])
      expect(leaks(value, files, outputs), `${value} leaked`).toEqual([]);
    expect(CANARY_NAMES.filter((n) => server!.allText().includes(secrets[n]!))).toEqual([]);

    const chats = server.requests.filter((r) => r.wire === "chat");
    expect(chats).toHaveLength(2);
    for (const req of chats) {
      expect(req.headers["authorization"]).toBe(`Bearer ${KEY}`);
      // No OpenAI organization or project of the user's rides along.
      expect(req.headers["openai-organization"]).toBeUndefined();
      expect(req.headers["openai-project"]).toBeUndefined();
    }
    // Exactly one occurrence per DeepSeek request, each in its Authorization header; nothing else saw it.
    expect(server.allText().split(KEY).length - 1).toBe(chats.length);
    expect(server.requests).toHaveLength(chats.length);
  });

  it("a 401 that quotes the key back: exit 1 with the hint, the key scrubbed from the output and the record", async () => {
    p = await project({ "a.txt": "ok\n" });
    const echo = await keyEchoingServer();
    const r = await p.omk(["ask", "deepseek", "hi"], {
      env: { DEEPSEEK_API_KEY: KEY, DEEPSEEK_BASE_URL: echo.url },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("DeepSeek answered HTTP 401");
    expect(r.stderr).toContain("Authentication Fails");
    expect(r.stderr).toContain("check DEEPSEEK_API_KEY");
    expect(r.stderr).toContain("[AGENT_FAILED]");
    expect(echo.headers).toHaveLength(1);
    expect(echo.headers[0]!["authorization"]).toBe(`Bearer ${KEY}`);
    const records = p.stateFiles().filter((f) => f.includes("/asks/"));
    expect(records).toHaveLength(1);
    const rec = JSON.parse(readFileSync(records[0]!, "utf8")) as Record<string, unknown>;
    expect(rec).toMatchObject({ status: "failed", answer: null, error: { code: "AGENT_FAILED" } });
    expect(leaks(KEY, p.stateFiles(), { stdout: r.stdout, stderr: r.stderr })).toEqual([]);
  });
});
