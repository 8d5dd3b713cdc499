import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { isOmkError, type OmkError } from "../../src/core/errors.js";

/**
 * Real git repositories in temp dirs for tests. Fixed branch `main`, no signing, no background gc or
 * maintenance, identity set locally so nothing depends on the machine's global config.
 * Uses child_process directly (not src/git) so tests of src/git do not verify it with itself.
 */

export const TEST_NAME = "omk test";
export const TEST_EMAIL = "test@omk.invalid";

export interface MakeRepoOptions {
  /** Set user.name/user.email in the repo's config (default true). */
  identity?: boolean;
  /** Make the initial commit (default true; an empty commit when there are no files). */
  commit?: boolean;
}

export interface TestRepo {
  /** Realpath of the work tree. */
  root: string;
  /** Run git in the repo (or in `cwd`), returning stdout without the final newline; throws on failure. */
  git(args: readonly string[], cwd?: string): string;
  /** Write files relative to the repo root (or `cwd`), creating directories. */
  write(files: Record<string, string | Uint8Array>, cwd?: string): void;
  /** Stage everything and commit; returns the new commit id. */
  commitAll(message: string, cwd?: string): string;
  cleanup(): Promise<void>;
}

/** The current env minus anything that would point git elsewhere (GIT_DIR from a hook, GIT_INDEX_FILE, …). */
export function cleanGitEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("GIT_")) env[k] = v;
  }
  return { ...env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C", ...extra };
}

export function runGit(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = cleanGitEnv(),
): string {
  const out = execFileSync("git", args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return out.replace(/\n$/, "");
}

export function makeTempDir(prefix = "omk-test-"): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

export function writeFiles(base: string, files: Record<string, string | Uint8Array>): void {
  for (const [rel, content] of Object.entries(files)) {
    const file = join(base, rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

export async function makeRepo(
  files: Record<string, string | Uint8Array> = {},
  opts: MakeRepoOptions = {},
): Promise<TestRepo> {
  const parent = makeTempDir("omk-git-");
  const root = join(parent, "repo");
  mkdirSync(root);
  const git = (args: readonly string[], cwd = root) => runGit(cwd, args);
  git(["init", "-q", "-b", "main"]);
  const config: [string, string][] = [
    ["commit.gpgsign", "false"],
    ["tag.gpgsign", "false"],
    ["gc.auto", "0"],
    ["maintenance.auto", "false"],
    ["core.autocrlf", "false"],
  ];
  if (opts.identity !== false) {
    config.push(["user.name", TEST_NAME], ["user.email", TEST_EMAIL]);
  }
  for (const [k, v] of config) git(["config", k, v]);
  writeFiles(root, files);
  // Only this helper's own commits get an identity when the repo has none configured.
  const identity = ["-c", `user.name=${TEST_NAME}`, "-c", `user.email=${TEST_EMAIL}`];
  const commitAll = (message: string, cwd = root): string => {
    git(["add", "-A"], cwd);
    git([...identity, "commit", "-q", "--allow-empty", "--no-verify", "-m", message], cwd);
    return git(["rev-parse", "HEAD"], cwd);
  };
  if (opts.commit !== false) commitAll("initial");
  return {
    root,
    git,
    write: (more, cwd = root) => writeFiles(cwd, more),
    commitAll,
    cleanup: () => rm(parent, { recursive: true, force: true, maxRetries: 3 }),
  };
}

/** The OmkError `p` rejects with; fails the test when it resolves or rejects with something else. */
export async function caught(p: Promise<unknown>): Promise<OmkError> {
  try {
    await p;
  } catch (error) {
    if (isOmkError(error)) return error;
    throw error;
  }
  throw new Error("expected an OmkError");
}
