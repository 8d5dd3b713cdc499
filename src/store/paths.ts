import { createHash } from "node:crypto";
import { homedir } from "node:os";
import * as path from "node:path";
import envPaths from "env-paths";
import { OmkError } from "../core/errors.js";

/** omk's private directories. Nothing else in omk decides where state, config or cache live. */
export interface OmkDirs {
  state: string;
  config: string;
  cache: string;
}

export type EnvLike = Readonly<Record<string, string | undefined>>;

const APP = "omk";

/**
 * The XDG base-directory spec says relative values must be ignored; an empty value means "unset".
 * Honoured on every platform so a test (or a user) can redirect omk with one variable.
 */
function xdg(env: EnvLike, name: string): string | undefined {
  const value = env[name];
  return value !== undefined && value !== "" && path.isAbsolute(value) ? value : undefined;
}

/**
 * env-paths("omk", {suffix: ""}) semantics, honouring XDG_STATE_HOME / XDG_CONFIG_HOME / XDG_CACHE_HOME and
 * HOME from `env` (the caller's environment, always passed in). Pure: creates nothing.
 */
export function omkDirs(env: EnvLike): OmkDirs {
  const stateHome = xdg(env, "XDG_STATE_HOME");
  const configHome = xdg(env, "XDG_CONFIG_HOME");
  const cacheHome = xdg(env, "XDG_CACHE_HOME");

  if (process.platform === "darwin" || process.platform === "win32") {
    // env-paths reads the real process env and home, so only the native defaults come from it.
    // It has no "state"; its "data" dir is where an app keeps what it must not lose.
    const native = envPaths(APP, { suffix: "" });
    return {
      state: stateHome === undefined ? native.data : path.join(stateHome, APP),
      config: configHome === undefined ? native.config : path.join(configHome, APP),
      cache: cacheHome === undefined ? native.cache : path.join(cacheHome, APP),
    };
  }

  const home = xdg(env, "HOME") ?? homedir();
  return {
    state: path.join(stateHome ?? path.join(home, ".local", "state"), APP),
    config: path.join(configHome ?? path.join(home, ".config"), APP),
    cache: path.join(cacheHome ?? path.join(home, ".cache"), APP),
  };
}

const MAX_NAME = 40;

/** Stable per-repo id: sanitized basename of the repo root + "-" + first 12 hex of sha256(realpath(root)). */
export function projectId(repoRootRealpath: string): string {
  const base = path
    .basename(repoRootRealpath)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/\.{2,}/g, ".")
    .replace(/^[._-]+/, "")
    .slice(0, MAX_NAME)
    .replace(/[._-]+$/, "");
  const digest = createHash("sha256").update(repoRootRealpath, "utf8").digest("hex").slice(0, 12);
  return `${base === "" ? "repo" : base}-${digest}`;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Ids reach us from the command line (`omk run show <run>`); they must never climb out of the state dir. */
function segment(kind: string, value: string): string {
  if (!SEGMENT.test(value) || value.includes("..") || value.length > 128) {
    throw new OmkError("UNSAFE_PATH", `Invalid ${kind} id ${JSON.stringify(value)}`, {
      hint: "Ids contain only letters, digits, '.', '_' and '-' and start with a letter or digit.",
    });
  }
  return value;
}

/** `<state>/projects/<id>` */
export function projectStateDir(dirs: OmkDirs, projectId: string): string {
  return path.join(dirs.state, "projects", segment("project", projectId));
}

/** `<state>/projects/<id>/runs/<runId>` */
export function runDir(dirs: OmkDirs, projectId: string, runId: string): string {
  return path.join(projectStateDir(dirs, projectId), "runs", segment("run", runId));
}
