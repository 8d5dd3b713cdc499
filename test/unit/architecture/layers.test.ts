import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import {
  checkBans,
  checkFile,
  checkFolders,
  checkLayering,
  extractImports,
  type Finding,
  formatFinding,
  type Layer,
  parseLayerTable,
  type Rule,
} from "../../helpers/architecture.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SRC = join(ROOT, "src");
const DOC = join(ROOT, "docs", "architecture.md");

/** A made-up order for the checker's own tests; the real order is only ever read from the doc. */
const SYNTHETIC = parseLayerTable(
  [
    "# x",
    "## Layers",
    "",
    "| folder | owns |",
    "| --- | --- |",
    "| `low/` | the bottom |",
    "| `mid/` | the middle |",
    "| `high/` | the top |",
    "| `later/` | (planned) not yet |",
    "",
    "## Next",
  ].join("\n"),
);

function rulesOf(file: string, source: string, layers: readonly Layer[] = SYNTHETIC): Rule[] {
  return checkFile(file, source, layers).map((f) => f.rule);
}

describe("the layer table parser", () => {
  it("reads folders bottom up, marks (planned) rows, and stops at the table's end", () => {
    expect(SYNTHETIC).toEqual([
      { folder: "low", owns: "the bottom", planned: false },
      { folder: "mid", owns: "the middle", planned: false },
      { folder: "high", owns: "the top", planned: false },
      { folder: "later", owns: "(planned) not yet", planned: true },
    ]);
  });

  it("refuses a doc without the section, a row that is not a backticked folder, or a repeated folder", () => {
    expect(() => parseLayerTable("# nothing here")).toThrow(/## Layers/);
    expect(() => parseLayerTable("## Layers\n| a | b |\n| --- | --- |\n| core | x |")).toThrow(/backticked/);
    expect(() => parseLayerTable("## Layers\n| a | b |\n| --- | --- |\n| `core` | x |")).toThrow(
      /backticked/,
    );
    expect(() => parseLayerTable("## Layers\n| a | b |\n| --- | --- |\n| `a/` | x |\n| `a/` | y |")).toThrow(
      /twice/,
    );
    expect(() => parseLayerTable("## Layers\n\nno table")).toThrow(/no table rows/);
  });

  it("the folder check flags unlisted folders and missing unplanned rows, not missing planned ones", () => {
    expect(checkFolders(["low", "mid", "high"], SYNTHETIC)).toEqual([]);
    expect(checkFolders(["low", "mid", "high", "extra"], SYNTHETIC).map((f) => f.rule)).toEqual([
      "unknown-folder",
    ]);
    expect(checkFolders(["low", "high"], SYNTHETIC).map((f) => [f.rule, f.file])).toEqual([
      ["missing-folder", "src/mid/"],
    ]);
  });
});

describe("the checker flags each rule (so the real-tree checks below can fail)", () => {
  const upward: [string, string][] = [
    ["import", 'import { a } from "../high/x.js";'],
    ["default import", 'import a from "../high/x.js";'],
    ["namespace import", 'import * as h from "../high/x.js";'],
    ["import type", 'import type { A } from "../high/x.js";'],
    ["inline type import", 'import { type A, b as c } from "../high/x.js";'],
    ["export from", 'export { a } from "../high/x.js";'],
    ["export * from", 'export * from "../high/x.js";'],
    ["export type from", "export type { A } from '../high/x.js';"],
    ["side-effect import", 'import "../high/x.js";'],
    ["dynamic import", 'const m = await import("../high/x.js");'],
    ["dynamic import in a type", 'let t: typeof import("../high/x.js").a;'],
    ["multi-line import", 'import {\n  a,\n  type B,\n  c as d,\n} from "../high/x.js";'],
    ["multi-line dynamic import", "const m = await import(\n  `../high/x.js`\n);"],
    ["import of a file directly in src/", 'import { a } from "../index.js";'],
  ];
  it.each(upward)("upward-import: %s", (_, source) => {
    expect(rulesOf("src/mid/y.ts", source)).toEqual(["upward-import"]);
  });

  it("upward-import from a nested file, with the line of the import", () => {
    const found = checkLayering(
      "src/low/deep/y.ts",
      '// x\n\nimport {\n  a,\n} from "../../mid/x.js";',
      SYNTHETIC,
    );
    expect(found).toEqual<Finding[]>([
      {
        file: "src/low/deep/y.ts",
        line: 3,
        rule: "upward-import",
        message: 'import "../../mid/x.js": low/ must not import mid/ (above it in ## Layers)',
      },
    ]);
  });

  it("import-outside-src: a relative import that leaves src/", () => {
    expect(rulesOf("src/mid/y.ts", 'import { x } from "../../test/helpers/x.js";')).toEqual([
      "import-outside-src",
    ]);
  });

  const banned: [Rule, string, string][] = [
    ["process-exit", "src/low/x.ts", "process.exit(1);"],
    ["process-exit", "src/low/x.ts", "process?.exit(1);"],
    ["process-exit", "src/low/x.ts", 'process["exit"](1);'],
    ["process-exit", "src/low/x.ts", "globalThis.process.exit(1);"],
    ["process-exit", "src/low/x.ts", "const { exit } = process;"],
    ["process-exit", "src/low/x.ts", 'import { exit } from "node:process";'],
    ["console", "src/low/x.ts", 'console.log("x");'],
    ["console", "src/proc/x.ts", "console.error(err);"],
    ["console", "src/low/x.ts", "const { warn } = console;"],
    ["console", "src/low/x.ts", 'import { log } from "node:console";'],
    ["process-stdio", "src/low/x.ts", 'process.stdout.write("x");'],
    ["process-stdio", "src/low/x.ts", "process.stderr.write(`x`);"],
    ["process-stdio", "src/low/x.ts", 'import { stderr } from "process";'],
    ["process-env", "src/low/x.ts", "const home = process.env.HOME;"],
    ["process-env", "src/store/x.ts", "function dirs(env = process.env) {}"],
    ["process-env", "src/low/x.ts", 'const v = process.env["X"];'],
    ["process-env", "src/low/x.ts", "const { env } = process;"],
    ["process-env", "src/low/x.ts", 'import { env } from "node:process";'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source under test has a template
    ["process-env", "src/low/x.ts", "const s = `home: ${process.env.HOME}`;"],
    ["homedir", "src/low/x.ts", "const h = homedir();"],
    ["homedir", "src/store/dirs.ts", "const h = os.homedir();"],
    ["homedir", "src/low/x.ts", 'import { homedir } from "node:os";'],
    ["homedir", "src/low/x.ts", "import { homedir as h } from 'os';"],
    ["git-argv", "src/low/x.ts", 'await runProcess(["git", "status"], o);'],
    ["git-argv", "src/run/x.ts", 'const argv = [\n  "git",\n  ...args,\n];'],
    ["git-argv", "src/run/x.ts", "const argv = [`git`, 'log'];"],
    ["git-runner-import", "src/run/x.ts", 'import { git } from "../git/index.js";'],
    ["git-runner-import", "src/run/x.ts", 'import { headCommit, git as g } from "../git/index.js";'],
    ["git-runner-import", "src/run/x.ts", 'import type { GitRunner } from "../git/runner.js";'],
    ["git-runner-import", "src/run/x.ts", 'export { git } from "../git/index.js";'],
  ];
  it.each(banned)("%s: %s %s", (rule, file, source) => {
    expect(checkBans(file, source).map((f) => f.rule)).toEqual([rule]);
  });

  it("a ban inside a template substitution is code; a regex with quotes does not hide the next line", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source under test has templates
    const source = "const r = /[\"'`]/;\nconst s = `a ${`b ${process.exit}`}`;\nconsole.log(r, s);";
    expect(checkBans("src/low/x.ts", source).map((f) => [f.rule, f.line])).toEqual([
      ["process-exit", 2],
      ["console", 3],
    ]);
  });
});

describe("the checker passes what is allowed", () => {
  const allowed: [string, string, string][] = [
    ["same folder", "src/mid/y.ts", 'import { a } from "./x.js";\nimport type { B } from "./sub/b.js";'],
    ["same folder from a subfolder", "src/mid/sub/y.ts", 'import { a } from "../x.js";'],
    ["downward", "src/high/y.ts", 'import { a } from "../low/x.js";\nexport * from "../mid/z.js";'],
    ["a file directly in src/ importing any layer", "src/index.ts", 'import { a } from "./high/x.js";'],
    [
      "packages and node: modules",
      "src/low/y.ts",
      'import { z } from "zod";\nimport * as path from "node:path";',
    ],
    [
      "imports in comments and strings",
      "src/low/y.ts",
      '// import { a } from "../high/x.js";\n/* import("../high/x.js") */\nconst s = \'import "../high/x.js"\';',
    ],
    ["import.meta", "src/low/y.ts", 'const u = new URL("../high/x.js", import.meta.url);'],
    ["process.env in src/cli/", "src/cli/x.ts", "const env = process.env;"],
    ["process.env in src/proc/", "src/proc/x.ts", "sanitize(process.env);"],
    [
      "printing and exiting in src/cli/",
      "src/cli/x.ts",
      'console.log("x");\nprocess.stdout.write("y");\nprocess.exit(2);',
    ],
    ["homedir in src/store/paths.ts", "src/store/paths.ts", 'import { homedir } from "node:os";\nhomedir();'],
    [
      "git argv and the runner inside src/git/",
      "src/git/x.ts",
      'import { git } from "./runner.js";\nrun(["git", "log"]);',
    ],
    [
      "typed git wrappers",
      "src/run/x.ts",
      'import { headCommit, type WorktreeInfo } from "../git/index.js";',
    ],
    [
      "comments that mention the bans",
      "src/low/x.ts",
      '// never call process.exit or console.log here\n/** process.env is read by the CLI; ["git", …] */\nconst a = 1;',
    ],
    [
      "strings that mention the bans",
      "src/low/x.ts",
      'throw new Error("set process.env.X, then process.exit; see console.log and os.homedir()");',
    ],
    [
      "look-alikes that are not the globals",
      "src/low/x.ts",
      'child.subprocess.stdout.on("data", f);\nthis.process.env;\nprocess.exitCode;\nconst o = { console: 1, process: 2 };\nx["git"];\n["gitx", "y"];',
    ],
  ];
  it.each(allowed)("%s", (_, file, source) => {
    expect(checkFile(file, source, SYNTHETIC).map(formatFinding)).toEqual([]);
  });

  it("import extraction sees every form with the right names", () => {
    const refs = extractImports(
      [
        'import a, { b as c, type D } from "./one.js";',
        'import * as ns from "./two.js";',
        'export { e } from "./three.js";',
        'import "./four.js";',
        'const f = await import("./five.js");',
        'import type G from "./six.js";',
        "export const h = 1;",
      ].join("\n"),
    );
    expect(refs.map((r) => [r.form, r.specifier, r.names.join(","), r.line])).toEqual([
      ["import", "./one.js", "default,b,D", 1],
      ["import", "./two.js", "*", 2],
      ["export from", "./three.js", "e", 3],
      ["side-effect import", "./four.js", "", 4],
      ["dynamic import", "./five.js", "", 5],
      ["import type", "./six.js", "default", 6],
    ]);
  });
});

describe("src/ follows docs/architecture.md", () => {
  let layers: Layer[] = [];
  let folders: string[] = [];
  const findings: Finding[] = [];

  beforeAll(async () => {
    layers = parseLayerTable(await readFile(DOC, "utf8"));
    const top = await readdir(SRC, { withFileTypes: true });
    folders = top.filter((e) => e.isDirectory()).map((e) => e.name);
    const entries = await readdir(SRC, { withFileTypes: true, recursive: true });
    const files = entries
      .filter((e) => e.isFile() && e.name.endsWith(".ts"))
      .map((e) => join(e.parentPath, e.name))
      .sort();
    for (const file of files) {
      const rel = relative(ROOT, file).split(sep).join("/");
      findings.push(...checkFile(rel, await readFile(file, "utf8"), layers));
    }
  });

  const of = (rules: readonly Rule[]): string[] =>
    findings.filter((f) => rules.includes(f.rule)).map(formatFinding);

  it("the doc's ## Layers table parses", () => {
    expect(layers.length).toBeGreaterThan(1);
    expect(folders.length).toBeGreaterThan(0);
  });

  it("every folder under src/ has a row, and every row not marked (planned) exists", () => {
    expect(checkFolders(folders, layers).map(formatFinding)).toEqual([]);
  });

  it("no file imports a layer above its own", () => {
    expect(of(["upward-import", "import-outside-src"])).toEqual([]);
  });

  const bans: [string, Rule][] = [
    ["process.exit only in src/cli/", "process-exit"],
    ["console only in src/cli/", "console"],
    ["process.stdout / process.stderr only in src/cli/", "process-stdio"],
    ["process.env only in src/cli/ and src/proc/", "process-env"],
    ["the home directory only in src/store/paths.ts", "homedir"],
    ["git argv only in src/git/", "git-argv"],
    ["the generic git runner only in src/git/", "git-runner-import"],
  ];
  it.each(bans)("%s", (_, rule) => {
    expect(of([rule])).toEqual([]);
  });
});
