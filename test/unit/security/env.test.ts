import { describe, expect, it } from "vitest";
import {
  ENV_ALLOWLIST,
  isAllowlistedEnvName,
  isSecretLikeEnvName,
  sanitizeEnv,
  shouldBridgeShellProfiles,
} from "../../../src/security/env.js";
import { ALNUM, fakeChars } from "./secret-arbitraries.js";

const ghp = `ghp_${fakeChars(ALNUM, 36, 3)}`;

function collect(): { warnings: string[]; onWarning: (m: string) => void } {
  const warnings: string[] = [];
  return { warnings, onWarning: (m) => warnings.push(m) };
}

describe("isSecretLikeEnvName", () => {
  it.each([
    "API_KEY",
    "OPENAI_API_KEY",
    "KIMI_APIKEY",
    "MY_AUTH",
    "HTTP_AUTHORIZATION",
    "BEARER",
    "SESSION_COOKIE",
    "GCP_CREDENTIAL",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "DB_PASS",
    "PG_PASSWORD_FILE",
    "SSH_PRIVATE_KEY_PATH",
    "CLIENT_SECRET",
    "USER_SESSION",
    "TOKEN",
    "aws_profile",
    "AWS_REGION",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "NPM_TOKEN",
    "NODE_AUTH_TOKEN",
    "SSH_AUTH_SOCK",
    "KUBECONFIG",
    "DATABASE_URL",
    "SENTRY_DSN",
    "DSN",
    "DOTENV_KEY",
    "MY_DOTENV_PATH",
    "my-api-key",
    "OMK_API_TOKEN",
  ])("%s is secret-like", (name) => {
    expect(isSecretLikeEnvName(name)).toBe(true);
  });

  it.each([
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TERM",
    "OMK_DEBUG",
    "OMK_GATE_TIMEOUT_SECS",
    "PASSENGER_APP",
    "TOKENIZERS_PARALLELISM",
    "AUTHOR_NAME",
    "KEYBOARD",
    "COMPASS",
  ])("%s is not secret-like", (name) => {
    expect(isSecretLikeEnvName(name)).toBe(false);
  });
});

