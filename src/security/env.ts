/**
 * Child process environment: an allowlist plus what the adapter's contract names, minus anything
 * that looks like a credential — by its name, or by its value's shape (a token, a private key, URL
 * credentials). Warnings name variables, never their values.
 */

import { secretShapeIn } from "./secret-detect.js";

export const ENV_ALLOWLIST: readonly string[] = Object.freeze([
  "PATH",
  "HOME",
  "SHELL",
  "TERM",
  "LANG",
  "TMPDIR",
  "TMP",
  "TEMP",
  "TZ",
  "USER",
  "LOGNAME",
  "CI",
  "NO_COLOR",
  "FORCE_COLOR",
  "COLORTERM",
]);

/** Whole families passed by prefix (secret-like members are still dropped). */
const ENV_ALLOWED_PREFIXES: readonly string[] = Object.freeze(["LC_", "OMK_"]);

const ALLOWLIST = new Set(ENV_ALLOWLIST);

const SECRET_WORD =
  /(^|_)(API_?KEY|AUTH|AUTHORIZATION|BEARER|COOKIE|CREDENTIAL|CREDENTIALS|PASS|PASSWORD|PASSWD|PASSPHRASE|PRIVATE|SECRET|SESSION|TOKEN)(_|$)/;
const SECRET_NAMES = new Set([
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "NPM_TOKEN",
  "NODE_AUTH_TOKEN",
  "SSH_AUTH_SOCK",
  "KUBECONFIG",
  "DATABASE_URL",
]);

/**
 * True for names that may carry a credential. Case-insensitive; any non-alphanumeric character
 * counts as a word separator (`MY-API-KEY` is `MY_API_KEY`).
 */
export function isSecretLikeEnvName(name: string): boolean {
  // The same few dozen names (git's GIT_CONFIG_* guard entries, LC_*, OMK_*) are judged for every
  // child: the verdict, a pure function of the name, is kept (bounded like the shape cache).
  const known = nameCache.get(name);
  if (known !== undefined) return known;
  const upper = name.toUpperCase().replace(/[^A-Z0-9]/g, "_");
  const secret =
    SECRET_WORD.test(upper) ||
    SECRET_NAMES.has(upper) ||
    upper.startsWith("AWS_") ||
    upper.includes("DSN") ||
    upper.includes("DOTENV");
  if (nameCache.size >= NAME_CACHE_ENTRIES) nameCache.clear();
  nameCache.set(name, secret);
  return secret;
}

const nameCache = new Map<string, boolean>();
const NAME_CACHE_ENTRIES = 4096;

