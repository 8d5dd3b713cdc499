/**
 * The integration tests' project: a temp git repo with committed gates, a sandbox with private XDG dirs,
 * exec agents as tiny executable node scripts outside the repo, the built CLI run in the repo, and
 * readers for a run's private state (ledger lines, proof.json, every file omk could have written).
 */
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { verifyLedger } from "../../src/store/ledger/read.js";
import { type OmkOptions, type OmkResult, omk, type RunDoc, sandbox } from "./cli.js";
import { type GateDef, gatesToml } from "./gates.js";
import { makeRepo, type TestRepo } from "./git-repo.js";

export const FAKE_KIMI = new URL("../fixtures/fake-kimi/kimi", import.meta.url).pathname;

/** Gate: every `*.txt` file at the top of the tree must contain "ok" (an agent writing "bad" fails it). */
const TXT_GATE = `import { readdirSync, readFileSync } from "node:fs";
const bad = readdirSync(".").filter((f) => f.endsWith(".txt") && !readFileSync(f, "utf8").includes("ok"));
if (bad.length > 0) { console.error("not ok: " + bad.join(", ")); process.exit(1); }
console.log("all ok");
`;

/** Gate: answer.txt must hold 42; otherwise it fails saying what it found. */
const ANSWER_GATE = `import { readFileSync } from "node:fs";
let got = "(missing)";
try { got = readFileSync("answer.txt", "utf8").trim(); } catch {}
if (got !== "42") { console.error("gate-check: expected 42 in answer.txt, got " + got); process.exit(1); }
console.log("gate-check: ok");
`;

export interface ProjectOptions {
  /**
   * The gates committed as `.omk/gates.toml` (none when empty); the scripts they run come with `files`.
   * Default: the gate "txt", TXT_GATE committed as gate.mjs.
   */
  gates?: readonly GateDef[];
  /** Commit a .gitignore of omk's worktrees, so runs leave the main checkout clean (default true). */
  ignoreWorktrees?: boolean;
}

/** One line of events.jsonl, as written. */
export interface LedgerLine {
  seq: number;
  run: string;
  kind: string;
  data: Record<string, unknown>;
  hash: string;
}

export interface ExecRunOptions {
  /** Default "fix the thing". */
  task?: string;
  /** More `omk run` arguments, e.g. ["--max-attempts", "1"]. */
  args?: readonly string[];
  /** More environment for omk. */
  env?: Record<string, string>;
}

export interface RunExec {
  r: OmkResult;
  doc: RunDoc;
}

export interface ProofVerifyDoc {
  ok: boolean;
  runId: string;
  status: string | null;
  checks: { name: string; ok: boolean; detail: string }[];
}

export interface Project {
  repo: TestRepo;
  sb: ReturnType<typeof sandbox>;
  /** Main's commit after set-up. */
  base: string;
  /** Runs the built CLI in the repo with the sandbox's private state (`opts.env` on top). */
  omk(args: readonly string[], opts?: Partial<OmkOptions>): Promise<OmkResult>;
  /** Writes an executable node ES module `<name>.mjs` into the sandbox (outside the repo); returns its path. */
  script(name: string, body: string): string;
  /** An exec agent `<name>.mjs` that writes `files` (relative to its cwd, the worktree) and exits 0. */
  writerAgent(name: string, files: Record<string, string>): string;
  /**
   * `omk run --json --agent exec --agent-bin <agent> …args <task>`; fails loudly on anything but one JSON
   * document, or on an exit code that disagrees with the status.
   */
  execRun(agent: string, opts?: ExecRunOptions): Promise<RunExec>;
  /** `omk proof verify <runId> --json …args`. */
  proofVerify(
    runId: string,
    args?: readonly string[],
  ): Promise<{ code: number | null; doc: ProofVerifyDoc; stderr: string }>;
  /** The run's private state dir; throws when there is none. */
  runDir(runId: string): string;
  /** The only run's state dir, once its ledger shows `kind`. */
  runDirWhen(kind: string): Promise<string>;
  /** The run's events.jsonl (see ledgerLines). */
  ledger(runId: string): LedgerLine[];
  /** The run's proof.json. */
  proof(runId: string): Record<string, unknown>;
  /** Every regular file omk could have written privately: the sandbox's XDG state, cache and config dirs. */
  stateFiles(): string[];
  cleanup(): Promise<void>;
}

