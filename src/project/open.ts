import { requireRepoRoot } from "../git/repo.js";
import { warmGitGuard } from "../git/runner.js";
import { loadProjectConfig } from "./config-load.js";
import type { ProjectConfig } from "./config-schema.js";
import { type Env, gatesForTree, type TreeGates } from "./gates.js";
import { locateProject, type ProjectLocation } from "./locate.js";

/** Everything a command needs to know about the repository it was started in. */
export interface Project extends ProjectLocation {
  config: ProjectConfig;
  gates: TreeGates;
  /** The caller's environment: the parent of every child omk starts for this project. */
  env: Env;
}

/**
 * The one way into a project: repository root, state location and project id, `.omk/config.toml`
 * and the gates. Reads run in parallel; a broken config or gates file fails here, before any work.
 */
export async function openProject(cwd: string, env: Env): Promise<Project> {
  const root = await requireRepoRoot(cwd);
  // Every command that opens a project runs git there: its config read overlaps the reads below.
  warmGitGuard(root);
  const [location, config, gates] = await Promise.all([
    locateProject(root, env),
    loadProjectConfig(root),
    gatesForTree(root, env),
  ]);
  return { ...location, config, gates, env };
}

/**
 * Only where the project's state lives (root, id, dirs): for commands that read runs and need
 * neither the config nor the gates (`run list`), so a slow gates detection or a config being edited
 * does not stand between the user and the list.
 */
export async function openProjectLocation(cwd: string, env: Env): Promise<ProjectLocation> {
  return locateProject(await requireRepoRoot(cwd), env);
}
