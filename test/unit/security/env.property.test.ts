import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ENV_ALLOWLIST,
  isAllowlistedEnvName,
  isSecretLikeEnvName,
  sanitizeEnv,
} from "../../../src/security/env.js";
import { SHAPES } from "./secret-arbitraries.js";

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
        const warnings: string[] = [];
        const env = sanitizeEnv(parent, { onWarning: (w) => warnings.push(w) });
        // Random values almost never have a secret's shape; when one does, it is dropped with a warning.
        expect(Object.keys(env).length + warnings.length).toBe(Object.keys(parent).length);
        for (const [name, value] of Object.entries(env)) expect(value).toBe(parent[name]);
      }),
      RUNS,
    );
  });

  it("drops an allowlisted variable whose value has a secret's shape, naming only the variable", () => {
    const assignments = new Set(["awsSecretByKey", "envAssignment", "jsonAssignment"]);
    const valueShapes = Object.entries(SHAPES)
      .filter(([key]) => !assignments.has(key))
      .map(([, shape]) => shape);
    const allowedName = fc
      .oneof(
        fc.constantFrom(...ENV_ALLOWLIST),
        word.map((w) => `OMK_${w}`),
        word.map((w) => `LC_${w}`),
      )
      .filter((name) => !isSecretLikeEnvName(name));
    fc.assert(
      fc.property(
        allowedName,
        fc.oneof(...valueShapes),
        fc.constantFrom("", "prefix ", "x=1;"),
        (name, planted, before) => {
          const value = `${before}${planted.text}`;
          const warnings: string[] = [];
          const parent: Record<string, string> = { HOME: "/home/u" };
          parent[name] = value;
          const env = sanitizeEnv(parent, { onWarning: (w) => warnings.push(w) });
          expect(env).toEqual(name === "HOME" ? {} : { HOME: "/home/u" });
          expect(warnings).toHaveLength(1);
          expect(warnings[0]).toContain(JSON.stringify(name));
          expect(warnings[0]).not.toContain(planted.secret);
          const explicit: string[] = [];
          expect(
            sanitizeEnv({}, { explicit: { [name]: value }, onWarning: (w) => explicit.push(w) }),
          ).toEqual({
            [name]: value,
          });
          expect(explicit.join("\n")).not.toContain(planted.secret);
        },
      ),
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