/** A repo whose first commit holds `files`, the gates and (by default) a .gitignore of omk's worktrees. */
export async function project(
  files: Record<string, string | Uint8Array>,
  opts: ProjectOptions = {},
): Promise<Project> {
  const gates = opts.gates ?? [{ name: "txt", args: ["gate.mjs"] }];
  const sb = sandbox("omk-project-");
  const repo = await makeRepo({
    ...(opts.gates === undefined ? { "gate.mjs": TXT_GATE } : {}),
    ...(opts.ignoreWorktrees === false ? {} : { ".gitignore": ".omk/worktrees/\n" }),
    ...(gates.length > 0 ? { ".omk/gates.toml": gatesToml(gates) } : {}),
    ...files,
  });
  const runDirs = (): string[] => {
    const projects = join(sb.dir, "state", "omk", "projects");
    if (!existsSync(projects)) return [];
    const out: string[] = [];
    for (const proj of readdirSync(projects)) {
      const runs = join(projects, proj, "runs");
      if (!existsSync(runs)) continue;
      for (const id of readdirSync(runs)) if (id.startsWith("run-")) out.push(join(runs, id));
    }
    return out.sort();
  };
  const p: Project = {
    repo,
    sb,
    base: repo.git(["rev-parse", "HEAD"]),
    omk: (args, o = {}) => omk(args, { cwd: repo.root, ...o, env: { ...sb.env, ...o.env } }),
    script(name, body) {
      const file = join(sb.dir, `${name}.mjs`);
      writeFileSync(file, `#!/usr/bin/env node\n${body}`);
      chmodSync(file, 0o755);
      return file;
    },
    writerAgent: (name, written) =>
      p.script(
        name,
        `import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
for (const [f, c] of Object.entries(${JSON.stringify(written)})) {
  mkdirSync(dirname(f), { recursive: true });
  writeFileSync(f, c);
}
`,
      ),
    async execRun(agent, { task = "fix the thing", args = [], env = {} } = {}) {
      const r = await p.omk(["run", "--json", "--agent", "exec", "--agent-bin", agent, ...args, task], {
        env,
      });
      const doc = r.json<RunDoc>();
      if ((doc.status === "ready") !== (r.code === 0))
        throw new Error(`exit ${r.code} for ${doc.status}\n${r.stderr}`);
      return { r, doc };
    },
    async proofVerify(runId, args = []) {
      const r = await p.omk(["proof", "verify", runId, "--json", ...args]);
      return { code: r.code, doc: r.json<ProofVerifyDoc>(), stderr: r.stderr };
    },
    runDir(runId) {
      const dir = runDirs().find((d) => basename(d) === runId);
      if (!dir) throw new Error(`no state dir for ${runId}`);
      return dir;
    },
    runDirWhen: (kind) =>
      waitFor(`${kind} in the ledger`, () => {
        const dir = runDirs()[0];
        return dir && kinds(ledgerLines(dir)).includes(kind) ? dir : null;
      }),
    ledger: (runId) => ledgerLines(p.runDir(runId)),
    proof: (runId) =>
      JSON.parse(readFileSync(join(p.runDir(runId), "proof.json"), "utf8")) as Record<string, unknown>,
    stateFiles: () =>
      ["state", "cache", "config"]
        .map((d) => join(sb.dir, d))
        .flatMap((d) => (existsSync(d) ? allFiles(d) : [])),
    async cleanup() {
      sb.cleanup();
      await repo.cleanup();
    },
  };
  return p;
}

/** A project whose one gate, "check" (check.mjs), passes only when answer.txt holds 42. */
export function answerProject(files: Record<string, string>): Promise<Project> {
  return project({ ...files, "check.mjs": ANSWER_GATE }, { gates: [{ name: "check", args: ["check.mjs"] }] });
}

/**
 * `<dir>/events.jsonl` parsed line by line, exactly as written ([] before the file exists). The one line
 * that may not parse is a torn tail left by a killed writer: the last line, with no "\n" after it, which
 * is skipped. Any other line that does not parse throws, naming the file and line.
 */
export function ledgerLines(dir: string): LedgerLine[] {
  const file = join(dir, "events.jsonl");
  if (!existsSync(file)) return [];
  const text = readFileSync(file, "utf8");
  const torn = !text.endsWith("\n");
  const lines = text.split("\n");
  if (!torn) lines.pop(); // the empty string after the final "\n"
  return lines.flatMap((line, i) => {
    try {
      return [JSON.parse(line) as LedgerLine];
    } catch (cause) {
      if (torn && i === lines.length - 1) return [];
      throw new Error(`${file}:${i + 1}: not a ledger line: ${JSON.stringify(line.slice(0, 200))}`, {
        cause,
      });
    }
  });
}

export const kinds = (lines: readonly LedgerLine[]): string[] => lines.map((l) => l.kind);
export const ofKind = (lines: readonly LedgerLine[], kind: string): LedgerLine[] =>
  lines.filter((l) => l.kind === kind);

/** What src/store/ledger's verification finds wrong with `<dir>`'s hash chain (independent of any omk command). */
export async function ledgerProblems(dir: string): Promise<string[]> {
  const { problems } = await verifyLedger(dir);
  return problems.map((x) => `${x.kind}: ${x.message}`);
}

export function checkOf(doc: ProofVerifyDoc, name: string) {
  const c = doc.checks.find((x) => x.name === name);
  if (!c) throw new Error(`no ${name} check in ${JSON.stringify(doc.checks)}`);
  return c;
}

/** Polls `pred` every 50 ms until it holds (returns its value) or `ms` elapse (throws `what`). */
export async function waitFor<T>(
  what: string,
  pred: () => T | undefined | null | false,
  ms = 30_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** Whether `pid` runs; a zombie (an orphan its new parent has not reaped yet) counts as dead. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true; // no procfs (macOS): trust kill(0)
  }
}

/** Every regular file below `dir`. */
export function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (st?.isDirectory()) out.push(...allFiles(p));
    else if (st?.isFile()) out.push(p);
  }
  return out;
}

/** Names of the files (and the outputs) that contain `needle`; empty means it leaked nowhere. */
export function leaks(
  needle: string,
  files: readonly string[],
  outputs: Record<string, string> = {},
): string[] {
  const hits: string[] = [];
  for (const f of files) if (readFileSync(f).includes(needle)) hits.push(f);
  for (const [name, text] of Object.entries(outputs)) if (text.includes(needle)) hits.push(name);
  return hits;
}

/** argv of `omk goal run --json --plan <plan> --agent exec --agent-bin <agent> …rest` (rest ends with the goal). */
export function execGoalArgs(plan: string, agent: string, ...rest: string[]): string[] {
  return ["goal", "run", "--json", "--plan", plan, "--agent", "exec", "--agent-bin", agent, ...rest];
}
