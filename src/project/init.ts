import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathExists } from "../core/fs.js";
import { detectGates, detectProtect } from "../gates/detect.js";
import { renderGatesToml } from "../gates/render.js";
import { addToInfoExclude, requireRepoRoot } from "../git/repo.js";
import { renderProjectConfig } from "./config-render.js";
import { proposeWorkspaceSetup } from "./workspace-propose.js";

export type InitFileStatus = "created" | "overwritten" | "kept";

export interface InitResult {
  root: string;
  files: { path: string; status: InitFileStatus }[];
  gates: { name: string; argv: string[] }[];
  setup: string[][];
  excludeAdded: boolean;
}

/**
 * `omk init`: idempotent. Existing files are kept unless `force`, so re-running never
 * clobbers a hand-edited gates.toml.
 */
export async function initProject(
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
  opts: { force: boolean },
): Promise<InitResult> {
  const root = await requireRepoRoot(cwd);
  const gates = await detectGates(root, { env });
  const setup = await proposeWorkspaceSetup(root);
  const emptyMcp = `${JSON.stringify({ mcpServers: {} }, null, 2)}\n`;
  const planned: [string, string][] = [
    [".omk/config.toml", renderProjectConfig({ setup })],
    [".omk/gates.toml", renderGatesToml(gates, await detectProtect(root, gates))],
    [".omk/mcp.json", emptyMcp],
    [".kimi/mcp.json", emptyMcp],
  ];
  const files: InitResult["files"] = [];
  for (const [rel, content] of planned) {
    const abs = join(root, rel);
    const exists = await pathExists(abs);
    if (exists && !opts.force) {
      files.push({ path: rel, status: "kept" });
      continue;
    }
    if (exists && (await readFile(abs, "utf8")) === content) {
      files.push({ path: rel, status: "kept" });
      continue;
    }
    await mkdir(join(abs, ".."), { recursive: true });
    await writeFile(abs, content, "utf8");
    files.push({ path: rel, status: exists ? "overwritten" : "created" });
  }
  const excludeAdded = await addToInfoExclude(root, "/.omk/worktrees/");
  return {
    root,
    files,
    gates: gates.map((g) => ({ name: g.name, argv: [g.command, ...g.args] })),
    setup,
    excludeAdded,
  };
}
