import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../../../src/", import.meta.url));

interface Rule {
  name: string;
  pattern: RegExp;
  /** Whether src/proc/ itself is held to the rule (it may import execa, never use a shell). */
  appliesToProc: boolean;
}

const RULES: Rule[] = [
  {
    name: "imports child_process or execa",
    pattern:
      /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["'](?:node:)?(?:child_process|execa)(?:\/[^"']*)?["']/m,
    appliesToProc: false,
  },
  { name: "uses shell: true", pattern: /\bshell\s*:\s*(?:true|["'`])/, appliesToProc: true },
  {
    name: "runs a shell with -c",
    pattern:
      /["'`](?:\/bin\/|\/usr\/bin\/|\/usr\/bin\/env )?(?:ba|z|da|k)?sh["'`]\s*,\s*\[?\s*["'`]-[a-z]*c["'`]/,
    appliesToProc: true,
  },
  {
    name: "calls exec() with a command string",
    pattern: /(?<![.\w])exec(?:Sync|aCommand|aCommandSync)?\s*\(\s*["'`]/,
    appliesToProc: true,
  },
];

/** Comments may discuss what is banned; only code counts. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

function violations(path: string, source: string): string[] {
  const inProc = path.startsWith(`proc${sep}`);
  const code = stripComments(source);
  return RULES.filter((r) => (r.appliesToProc || !inProc) && r.pattern.test(code)).map(
    (r) => `${path}: ${r.name}`,
  );
}

async function tsFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

describe("spawning only through src/proc/", () => {
  it("the detector flags each banned form (so the guard below can fail)", () => {
    const bad = [
      'import { spawn } from "node:child_process";',
      "import { execa } from 'execa';",
      'const cp = await import("child_process");',
      'const { execSync } = require("child_process");',
      'import "execa";',
      "run(cmd, { shell: true });",
      'spawn("bash", ["-c", script]);',
      'spawn("/bin/sh", ["-c", script]);',
      "['sh', '-c', script]",
      'runProcess(["bash", "-lc", cmd], o);',
      'exec("rm -rf " + dir);',
      "execSync(`git status`);",
    ];
    expect(violations(`gates${sep}x.ts`, 'const m = /x/.exec("literal");')).toEqual([]);
    for (const line of bad) expect(violations(`gates${sep}x.ts`, line), line).not.toEqual([]);
    expect(violations(`proc${sep}x.ts`, 'import { execa } from "execa";')).toEqual([]);
    expect(violations(`proc${sep}x.ts`, "execa(file, args, { shell: true })")).not.toEqual([]);
    expect(
      violations(`gates${sep}x.ts`, "// never `shell: true` or bash -c\nrunProcess([cmd, ...args], o);"),
    ).toEqual([]);
  });

  it("no file in src/ outside src/proc/ spawns on its own or through a shell", async () => {
    const files = await tsFiles(SRC);
    expect(files.length).toBeGreaterThan(0);
    expect(files.some((f) => relative(SRC, f).startsWith(`proc${sep}`))).toBe(true);
    const found: string[] = [];
    for (const file of files) found.push(...violations(relative(SRC, file), await readFile(file, "utf8")));
    expect(found).toEqual([]);
  });
});
