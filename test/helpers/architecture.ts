/**
 * The architecture checker: pure functions over a file's path and text. No IO here — the test reads the
 * files and docs/architecture.md and hands them in, so every rule can also be fed synthetic sources.
 *
 * Paths are repo-relative with forward slashes ("src/run/driver.ts"). Sources are tokenized (comments
 * dropped, strings, templates and regexes kept as single tokens), so a comment or a message string that
 * mentions `process.exit` is not code.
 */
import * as posix from "node:path/posix";

export interface Layer {
  /** Folder name under src/ without the slash, e.g. "core". */
  folder: string;
  /** The table's second column, as written. */
  owns: string;
  /** The row's "owns" text starts with "(planned)": the folder may not exist yet. */
  planned: boolean;
}

export type Rule =
  | "layer-table"
  | "unknown-folder"
  | "missing-folder"
  | "upward-import"
  | "import-outside-src"
  | "process-exit"
  | "console"
  | "process-stdio"
  | "process-env"
  | "homedir"
  | "git-argv"
  | "git-runner-import";

export interface Finding {
  file: string;
  line: number;
  rule: Rule;
  message: string;
}

/** One line per finding, for readable test diffs: `src/x/y.ts:12 rule: message`. */
export function formatFinding(f: Finding): string {
  return `${f.file}:${f.line} ${f.rule}: ${f.message}`;
}

// ---------------------------------------------------------------------------------------------------------
// The layer table

/**
 * The rows of the markdown table under the `## Layers` heading, bottom layer first. A row's first cell is
 * the folder in backticks with a trailing slash (`` `core/` ``); the second is what it owns. The header row
 * and the `| --- |` separator are skipped; the table ends at the first non-table line after it starts.
 * Throws if the section or its table is missing, or a first cell is not a backticked `folder/`.
 */