describe("sanitizeEnv", () => {
  it("keeps allowlisted and LC_*/OMK_* variables and drops everything else", () => {
    const env = sanitizeEnv({
      PATH: "/usr/bin",
      HOME: "/home/u",
      LC_ALL: "C.UTF-8",
      OMK_DEBUG: "1",
      EDITOR: "vim",
      NODE_OPTIONS: "--inspect",
      UNSET: undefined,
    });
    expect(env).toEqual({ PATH: "/usr/bin", HOME: "/home/u", LC_ALL: "C.UTF-8", OMK_DEBUG: "1" });
  });

  it("drops secret-like OMK_* names like any other", () => {
    expect(sanitizeEnv({ OMK_API_TOKEN: "x", OMK_DEBUG: "1" })).toEqual({ OMK_DEBUG: "1" });
  });

  it("passes through contract names but still drops secret-like ones, warning by name only", () => {
    const { warnings, onWarning } = collect();
    const env = sanitizeEnv(
      { KIMI_BASE_URL: "https://api", KIMI_API_KEY: "sk-value-xyz", EDITOR: "vim" },
      { passThrough: ["KIMI_BASE_URL", "KIMI_API_KEY"], onWarning },
    );
    expect(env).toEqual({ KIMI_BASE_URL: "https://api" });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("KIMI_API_KEY");
    expect(warnings[0]).not.toContain("sk-value-xyz");
  });

  it("drops an allowlisted variable whose value has a secret's shape, warning by name only", () => {
    const { warnings, onWarning } = collect();
    const env = sanitizeEnv(
      {
        OMK_NOTE: `use ${ghp} for the mirror`,
        LC_PAPER: "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----",
        TERM: "xterm-256color",
        PATH: "/usr/bin:/home/u/.secrets:/bin",
        OMK_MIRROR: "https://bot:S3cretPw9x@mirror.internal/",
      },
      { onWarning },
    );
    expect(env).toEqual({ TERM: "xterm-256color", PATH: "/usr/bin:/home/u/.secrets:/bin" });
    expect(warnings).toEqual([
      'not passing "OMK_NOTE" to the child: its value looks like a credential (github-token)',
      'not passing "LC_PAPER" to the child: its value looks like a credential (private-key)',
      'not passing "OMK_MIRROR" to the child: its value looks like a credential (url-credentials)',
    ]);
  });

  it("keeps explicit env whose value has a secret's shape but warns, and drops it when strict", () => {
    const loose = collect();
    expect(sanitizeEnv({}, { explicit: { KIMI_MODEL: ghp }, onWarning: loose.onWarning })).toEqual({
      KIMI_MODEL: ghp,
    });
    expect(loose.warnings).toEqual([
      'passing explicit env "KIMI_MODEL" although its value looks like a credential (github-token), because it comes from trusted config',
    ]);
    const strict = collect();
    const env = sanitizeEnv(
      { OMK_STRICT_KIMI_EXPLICIT_ENV: "1" },
      { explicit: { KIMI_MODEL: ghp }, onWarning: strict.onWarning },
    );
    expect(env).toEqual({ OMK_STRICT_KIMI_EXPLICIT_ENV: "1" });
    expect(strict.warnings.join("\n")).not.toContain(ghp.slice(4));
  });

  it("lets explicit env override the parent", () => {
    expect(sanitizeEnv({ TERM: "xterm" }, { explicit: { TERM: "dumb", KIMI_MODEL: "k2" } })).toEqual({
      TERM: "dumb",
      KIMI_MODEL: "k2",
    });
  });

  it("keeps secret-like explicit env from trusted config but warns without the value", () => {
    const { warnings, onWarning } = collect();
    const env = sanitizeEnv({}, { explicit: { KIMI_API_KEY: "super-secret-value" }, onWarning });
    expect(env).toEqual({ KIMI_API_KEY: "super-secret-value" });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("KIMI_API_KEY");
    expect(warnings.join("\n")).not.toContain("super-secret-value");
  });

  it("drops secret-like explicit env with OMK_STRICT_KIMI_EXPLICIT_ENV=1", () => {
    const { warnings, onWarning } = collect();
    const env = sanitizeEnv(
      { OMK_STRICT_KIMI_EXPLICIT_ENV: "1" },
      { explicit: { KIMI_API_KEY: "super-secret-value", KIMI_MODEL: "k2" }, onWarning },
    );
    expect(env).toEqual({ OMK_STRICT_KIMI_EXPLICIT_ENV: "1", KIMI_MODEL: "k2" });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/dropping.*KIMI_API_KEY.*OMK_TRUST_KIMI_EXPLICIT_SECRET_ENV=1/);
    expect(warnings[0]).not.toContain("super-secret-value");
  });

  it("keeps them again with OMK_TRUST_KIMI_EXPLICIT_SECRET_ENV=1, which is itself not passed on", () => {
    const env = sanitizeEnv(
      { OMK_STRICT_KIMI_EXPLICIT_ENV: "1", OMK_TRUST_KIMI_EXPLICIT_SECRET_ENV: "1" },
      { explicit: { KIMI_API_KEY: "v" } },
    );
    expect(env).toEqual({ OMK_STRICT_KIMI_EXPLICIT_ENV: "1", KIMI_API_KEY: "v" });
  });

  it("treats the switches as on only for exactly 1", () => {
    for (const value of ["true", "yes", " 1", "01", ""]) {
      const env = sanitizeEnv({ OMK_STRICT_KIMI_EXPLICIT_ENV: value }, { explicit: { MY_TOKEN: "v" } });
      expect(env["MY_TOKEN"]).toBe("v");
    }
  });

  it("drops entries a process cannot carry", () => {
    const { warnings, onWarning } = collect();
    const env = sanitizeEnv(
      { PATH: "/bin\0/evil", HOME: "/h" },
      { explicit: { "A=B": "x", GOOD: "y", BAD_VALUE: "a\0b" }, onWarning },
    );
    expect(env).toEqual({ HOME: "/h", GOOD: "y" });
    expect(warnings).toHaveLength(2);
  });

  it("does not let a __proto__ name touch the result's prototype", () => {
    const parent = JSON.parse('{"__proto__": "x", "PATH": "/bin"}') as Record<string, string>;
    const env = sanitizeEnv(parent, { passThrough: ["__proto__"] });
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype);
    expect(Object.hasOwn(env, "__proto__")).toBe(true);
  });

  it("exposes a frozen allowlist covering the documented names", () => {
    expect(Object.isFrozen(ENV_ALLOWLIST)).toBe(true);
    for (const name of ["PATH", "HOME", "SHELL", "TERM", "LANG", "TMPDIR", "TMP", "TEMP", "TZ", "USER"]) {
      expect(isAllowlistedEnvName(name)).toBe(true);
    }
    for (const name of ["LOGNAME", "CI", "NO_COLOR", "FORCE_COLOR", "COLORTERM", "LC_CTYPE", "OMK_X"]) {
      expect(isAllowlistedEnvName(name)).toBe(true);
    }
    expect(isAllowlistedEnvName("path")).toBe(false);
  });
});

describe("shouldBridgeShellProfiles", () => {
  it("is on only with OMK_ISOLATED_HOME_BRIDGE_SHELL_PROFILES=1", () => {
    expect(shouldBridgeShellProfiles({ OMK_ISOLATED_HOME_BRIDGE_SHELL_PROFILES: "1" })).toBe(true);
    expect(shouldBridgeShellProfiles({ OMK_ISOLATED_HOME_BRIDGE_SHELL_PROFILES: "0" })).toBe(false);
    expect(shouldBridgeShellProfiles({ OMK_ISOLATED_HOME_BRIDGE_SHELL_PROFILES: "true" })).toBe(false);
    expect(shouldBridgeShellProfiles({})).toBe(false);
  });
});