/** In the allowlist or one of its prefix families (before the secret-like filter). */
export function isAllowlistedEnvName(name: string): boolean {
  return ALLOWLIST.has(name) || ENV_ALLOWED_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** A name the OS can carry: non-empty, no "=", no NUL. */
function isValidEnvName(name: string): boolean {
  return name.length > 0 && !name.includes("=") && !name.includes("\0");
}

/** omk's boolean switches are on only when exactly "1". */
function isSwitchOn(env: Readonly<Record<string, string | undefined>>, name: string): boolean {
  return env[name] === "1";
}

export interface SanitizeEnvOptions {
  /** Extra names the adapter's contract needs passed through from the parent (still dropped if secret-like). */
  passThrough?: readonly string[] | undefined;
  /** Explicit env from trusted config (.omk/config.toml, adapter contract). Trusted, but secret-like keys warn;
   *  with OMK_STRICT_KIMI_EXPLICIT_ENV=1 (read from `parent`) they are dropped unless OMK_TRUST_KIMI_EXPLICIT_SECRET_ENV=1. */
  explicit?: Readonly<Record<string, string>> | undefined;
  onWarning?: ((message: string) => void) | undefined;
}

const STRICT_EXPLICIT_ENV_SWITCH = "OMK_STRICT_KIMI_EXPLICIT_ENV";
const TRUST_EXPLICIT_SECRET_ENV_SWITCH = "OMK_TRUST_KIMI_EXPLICIT_SECRET_ENV";
const BRIDGE_SHELL_PROFILES_SWITCH = "OMK_ISOLATED_HOME_BRIDGE_SHELL_PROFILES";

function showName(name: string): string {
  const quoted = JSON.stringify(name);
  return quoted.length > 66 ? `${quoted.slice(0, 63)}…"` : quoted;
}

/**
 * Every child gets the same few dozen values (PATH, LANG, git's GIT_CONFIG_* guard settings, …); a run
 * starts ~40 processes, and the shape check is most of what building an environment costs. The check
 * is a pure function of the value, so its answers are kept (short values only, bounded count).
 */
const shapeCache = new Map<string, string | null>();
const SHAPE_CACHE_ENTRIES = 4096;
const SHAPE_CACHE_MAX_VALUE = 4096;

function shapeOf(value: string): string | undefined {
  if (value.length > SHAPE_CACHE_MAX_VALUE) return secretShapeIn(value);
  const hit = shapeCache.get(value);
  if (hit !== undefined) return hit ?? undefined;
  const shape = secretShapeIn(value);
  if (shapeCache.size >= SHAPE_CACHE_ENTRIES) shapeCache.clear();
  shapeCache.set(value, shape ?? null);
  return shape;
}

/** Why an explicit entry looks like a credential — by name, or by the shape of its value (named by rule only) — or undefined. */
function credentialSuspicion(name: string, value: string): string | undefined {
  if (isSecretLikeEnvName(name)) return "it looks like a credential";
  const shape = shapeOf(value);
  return shape === undefined ? undefined : `its value looks like a credential (${shape})`;
}

/**
 * Build a child environment: parent variables that are allowlisted (or named in passThrough) and not
 * secret-like, then the explicit entries on top. A parent variable whose value has a secret's shape
 * (`OMK_NOTE=ghp_…`, `LC_X=-----BEGIN PRIVATE KEY-----…`) is dropped with a warning naming it; an
 * explicit one warns like a secret-like name (and is dropped under OMK_STRICT_KIMI_EXPLICIT_ENV=1).
 * Entries a process cannot carry (a name with "=" or NUL, a value with NUL) are dropped with a warning.
 */
export function sanitizeEnv(
  parent: Readonly<Record<string, string | undefined>>,
  options: SanitizeEnvOptions = {},
): Record<string, string> {
  const warn = options.onWarning ?? (() => {});
  const passThrough = new Set(options.passThrough ?? []);
  const out = new Map<string, string>();

  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined || !(isAllowlistedEnvName(name) || passThrough.has(name))) continue;
    if (isSecretLikeEnvName(name)) {
      if (passThrough.has(name)) {
        warn(
          `not passing ${showName(name)} to the child: it looks like a credential; set it as explicit env instead`,
        );
      }
      continue;
    }
    if (!isValidEnvName(name) || value.includes("\0")) continue;
    const shape = shapeOf(value);
    if (shape !== undefined) {
      warn(`not passing ${showName(name)} to the child: its value looks like a credential (${shape})`);
      continue;
    }
    out.set(name, value);
  }

  const strict = isSwitchOn(parent, STRICT_EXPLICIT_ENV_SWITCH);
  const trusted = isSwitchOn(parent, TRUST_EXPLICIT_SECRET_ENV_SWITCH);
  for (const [name, value] of Object.entries(options.explicit ?? {})) {
    if (!isValidEnvName(name) || typeof value !== "string" || value.includes("\0")) {
      warn(`ignoring explicit env entry ${showName(name)}: a process environment cannot carry it`);
      continue;
    }
    const suspicion = credentialSuspicion(name, value);
    if (suspicion !== undefined) {
      if (strict && !trusted) {
        warn(
          `dropping explicit env ${showName(name)}: ${suspicion} and ${STRICT_EXPLICIT_ENV_SWITCH}=1; ` +
            `set ${TRUST_EXPLICIT_SECRET_ENV_SWITCH}=1 to pass it`,
        );
        continue;
      }
      warn(
        `passing explicit env ${showName(name)} although ${suspicion}, because it comes from trusted config`,
      );
    }
    out.set(name, value);
  }
  return Object.fromEntries(out);
}

/** True when an isolated agent HOME may bridge shell profiles (OMK_ISOLATED_HOME_BRIDGE_SHELL_PROFILES=1). */
export function shouldBridgeShellProfiles(parent: Readonly<Record<string, string | undefined>>): boolean {
  return isSwitchOn(parent, BRIDGE_SHELL_PROFILES_SWITCH);
}
