/** Small pure helpers for the CLI's human output. */

/** The first line of `text`, cut at a word boundary to at most `max` characters (with "…" when cut). */
export function cutAtWord(text: string, max: number): string {
  const line = (text.split("\n")[0] ?? "").trim();
  if (line.length <= max) return line;
  const room = line.slice(0, max - 1);
  const space = room.lastIndexOf(" ");
  // A single very long word is cut where it must be.
  const cut = space >= max / 2 ? room.slice(0, space) : room;
  return `${cut.trimEnd()}…`;
}

/** `5s`, `3m`, `2h`, `4d` from `from` to `now`. */
export function age(from: string, now: Date = new Date()): string {
  const ms = now.getTime() - Date.parse(from);
  if (!Number.isFinite(ms)) return "?";
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** Local `YYYY-MM-DD HH:MM` of an ISO time. */
export function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/**
 * Rows as aligned columns (two spaces apart; the last column is not padded). `paint` colours a cell
 * after padding, so escape codes never upset the alignment.
 */
export function table(
  rows: readonly (readonly string[])[],
  paint: (row: number, col: number, padded: string) => string = (_r, _c, s) => s,
): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row, r) =>
    row
      .map((cell, c) => paint(r, c, c === row.length - 1 ? cell : cell.padEnd(widths[c] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}

/** Levenshtein distance (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, sub));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/**
 * The name in `names` closest to `word` within `maxDistance` edits (ties: the first), or null. A short
 * name allows fewer edits than it has letters, so `x` is not "nearly" `rm`.
 */
export function nearestName(word: string, names: readonly string[], maxDistance = 2): string | null {
  let best: { name: string; d: number } | null = null;
  for (const name of names) {
    const d = editDistance(word.toLowerCase(), name);
    const allowed = Math.min(maxDistance, name.length - 1);
    if (d <= allowed && (best === null || d < best.d)) best = { name, d };
  }
  return best?.name ?? null;
}
