import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isOmkError } from "../core/errors.js";
import { pathExists } from "../core/fs.js";
import { detectGates, detectProtect } from "../gates/detect.js";
import { loadGatesFile } from "../gates/load.js";
import { renderGatesToml } from "../gates/render.js";
import type { GateSpec } from "../gates/schema.js";
import { addToInfoExclude, requireRepoRoot } from "../git/repo.js";
import { loadProjectConfig } from "./config-load.js";
import { renderProjectConfig } from "./config-render.js";
import { proposeWorkspaceSetup } from "./workspace-propose.js";

export type InitFileStatus = "created" | "overwritten" | "kept";

export interface InitResult {
  root: string;
  files: { path: string; status: InitFileStatus }[];
  /** The gates runs will use: the kept gates.toml's, or the detected ones just written. */
  gates: { name: string; argv: string[] }[];
  gatesSource: "kept" | "detected";
  /** The workspace setup runs will use: the kept config.toml's, or the proposed one just written. */
  setup: string[][];
  setupSource: "kept" | "proposed";
  /** Things to tell the person: a kept file that does not load, a kept setup that cannot work. */
  notes: string[];
  excludeAdded: boolean;
}

/**
 * `omk init`: idempotent. Existing files are kept unless `force`, so re-running never
 * clobbers a hand-edited gates.toml — and then reports what the kept files say, not what
 * detection would have written.
 */
export async function initProject(
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
  opts: { force: boolean },
): Promise<InitResult> {
  const root = await requireRepoRoot(cwd);
  const detected = await detectGates(root, { env });
  const proposed = await proposeWorkspaceSetup(root);
  const emptyMcp = `${JSON.stringify({ mcpServers: {} }, null, 2)}\n`;
  const planned: [string, string][] = [
    [".omk/config.toml", renderProjectConfig({ setup: proposed.setup })],
    [".omk/gates.toml", renderGatesToml(detected, await detectProtect(root, detected))],
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
  const kept = (rel: string) => files.find((f) => f.path === rel)?.status === "kept";
  const notes: string[] = [];
  let gates: GateSpec[] = detected;
  if (kept(".omk/gates.toml")) {
    const loaded = await loadOrNote(() => loadGatesFile(join(root, ".omk", "gates.toml"), { env }), notes);
    if (loaded?.found) gates = loaded.config.gates;
  }
  let setup = proposed.setup;
  if (kept(".omk/config.toml")) {
    const config = await loadOrNote(() => loadProjectConfig(root), notes);
    if (config) setup = config.workspace.setup;
    const unusable = proposed.unusable;
    // The same tool and subcommand, whatever the flags.
    if (unusable && setup.some((argv) => argv[0] === unusable[0] && argv[1] === unusable[1]))
      notes.push(
        `${proposed.note}; the kept .omk/config.toml still runs \`${unusable.slice(0, 2).join(" ")}\``,
      );
  } else if (proposed.note) {
    notes.push(proposed.note);
  }
  return {
    root,
    files,
    gates: gates.map((g) => ({ name: g.name, argv: [g.command, ...g.args] })),
    gatesSource: kept(".omk/gates.toml") ? "kept" : "detected",
    setup,
    setupSource: kept(".omk/config.toml") ? "kept" : "proposed",
    notes,
    excludeAdded,
  };
}

/** A kept file that does not load is reported, not fatal: init's job is to set up, and it did. */
async function loadOrNote<T>(load: () => Promise<T>, notes: string[]): Promise<T | null> {
  try {
    return await load();
  } catch (err) {
    if (!isOmkError(err)) throw err;
    notes.push(`${err.message.split("\n").join(" ")}${err.hint ? ` (${err.hint})` : ""}`);
    return null;
  }
}
