import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse, TomlError } from "smol-toml";
import { type ProjectConfig, ProjectConfigSchema } from "../core/config.js";
import { OmkError } from "../core/errors.js";

/** `.omk/config.toml`; a missing file means defaults, a broken one is a usage error naming file and key. */
export async function loadProjectConfig(root: string): Promise<ProjectConfig> {
  const file = join(root, ".omk", "config.toml");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return ProjectConfigSchema.parse({});
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    const where = err instanceof TomlError ? `:${err.line}:${err.column}` : "";
    throw new OmkError("CONFIG_INVALID", `${file}${where}: ${(err as Error).message.split("\n")[0]}`, {
      hint: "fix the TOML syntax (or delete the file and run `omk init`)",
    });
  }
  const parsed = ProjectConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path.join(".");
    const line = lineOfKey(text, String(issue.path[issue.path.length - 1] ?? ""));
    throw new OmkError(
      "CONFIG_INVALID",
      `${file}${line ? `:${line}` : ""}: ${key || "(root)"}: ${issue.message}`,
      {
        hint: "see the comments `omk init` writes in .omk/config.toml for allowed keys and values",
      },
    );
  }
  return parsed.data;
}

function lineOfKey(text: string, key: string): number | null {
  if (!key) return null;
  const lines = text.split("\n");
  const i = lines.findIndex((l) =>
    new RegExp(`^\\s*["']?${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}["']?\\s*=`).test(l),
  );
  return i >= 0 ? i + 1 : null;
}
