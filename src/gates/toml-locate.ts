export interface SourcePosition {
  line: number;
  column: number;
}

interface SourceLine {
  text: string;
  number: number;
  /** False for lines inside a multi-line string, which cannot hold keys or headers. */
  structural: boolean;
}

const GATES_HEADER = /^\s*\[\[\s*gates\s*\]\]\s*(#.*)?$/;
const GATES_SUBTABLE = /^\s*\[\s*gates\s*\./;
const ANY_HEADER = /^\s*\[/;

/**
 * Finds the line and column in gates.toml that a schema issue path points at. Parsed TOML
 * carries no positions, so this scans the text: the i-th `[[gates]]` header opens entry i, and
 * the deepest key of the path found inside that entry wins. Falls back to the entry header, then
 * to the first line, so every error still names a place.
 */
export function locateIssue(text: string, path: readonly PropertyKey[]): SourcePosition {
  const lines = sourceLines(text);
  const [top, index, ...keys] = path;
  if (top !== "gates" || typeof index !== "number") {
    const key = typeof top === "string" ? top : undefined;
    return (key === undefined ? undefined : findKey(lines, key)) ?? { line: 1, column: 1 };
  }
  const entry = entryLines(lines, index);
  if (entry === undefined) return findKey(lines, "gates") ?? { line: 1, column: 1 };
  const names = keys.filter((k): k is string => typeof k === "string");
  for (let depth = names.length; depth > 0; depth--) {
    const found = findKey(entry.body, names[depth - 1] as string);
    if (found !== undefined) return found;
  }
  return { line: entry.header.number, column: entry.header.text.indexOf("[") + 1 };
}

function sourceLines(text: string): SourceLine[] {
  const out: SourceLine[] = [];
  let openDelimiter: string | undefined;
  text.split(/\r?\n/).forEach((line, i) => {
    const structural = openDelimiter === undefined;
    for (const delimiter of ['"""', "'''"]) {
      if (openDelimiter !== undefined && openDelimiter !== delimiter) continue;
      if (countOccurrences(line, delimiter) % 2 === 1) {
        openDelimiter = openDelimiter === undefined ? delimiter : undefined;
      }
    }
    out.push({ text: line, number: i + 1, structural });
  });
  return out;
}

function entryLines(
  lines: SourceLine[],
  index: number,
): { header: SourceLine; body: SourceLine[] } | undefined {
  const headers = lines.filter((l) => l.structural && GATES_HEADER.test(l.text));
  const header = headers[index];
  if (header === undefined) return undefined;
  const body: SourceLine[] = [];
  for (const line of lines.slice(header.number)) {
    if (line.structural && ANY_HEADER.test(line.text) && !GATES_SUBTABLE.test(line.text)) break;
    body.push(line);
  }
  return { header, body };
}

function findKey(lines: readonly SourceLine[], key: string): SourcePosition | undefined {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const assignment = new RegExp(`^(\\s*)(?:"${escaped}"|'${escaped}'|${escaped})\\s*=`);
  const inline = new RegExp(`[{,]\\s*(?:"${escaped}"|'${escaped}'|${escaped})\\s*=`);
  const table = new RegExp(`^(\\s*)\\[\\s*(?:[A-Za-z0-9_-]+\\s*\\.\\s*)*${escaped}\\s*\\]`);
  for (const line of lines) {
    if (!line.structural) continue;
    const match = assignment.exec(line.text) ?? table.exec(line.text);
    if (match !== null) return { line: line.number, column: (match[1]?.length ?? 0) + 1 };
    const inlineMatch = inline.exec(line.text);
    if (inlineMatch !== null) {
      return { line: line.number, column: inlineMatch.index + inlineMatch[0].search(/[^\s{,]/) + 1 };
    }
  }
  return undefined;
}

function countOccurrences(haystack: string, needle: string): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + needle.length)) count++;
  return count;
}

/**
 * For plain tables (`.omk/config.toml`): `[a]` then key `b` for the path [a, b]; a top-level key for
 * [a] when it is no table; the `[a]` header when the key is missing. Falls back to the first line.
 */
export function locateTablePath(text: string, path: readonly PropertyKey[]): SourcePosition {
  const lines = sourceLines(text);
  const names = path.filter((k): k is string => typeof k === "string");
  const [table, key] = names;
  if (table === undefined) return { line: 1, column: 1 };
  const header = new RegExp(`^\\s*\\[\\s*${table.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*\\]`);
  const at = lines.findIndex((l) => l.structural && header.test(l.text));
  if (at < 0) {
    const top: SourceLine[] = [];
    for (const l of lines) {
      if (l.structural && ANY_HEADER.test(l.text)) break;
      top.push(l);
    }
    return findKey(top, table) ?? { line: 1, column: 1 };
  }
  const headerLine = lines[at] as SourceLine;
  const body: SourceLine[] = [];
  for (const l of lines.slice(at + 1)) {
    if (l.structural && ANY_HEADER.test(l.text)) break;
    body.push(l);
  }
  const found = key === undefined ? undefined : findKey(body, key);
  return found ?? { line: headerLine.number, column: headerLine.text.indexOf("[") + 1 };
}
