import picomatch from "picomatch";

/**
 * Globs in a task's read and write sets. Matching is picomatch with `dot: false`, so a wildcard never
 * matches a name starting with a dot (`**` does not reach `.git/` or `.env`): a dotfile is in a set
 * only when named literally, and the path policy refuses literal `.git*`. Braces, brackets, extglobs
 * and negation are refused outright (`{.git,src}/**` and `[.]git` would spell `.git` behind a
 * wildcard), leaving `*`, `**` and `?`.
 */
export const GLOB_OPTIONS = { dot: false, nocase: false } as const;

const FORBIDDEN_GLOB = /[{}[\]()!]/;

/** Why `pattern` is not an allowed set entry (beyond the path policy), or null. */
export function globSyntaxProblem(pattern: string): string | null {
  if (FORBIDDEN_GLOB.test(pattern)) {
    return "only the glob syntax *, ** and ? is allowed (no braces, brackets, parentheses or !)";
  }
  for (const seg of pattern.split("/")) {
    if (seg.includes("**") && seg !== "**") return "** must be a whole path component";
  }
  return null;
}

export type PathMatcher = (path: string) => boolean;

/** One matcher for a set of globs: true when any of them matches. */
export function setMatcher(globs: readonly string[]): PathMatcher {
  if (globs.length === 0) return () => false;
  const m = picomatch([...globs], GLOB_OPTIONS);
  return (p) => m(p);
}

const WILDCARD = /[*?]/;

function segments(glob: string): string[] {
  // Lower-cased: on a case-insensitive file system `Src/a` and `src/a` are one file.
  return glob
    .toLowerCase()
    .split("/")
    .filter((s) => s !== "" && s !== ".");
}

/**
 * Whether some path could match both globs. Sound (never false when a path matches both) and
 * conservative: two wildcard components are judged only by their literal head and tail, and a
 * comparison it cannot settle counts as an overlap.
 */
export function globsOverlap(a: string, b: string): boolean {
  const x = segments(a);
  const y = segments(b);
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (y.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let r: boolean;
    if (i === x.length && j === y.length) r = true;
    else if (x[i] === "**") r = go(i + 1, j) || (j < y.length && go(i, j + 1));
    else if (y[j] === "**") r = go(i, j + 1) || (i < x.length && go(i + 1, j));
    else if (i === x.length || j === y.length) r = false;
    else r = segmentsOverlap(x[i]!, y[j]!) && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

function segmentsOverlap(s: string, t: string): boolean {
  const sw = WILDCARD.test(s);
  const tw = WILDCARD.test(t);
  if (!sw && !tw) return s === t;
  if (!sw) return picomatch.isMatch(s, t, GLOB_OPTIONS);
  if (!tw) return picomatch.isMatch(t, s, GLOB_OPTIONS);
  const [sh, st] = literalEnds(s);
  const [th, tt] = literalEnds(t);
  const headsAgree = sh.startsWith(th) || th.startsWith(sh);
  const tailsAgree = st.endsWith(tt) || tt.endsWith(st);
  return headsAgree && tailsAgree;
}

/** The literal text before the first wildcard and after the last one. */
function literalEnds(seg: string): [string, string] {
  const first = seg.search(WILDCARD);
  let last = seg.length - 1;
  while (last >= 0 && !WILDCARD.test(seg[last]!)) last--;
  return [seg.slice(0, first), seg.slice(last + 1)];
}

/** Whether any glob of `a` overlaps any glob of `b`. */
export function setsOverlap(a: readonly string[], b: readonly string[]): boolean {
  for (const g of a) for (const h of b) if (globsOverlap(g, h)) return true;
  return false;
}
