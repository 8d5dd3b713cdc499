import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ENV_ALLOWLIST,
  isAllowlistedEnvName,
  isSecretLikeEnvName,
  sanitizeEnv,
} from "../../../src/security/env.js";

const RUNS = { numRuns: 10_000 };

const SECRET_WORDS = [
  "API_KEY",
  "APIKEY",
  "AUTH",
  "AUTHORIZATION",
  "BEARER",
  "COOKIE",
  "CREDENTIAL",
  "CREDENTIALS",
  "PASS",
  "PASSWORD",
  "PRIVATE",
  "SECRET",
  "SESSION",
  "TOKEN",
];
const FIXED_SECRET_NAMES = [
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "NPM_TOKEN",
  "NODE_AUTH_TOKEN",
  "SSH_AUTH_SOCK",
  "KUBECONFIG",
  "DATABASE_URL",
];

const word = fc.stringMatching(/^[A-Z][A-Z0-9]{0,7}$/);
const casing = fc.constantFrom(
  (s: string) => s,
  (s: string) => s.toLowerCase(),
);

/** Names the policy calls secret: a secret word as a whole `_` component, AWS_*, *DSN*, *DOTENV*, fixed names. */
const secretName = fc.oneof(
  fc
    .tuple(
      fc.array(word, { maxLength: 2 }),
      fc.constantFrom(...SECRET_WORDS),
      fc.array(word, { maxLength: 2 }),
      casing,
    )
    .map(([before, secret, after, c]) => c([...before, secret, ...after].join("_"))),
  fc.tuple(fc.constantFrom("OMK_", "LC_", ""), word).map(([p, w]) => `${p}${w}_TOKEN`),
  word.map((w) => `AWS_${w}`),
  fc
    .tuple(fc.string({ maxLength: 6 }), fc.constantFrom("DSN", "DOTENV"), fc.string({ maxLength: 6 }))
    .map((p) => p.join("")),
  fc.constantFrom(...FIXED_SECRET_NAMES),
);

const envName = fc.oneof(
  fc.constantFrom(...ENV_ALLOWLIST),
  fc.string({ minLength: 1, maxLength: 12 }),
  word.map((w) => `OMK_${w}`),
  word.map((w) => `LC_${w}`),
  secretName,
);
const envValue = fc.string({ unit: "binary", maxLength: 30 }).filter((v) => !v.includes("\0"));

describe("env sanitizer properties", () => {
  it("never passes a secret-like name, whatever the caller lists as pass-through", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(secretName, envValue), { minLength: 1, maxLength: 6 }), (entries) => {
        const parent = Object.fromEntries(entries);
        const names = entries.map(([n]) => n);
        for (const name of names) expect(isSecretLikeEnvName(name)).toBe(true);
        const env = sanitizeEnv(parent, { passThrough: names });
        expect(Object.keys(env)).toEqual([]);
      }),
      RUNS,
    );
  });

  it("passes allowlisted names with arbitrary values through unchanged", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...ENV_ALLOWLIST), envValue), (parent) => {
        expect(sanitizeEnv(parent)).toEqual(parent);
      }),
      RUNS,
    );
  });

  it("never yields a name outside allowlist ∪ passThrough ∪ explicit", () => {
    fc.assert(
      fc.property(
        fc.dictionary(envName, envValue, { maxKeys: 8 }),
        fc.array(envName, { maxLength: 4 }),
        fc.dictionary(envName, envValue, { maxKeys: 3 }),
        (parent, passThrough, explicit) => {
          const env = sanitizeEnv(parent, { passThrough, explicit, onWarning: () => {} });
          for (const name of Object.keys(env)) {
            const allowed =
              isAllowlistedEnvName(name) || passThrough.includes(name) || Object.hasOwn(explicit, name);
            expect(allowed).toBe(true);
            if (!Object.hasOwn(explicit, name)) expect(isSecretLikeEnvName(name)).toBe(false);
          }
        },
      ),
      RUNS,
    );
  });
});