export function parseLayerTable(markdown: string): Layer[] {
  const lines = markdown.split(/\r?\n/);
  const start = lines.findIndex((l) => /^##\s+Layers\s*$/.test(l.trim()));
  if (start === -1) throw new Error("docs/architecture.md has no `## Layers` section");
  const layers: Layer[] = [];
  let inTable = false;
  let rowIndex = 0;
  for (const raw of lines.slice(start + 1)) {
    const line = raw.trim();
    if (/^#{1,2}\s/.test(line)) break;
    if (!line.startsWith("|")) {
      if (inTable) break;
      continue;
    }
    inTable = true;
    rowIndex++;
    const cells = line
      .replace(/^\|/, "")
      .replace(/\|$/, "")
      .split("|")
      .map((c) => c.trim());
    if (rowIndex === 1) continue; // header
    if (cells.every((c) => /^:?-{3,}:?$/.test(c))) continue; // separator
    const folder = /^`([a-z][a-z0-9-]*)\/`$/.exec(cells[0] ?? "")?.[1];
    if (folder === undefined) {
      throw new Error(`## Layers row's first cell must be a backticked folder like \`core/\`: ${line}`);
    }
    const owns = cells.slice(1).join(" | ");
    if (layers.some((l) => l.folder === folder)) throw new Error(`## Layers lists \`${folder}/\` twice`);
    layers.push({ folder, owns, planned: owns.startsWith("(planned)") });
  }
  if (layers.length === 0) throw new Error("the `## Layers` section has no table rows");
  return layers;
}

/**
 * (b): every folder directly under src/ is a row, and every row not marked "(planned)" is a folder.
 * `folders` are the names of the directories directly under src/.
 */
export function checkFolders(folders: readonly string[], layers: readonly Layer[]): Finding[] {
  const findings: Finding[] = [];
  const known = new Set(layers.map((l) => l.folder));
  for (const folder of [...folders].sort()) {
    if (!known.has(folder)) {
      findings.push({
        file: `src/${folder}/`,
        line: 0,
        rule: "unknown-folder",
        message: "folder is not in docs/architecture.md's ## Layers table",
      });
    }
  }
  const present = new Set(folders);
  for (const layer of layers) {
    if (!layer.planned && !present.has(layer.folder)) {
      findings.push({
        file: `src/${layer.folder}/`,
        line: 0,
        rule: "missing-folder",
        message: 'listed in ## Layers but does not exist (mark its "owns" text "(planned)" if it is to come)',
      });
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------------------
// Tokenizer: enough of TypeScript's lexical grammar to tell code from comments, strings and regexes.

export type TokenType = "ident" | "string" | "template" | "regex" | "number" | "punct";

export interface Token {
  type: TokenType;
  /** ident/punct/number: the text; string: the contents; template: the contents of a chunk. */
  value: string;
  /** A template without `${…}` substitutions (its value is then the whole literal's contents). */
  plain?: boolean;
  /** A template chunk that ends in `${`: code follows. */
  open?: boolean;
  line: number;
}

/** After these keywords an expression starts, so a `/` opens a regex rather than dividing. */
const EXPRESSION_KEYWORDS = new Set(
  "return typeof instanceof in of new delete void throw case do else yield await".split(" "),
);

const IDENT = /[\p{L}\p{Nl}$_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}$\u200c\u200d]*/uy;
const NUMBER = /(?:0[xXbBoO][\da-fA-F_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?)n?/y;

/** Whether a `/` (or a `[`) after `prev` starts an expression rather than continuing one. */
function startsExpression(prev: Token | undefined): boolean {
  if (prev === undefined) return true;
  switch (prev.type) {
    case "ident":
      return EXPRESSION_KEYWORDS.has(prev.value);
    case "punct":
      return prev.value !== ")" && prev.value !== "]" && prev.value !== "}";
    case "template":
      // A chunk ending in `${` is followed by code; any other chunk ends an expression.
      return prev.open === true;
    default:
      return false;
  }
}

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const src = source;
  const n = src.length;
  let i = 0;
  let line = 1;
  /** For each open `${`, the `{` depth inside it; `}` at depth 0 resumes the template. */
  const templateDepth: number[] = [];

  const advance = (to: number): void => {
    for (let k = i; k < to; k++) if (src.charCodeAt(k) === 10) line++;
    i = to;
  };

  /** Reads a template chunk starting after "`" or after the `}` closing a substitution. */
  const readTemplateChunk = (first: boolean): void => {
    const startLine = line;
    let k = i;
    let text = "";
    while (k < n) {
      const c = src[k]!;
      if (c === "\\") {
        text += src.slice(k, k + 2);
        k += 2;
        continue;
      }
      if (c === "`") {
        tokens.push({ type: "template", value: text, plain: first, line: startLine });
        advance(k + 1);
        return;
      }
      if (c === "$" && src[k + 1] === "{") {
        tokens.push({ type: "template", value: text, plain: false, open: true, line: startLine });
        templateDepth.push(0);
        advance(k + 2);
        return;
      }
      text += c;
      k++;
    }
    tokens.push({ type: "template", value: text, plain: first, line: startLine });
    advance(n);
  };

  if (src.startsWith("#!")) {
    const nl = src.indexOf("\n");
    advance(nl === -1 ? n : nl);
  }

  while (i < n) {
    const c = src[i]!;
    if (c === "\n" || c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v" || c === "\uFEFF") {
      advance(i + 1);
      continue;
    }
    if (c === "/" && src[i + 1] === "/") {
      const nl = src.indexOf("\n", i);
      advance(nl === -1 ? n : nl);
      continue;
    }
    if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      advance(end === -1 ? n : end + 2);
      continue;
    }
    if (c === '"' || c === "'") {
      let k = i + 1;
      let text = "";
      while (k < n && src[k] !== c && src[k] !== "\n") {
        if (src[k] === "\\") {
          const next = src[k + 1] ?? "";
          text += next === "\n" ? "" : next;
          k += 2;
          continue;
        }
        text += src[k];
        k++;
      }
      tokens.push({ type: "string", value: text, line });
      advance(Math.min(k + 1, n));
      continue;
    }
    if (c === "`") {
      advance(i + 1);
      readTemplateChunk(true);
      continue;
    }
    if (c === "}" && templateDepth.length > 0 && templateDepth.at(-1) === 0) {
      templateDepth.pop();
      advance(i + 1);
      readTemplateChunk(false);
      continue;
    }
    if (c === "/" && startsExpression(tokens.at(-1))) {
      let k = i + 1;
      let inClass = false;
      while (k < n && src[k] !== "\n") {
        const ch = src[k]!;
        if (ch === "\\") {
          k += 2;
          continue;
        }
        if (ch === "[") inClass = true;
        else if (ch === "]") inClass = false;
        else if (ch === "/" && !inClass) break;
        k++;
      }
      k++;
      while (k < n && /[a-z]/i.test(src[k]!)) k++;
      tokens.push({ type: "regex", value: src.slice(i, k), line });
      advance(Math.min(k, n));
      continue;
    }
    IDENT.lastIndex = i;
    const ident = IDENT.exec(src);
    if (ident !== null) {
      tokens.push({ type: "ident", value: ident[0], line });
      advance(i + ident[0].length);
      continue;
    }
    NUMBER.lastIndex = i;
    const num = /[\d.]/.test(c) ? NUMBER.exec(src) : null;
    if (num !== null && num[0] !== "") {
      tokens.push({ type: "number", value: num[0], line });
      advance(i + num[0].length);
      continue;
    }
    let punct = c;
    if (c === "?" && src[i + 1] === "." && !/\d/.test(src[i + 2] ?? "")) punct = "?.";
    else if (c === "." && src.startsWith("...", i)) punct = "...";
    if (templateDepth.length > 0) {
      if (punct === "{") templateDepth[templateDepth.length - 1]!++;
      else if (punct === "}") templateDepth[templateDepth.length - 1]!--;
    }
    tokens.push({ type: "punct", value: punct, line });
    advance(i + punct.length);
  }
  return tokens;
}

/** A string literal or a template without substitutions: its value; otherwise undefined. */
function literal(t: Token | undefined): string | undefined {
  if (t === undefined) return undefined;
  if (t.type === "string") return t.value;
  if (t.type === "template" && t.plain === true) return t.value;
  return undefined;
}

function isPunct(t: Token | undefined, value: string): boolean {
  return t !== undefined && t.type === "punct" && t.value === value;
}

function isIdent(t: Token | undefined, value?: string): boolean {
  return t !== undefined && t.type === "ident" && (value === undefined || t.value === value);
}

function isMemberDot(t: Token | undefined): boolean {
  return isPunct(t, ".") || isPunct(t, "?.");
}

// ---------------------------------------------------------------------------------------------------------
// Imports

export type ImportForm =
  | "import"
  | "import type"
  | "export from"
  | "side-effect import"
  | "dynamic import"
  | "require";

export interface ImportRef {
  specifier: string;
  form: ImportForm;
  line: number;
  /** Names taken from the module as the module spells them (`{ a as b }` → "a"; "default"; "*"). */
  names: string[];
}

/** Every module specifier in a source, in order: static, type-only, re-export, side-effect, dynamic, require. */
export function extractImports(source: string): ImportRef[] {
  return importsOf(tokenize(source));
}

function importsOf(tokens: readonly Token[]): ImportRef[] {
  const refs: ImportRef[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type !== "ident" || isMemberDot(tokens[i - 1])) continue;
    if (t.value === "import") {
      const next = tokens[i + 1];
      const side = literal(next);
      if (side !== undefined) {
        refs.push({ specifier: side, form: "side-effect import", line: t.line, names: [] });
        continue;
      }
      if (isPunct(next, "(")) {
        const spec = literal(tokens[i + 2]);
        if (spec !== undefined)
          refs.push({ specifier: spec, form: "dynamic import", line: t.line, names: [] });
        continue;
      }
      if (isMemberDot(next)) continue; // import.meta
      const clause = readClause(tokens, i + 1);
      if (clause !== undefined) {
        refs.push({
          specifier: clause.specifier,
          form: clause.typeOnly ? "import type" : "import",
          line: t.line,
          names: clause.names,
        });
      }
      continue;
    }
    if (t.value === "export") {
      const next = tokens[i + 1];
      const isClause =
        isPunct(next, "{") ||
        isPunct(next, "*") ||
        (isIdent(next, "type") && (isPunct(tokens[i + 2], "{") || isPunct(tokens[i + 2], "*")));
      if (!isClause) continue;
      const clause = readClause(tokens, i + 1);
      if (clause !== undefined) {
        refs.push({ specifier: clause.specifier, form: "export from", line: t.line, names: clause.names });
      }
      continue;
    }
    if (t.value === "require" && isPunct(tokens[i + 1], "(")) {
      const spec = literal(tokens[i + 2]);
      if (spec !== undefined && isPunct(tokens[i + 3], ")")) {
        refs.push({ specifier: spec, form: "require", line: t.line, names: [] });
      }
    }
  }
  return refs;
}

interface Clause {
  specifier: string;
  typeOnly: boolean;
  names: string[];
}

/**
 * Reads an import/export clause starting at `start` (just after the keyword) through `from "x"`:
 * `[type] [default] [, ] [* [as ns] | { [type] a [as b], … }] from "x"`.
 * Returns undefined when the tokens are not such a clause (`import x = require(…)` is left to the require scan).
 */
function readClause(tokens: readonly Token[], start: number): Clause | undefined {
  let k = start;
  let typeOnly = false;
  const isFrom = (at: number): boolean =>
    isIdent(tokens[at], "from") && literal(tokens[at + 1]) !== undefined;
  if (isIdent(tokens[k], "type") && !isFrom(k) && !isPunct(tokens[k + 1], ",")) {
    typeOnly = true;
    k++;
  }
  const names: string[] = [];
  if (isIdent(tokens[k]) && !isFrom(k)) {
    names.push("default");
    k++;
    if (isPunct(tokens[k], ",")) k++;
  }
  if (isPunct(tokens[k], "*")) {
    names.push("*");
    k++;
    if (isIdent(tokens[k], "as") && isIdent(tokens[k + 1])) k += 2;
  } else if (isPunct(tokens[k], "{")) {
    k++;
    while (k < tokens.length && !isPunct(tokens[k], "}")) {
      if (isIdent(tokens[k], "type") && (isIdent(tokens[k + 1]) || literal(tokens[k + 1]) !== undefined)) {
        if (!isIdent(tokens[k + 1], "as") || isIdent(tokens[k + 2], "as")) k++;
      }
      const name = tokens[k];
      if (name === undefined || (name.type !== "ident" && name.type !== "string")) return undefined;
      names.push(name.value);
      k++;
      if (isIdent(tokens[k], "as")) k += 2;
      if (isPunct(tokens[k], ",")) k++;
      else if (!isPunct(tokens[k], "}")) return undefined;
    }
    k++;
  }
  if (!isFrom(k)) return undefined;
  return { specifier: literal(tokens[k + 1])!, typeOnly, names };
}

/**
 * Where a relative specifier lands, as a repo-relative path ("src/run/state.js"), or undefined for a bare
 * or `node:` specifier (a package, not a layer).
 */
export function resolveSpecifier(fromFile: string, specifier: string): string | undefined {
  if (
    !specifier.startsWith("./") &&
    !specifier.startsWith("../") &&
    specifier !== "." &&
    specifier !== ".."
  ) {
    return undefined;
  }
  return posix.normalize(posix.join(posix.dirname(normalizePath(fromFile)), specifier));
}

function normalizePath(file: string): string {
  return posix.normalize(file.replace(/\\/g, "/"));
}

/**
 * The src/ top-level folder a repo-relative path lies in: "run" for "src/run/x.ts" or "src/run"; "" for a
 * file directly in src/; undefined outside src/.
 */
export function topFolder(file: string): string | undefined {
  const parts = normalizePath(file).split("/");
  if (parts[0] !== "src") return undefined;
  if (parts.length === 1) return "";
  if (parts.length === 2) return /\.[cm]?[jt]sx?$|\.json$/.test(parts[1]!) ? "" : parts[1];
  return parts[1];
}

/**
 * The rank of a folder in the order (0 = bottom). Files directly in src/ ("") rank above every layer;
 * a folder not in the table has no rank (checkFolders reports it).
 */
function rankOf(folder: string, layers: readonly Layer[]): number | undefined {
  if (folder === "") return layers.length;
  const index = layers.findIndex((l) => l.folder === folder);
  return index === -1 ? undefined : index;
}

function label(folder: string): string {
  return folder === "" ? "src/ (top level)" : `${folder}/`;
}

/** (c): every import of a layer above the file's own. Same folder and lower folders are fine. */
export function checkLayering(file: string, source: string, layers: readonly Layer[]): Finding[] {
  return layeringOf(normalizePath(file), importsOf(tokenize(source)), layers);
}

function layeringOf(file: string, imports: readonly ImportRef[], layers: readonly Layer[]): Finding[] {
  const own = topFolder(file);
  if (own === undefined) return [];
  const ownRank = rankOf(own, layers);
  const findings: Finding[] = [];
  for (const ref of imports) {
    const target = resolveSpecifier(file, ref.specifier);
    if (target === undefined) continue;
    const targetFolder = topFolder(target);
    if (targetFolder === undefined) {
      findings.push({
        file,
        line: ref.line,
        rule: "import-outside-src",
        message: `${ref.form} "${ref.specifier}" reaches outside src/ (${target})`,
      });
      continue;
    }
    if (targetFolder === own) continue;
    const targetRank = rankOf(targetFolder, layers);
    if (ownRank === undefined || targetRank === undefined) continue;
    if (targetRank > ownRank) {
      findings.push({
        file,
        line: ref.line,
        rule: "upward-import",
        message: `${ref.form} "${ref.specifier}": ${label(own)} must not import ${label(targetFolder)} (above it in ## Layers)`,
      });
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------------------
// Bans

const PROCESS_MODULES = new Set(["process", "node:process"]);
const OS_MODULES = new Set(["os", "node:os"]);
const CONSOLE_MODULES = new Set(["console", "node:console"]);

function inFolder(file: string, folder: string): boolean {
  return file.startsWith(`src/${folder}/`);
}

/** A use of the global `name` (not `x.name`, not an object key `name:`), allowing `globalThis.name`. */
function isGlobalRef(tokens: readonly Token[], i: number, name: string): boolean {
  const t = tokens[i];
  if (!isIdent(t, name)) return false;
  const prev = tokens[i - 1];
  if (isMemberDot(prev)) return isIdent(tokens[i - 2], "globalThis");
  if (isPunct(tokens[i + 1], ":") && (isPunct(prev, "{") || isPunct(prev, ","))) return false;
  return true;
}

/** `obj.name`, `obj?.name`, `obj["name"]`, `obj?.["name"]` right after index i: the member name. */
function memberAfter(tokens: readonly Token[], i: number): string | undefined {
  const a = tokens[i + 1];
  if (isMemberDot(a)) {
    const b = tokens[i + 2];
    if (isIdent(b)) return b!.value;
    if (isPunct(a, "?.") && isPunct(b, "[")) return literal(tokens[i + 3]);
    return undefined;
  }
  if (isPunct(a, "[") && isPunct(tokens[i + 3], "]")) return literal(tokens[i + 2]);
  return undefined;
}

/** For `{ a, b: c } = <tokens[i]>`: the keys a, b. */
function destructuredFrom(tokens: readonly Token[], i: number): string[] {
  if (!isPunct(tokens[i - 1], "=") || !isPunct(tokens[i - 2], "}")) return [];
  if (memberAfter(tokens, i) !== undefined || isPunct(tokens[i + 1], "(")) return [];
  const keys: string[] = [];
  let depth = 0;
  for (let k = i - 2; k >= 0; k--) {
    const t = tokens[k]!;
    if (isPunct(t, "}")) depth++;
    else if (isPunct(t, "{")) {
      depth--;
      if (depth === 0) break;
    } else if (depth === 1 && isIdent(t) && (isPunct(tokens[k - 1], "{") || isPunct(tokens[k - 1], ","))) {
      keys.push(t.value);
    }
  }
  return keys;
}

interface BanContext {
  file: string;
  tokens: readonly Token[];
  imports: readonly ImportRef[];
  findings: Finding[];
}

function add(ctx: BanContext, line: number, rule: Rule, message: string): void {
  ctx.findings.push({ file: ctx.file, line, rule, message });
}

/** `process.<member>` in any spelling: member access, destructuring, or a named import from node:process. */
function processMemberUses(ctx: BanContext, members: readonly string[]): { line: number; member: string }[] {
  const uses: { line: number; member: string }[] = [];
  const { tokens } = ctx;
  for (let i = 0; i < tokens.length; i++) {
    if (!isGlobalRef(tokens, i, "process")) continue;
    const member = memberAfter(tokens, i);
    if (member !== undefined && members.includes(member)) uses.push({ line: tokens[i]!.line, member });
    for (const key of destructuredFrom(tokens, i)) {
      if (members.includes(key)) uses.push({ line: tokens[i]!.line, member: key });
    }
  }
  for (const ref of ctx.imports) {
    if (!PROCESS_MODULES.has(ref.specifier)) continue;
    for (const name of ref.names) {
      if (members.includes(name)) uses.push({ line: ref.line, member: name });
    }
  }
  return uses;
}

/**
 * (d): the bans. Returns one finding per offending use:
 * - process-exit: `process.exit` outside src/cli/
 * - console: `console` outside src/cli/
 * - process-stdio: `process.stdout` / `process.stderr` outside src/cli/
 * - process-env: `process.env` outside src/cli/ and src/proc/
 * - homedir: `homedir(`, `.homedir`, or `homedir` imported from node:os, outside src/store/paths.ts
 * - git-argv: an array literal starting with the string "git", outside src/git/
 * - git-runner-import: the generic runner `git` / `GitRunner` imported from src/git/, outside src/git/
 */
export function checkBans(file: string, source: string): Finding[] {
  const path = normalizePath(file);
  const tokens = tokenize(source);
  return bansOf(path, tokens, importsOf(tokens));
}

function bansOf(file: string, tokens: readonly Token[], imports: readonly ImportRef[]): Finding[] {
  const ctx: BanContext = { file, tokens, imports, findings: [] };
  const inCli = inFolder(file, "cli");

  if (!inCli) {
    for (const use of processMemberUses(ctx, ["exit"])) {
      add(ctx, use.line, "process-exit", "process.exit outside src/cli/ (throw an OmkError; the CLI exits)");
    }
    for (const use of processMemberUses(ctx, ["stdout", "stderr"])) {
      add(ctx, use.line, "process-stdio", `process.${use.member} outside src/cli/ (only the CLI prints)`);
    }
    for (let i = 0; i < tokens.length; i++) {
      const aliased = isPunct(tokens[i - 1], "=") && !isPunct(tokens[i - 2], "=");
      if (isGlobalRef(tokens, i, "console") && (memberAfter(tokens, i) !== undefined || aliased)) {
        add(ctx, tokens[i]!.line, "console", "console outside src/cli/ (only the CLI prints)");
      }
    }
    for (const ref of imports) {
      if (CONSOLE_MODULES.has(ref.specifier)) {
        add(ctx, ref.line, "console", `imports "${ref.specifier}" outside src/cli/ (only the CLI prints)`);
      }
    }
  }

  if (!inCli && !inFolder(file, "proc")) {
    for (const use of processMemberUses(ctx, ["env"])) {
      add(ctx, use.line, "process-env", "process.env outside src/cli/ and src/proc/ (take an env parameter)");
    }
  }

  if (file !== "src/store/paths.ts") {
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      const called =
        isIdent(t, "homedir") && isPunct(tokens[i + 1], "(") && !isIdent(tokens[i - 1], "function");
      const member = isIdent(t, "homedir") && isMemberDot(tokens[i - 1]);
      const indexed = literal(t) === "homedir" && isPunct(tokens[i - 1], "[") && isPunct(tokens[i + 1], "]");
      if (called || member || indexed) {
        add(ctx, t.line, "homedir", "home directory lookup outside src/store/paths.ts (use omkDirs)");
      }
    }
    for (const ref of imports) {
      if (OS_MODULES.has(ref.specifier) && ref.names.includes("homedir")) {
        add(ctx, ref.line, "homedir", `imports homedir from "${ref.specifier}" outside src/store/paths.ts`);
      }
    }
  }

  if (!inFolder(file, "git")) {
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (!isPunct(t, "[") || !startsExpression(tokens[i - 1])) continue;
      const first = literal(tokens[i + 1]);
      if (first === "git" && (isPunct(tokens[i + 2], ",") || isPunct(tokens[i + 2], "]"))) {
        add(
          ctx,
          t.line,
          "git-argv",
          'raw git argv (["git", …]) outside src/git/ (add a typed wrapper in src/git/)',
        );
      }
    }
    for (const ref of imports) {
      const target = resolveSpecifier(file, ref.specifier);
      if (target === undefined || topFolder(target) !== "git") continue;
      for (const name of ref.names.filter((n) => n === "git" || n === "GitRunner")) {
        add(
          ctx,
          ref.line,
          "git-runner-import",
          `${ref.form} { ${name} } from "${ref.specifier}" outside src/git/ (use the typed wrappers)`,
        );
      }
    }
  }

  return ctx.findings;
}

/** (c) and (d) for one file: layering, then bans. */
export function checkFile(file: string, source: string, layers: readonly Layer[]): Finding[] {
  const path = normalizePath(file);
  const tokens = tokenize(source);
  const imports = importsOf(tokens);
  return [...layeringOf(path, imports, layers), ...bansOf(path, tokens, imports)];
}
