import picomatch from "picomatch";

/**
 * Paths an agent's change may not touch unless the person allows it for the run: omk's own config,
 * the agent CLIs' project config (which decides what the agent may do next time), and whatever the
 * project declares defines its gates. Every `.git*` component is refused outright by the path policy.
 */
export const BUILTIN_PROTECTED: readonly string[] = [
  ".omk/**",
  ".kimi/**",
  ".claude/**",
  ".codex/**",
  ".gemini/**",
  ".opencode/**",
  "opencode.json",
  ".mcp.json",
];

/** `file#a.b`: only the value at key path a.b of the JSON file `file` is protected. */
export interface KeyProtection {
  file: string;
  keyPath: string[];
  entry: string;
}

export interface ProtectionRules {
  /** The glob that protects `path`, or null. */
  globFor(path: string): string | null;
  /** The `file#key` entries, checked by comparing the value before and after. */
  keys: readonly KeyProtection[];
  /** The `--allow-path` glob that permits `path`, or null. */
  allowedBy(path: string): string | null;
}

const OPTIONS = { dot: true, nocase: false } as const;

export function protectionRules(protect: readonly string[], allow: readonly string[]): ProtectionRules {
  const globs = [...BUILTIN_PROTECTED, ...protect.filter((p) => !p.includes("#"))].map(
    (g) => [g, picomatch(g, OPTIONS)] as const,
  );
  const allowed = allow.map((g) => [g, picomatch(g, OPTIONS)] as const);
  const keys = protect
    .filter((p) => p.includes("#"))
    .map((entry) => {
      const [file = "", key = ""] = entry.split("#", 2);
      return { file, keyPath: key.split(".").filter(Boolean), entry };
    })
    .filter((k) => k.file !== "" && k.keyPath.length > 0);
  return {
    globFor: (path) => globs.find(([, m]) => m(path))?.[0] ?? null,
    keys,
    allowedBy: (path) => allowed.find(([, m]) => m(path))?.[0] ?? null,
  };
}

/** The value at `keyPath` of a JSON document, canonical text for comparison; undefined when absent. */
export function jsonValueAt(text: string | null, keyPath: readonly string[]): string | undefined {
  if (text === null) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    // Unparseable: the protected value cannot be shown to be unchanged.
    return "\u0000unparseable";
  }
  for (const k of keyPath) {
    if (typeof v !== "object" || v === null || !Object.hasOwn(v, k)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return JSON.stringify(v);
}

const TEST_FILE = [
  /(^|\/)(test|tests|__tests__|spec|specs)\//,
  /\.(test|spec)\.[cm]?[jt]sx?$/,
  /_test\.(go|py|rb)$/,
  /(^|\/)test_[^/]*\.py$/,
  /Tests?\.(java|kt|cs)$/,
];

/** Whether a path looks like a test: the proof lists changed tests so a reviewer can see weakened ones. */
export function isTestPath(path: string): boolean {
  return TEST_FILE.some((r) => r.test(path));
}
