import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isSecretLikeKey, REDACTED, redactText, redactValue } from "../../../src/security/redact.js";
import { ALNUM, fakeChars } from "./secret-arbitraries.js";

const ghp = `ghp_${fakeChars(ALNUM, 36)}`;

describe("isSecretLikeKey", () => {
  it.each([
    "api_key",
    "apiKey",
    "API_KEY",
    "APIKEY",
    "x-api-key",
    "token",
    "access_token",
    "refreshToken",
    "authorization",
    "Proxy-Authorization",
    "password",
    "passwd",
    "db_pass",
    "smtp_pwd",
    "secret",
    "client_secret",
    "CLIENT_SECRET",
    "aws_secret_access_key",
    "private_key",
    "privateKey",
    "cookie",
    "set-cookie",
    "credentials",
    "auth",
    "sentry_dsn",
    "password2",
    "dbPassword",
    "accesstoken",
  ])("%s is secret-like", (key) => {
    expect(isSecretLikeKey(key)).toBe(true);
  });

  it.each([
    "token_usage",
    "input_tokens",
    "max_tokens",
    "tokenizer",
    "password_min_length",
    "secret_name",
    "auth_method",
    "key",
    "keys",
    "primary_key",
    "public_key",
    "private_key_id",
    "pass",
    "pwd",
    "session",
    "session_id",
    "keyboard",
    "bypass",
    "",
  ])("%s is not secret-like", (key) => {
    expect(isSecretLikeKey(key)).toBe(false);
  });
});

describe("redactValue", () => {
  it("redacts values under secret-like keys and secret shapes in every string", () => {
    const input = {
      apiKey: "abc",
      nested: { client_secret: 42, list: [`see ${ghp}`, 1, true], auth: { status: "ok", token: "t" } },
      token_usage: { input_tokens: 3, output_tokens: 4 },
      password: null,
      enabled: true,
    };
    expect(redactValue(input)).toEqual({
      apiKey: REDACTED,
      nested: {
        client_secret: REDACTED,
        list: [`see ${REDACTED}`, 1, true],
        auth: { status: "ok", token: REDACTED },
      },
      token_usage: { input_tokens: 3, output_tokens: 4 },
      password: null,
      enabled: true,
    });
  });

  it("does not modify its input", () => {
    const input = { token: "t", list: [ghp] };
    const copy = structuredClone(input);
    redactValue(input);
    expect(input).toEqual(copy);
  });

  it("redacts a scalar under auth but descends into an object under auth", () => {
    expect(redactValue({ auth: "dXNlcjpwYXNz" })).toEqual({ auth: REDACTED });
    expect(redactValue({ auth: { how: "env", apiKey: "k" } })).toEqual({
      auth: { how: "env", apiKey: REDACTED },
    });
  });

  it("redacts whole objects under strong keys", () => {
    expect(redactValue({ credentials: { user: "bob", pw: "hunter2" } })).toEqual({ credentials: REDACTED });
  });

  it("redacts secrets in keys and in Map and Set entries", () => {
    const out = redactValue({ [ghp]: 1, m: new Map([["password", "x"]]), s: new Set([ghp]) });
    expect(Object.keys(out)).toEqual([REDACTED, "m", "s"]);
    expect(out.m.get("password")).toBe(REDACTED);
    expect([...out.s]).toEqual([REDACTED]);
  });

  it("survives cycles and keeps shared (acyclic) references", () => {
    const shared = { token: "t" };
    const cyclic: Record<string, unknown> = { a: shared, b: shared };
    cyclic["self"] = cyclic;
    const out = redactValue(cyclic) as Record<string, unknown>;
    expect(out["self"]).toBe("[Circular]");
    expect(out["a"]).toEqual({ token: REDACTED });
    expect(out["b"]).toEqual({ token: REDACTED });
  });

  it("does not let __proto__ keys reach the prototype", () => {
    const input = JSON.parse(`{"__proto__": {"polluted": "${ghp}"}}`) as Record<string, unknown>;
    const out = redactValue(input);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("redacts Error messages and stacks, keeping the class", () => {
    const error = new TypeError(`failed with ${ghp}`);
    const out = redactValue(error);
    expect(out).toBeInstanceOf(TypeError);
    expect(out.message).toBe(`failed with ${REDACTED}`);
    expect(out.stack).not.toContain(ghp);
  });

  it("passes primitives through redactText", () => {
    expect(redactValue(`x ${ghp}`)).toBe(`x ${REDACTED}`);
    expect(redactValue(5)).toBe(5);
    expect(redactValue(undefined)).toBeUndefined();
    const date = new Date(0);
    expect(redactValue(date)).toEqual(date);
  });
});

describe("secret-like keys in free text", () => {
  const word = fc.constantFrom(
    "api",
    "key",
    "token",
    "secret",
    "password",
    "auth",
    "client",
    "db",
    "x",
    "user",
    "pass",
    "pwd",
    "access",
    "private",
    "cookie",
    "credentials",
    "dsn",
    "name",
    "id",
    "max",
  );
  const styled = fc
    .tuple(
      fc.array(word, { minLength: 1, maxLength: 4 }),
      fc.constantFrom("_", "-", ".", "camel", "upper", "lower"),
      fc.constantFrom("", "2", "_1"),
    )
    .map(([words, style, tail]) => {
      const cap = (w: string) => w[0]?.toUpperCase() + w.slice(1);
      const joined =
        style === "camel"
          ? words.map((w, i) => (i === 0 ? w : cap(w))).join("")
          : style === "upper"
            ? words.join("_").toUpperCase()
            : style === "lower"
              ? words.join("")
              : words.join(style);
      return joined + tail;
    });

  it("redacts the value of every key isSecretLikeKey accepts, in every assignment style", () => {
    fc.assert(
      fc.property(styled, fc.constantFrom("=", ": ", " = ", "=>", ":="), (key, op) => {
        const value = "v4lue-Xyz-123";
        const out = redactText(`${key}${op}${value}\n"${key}"${op}"${value}"`);
        if (isSecretLikeKey(key)) expect(out).not.toContain(value);
        else expect(out).toContain(value);
      }),
      { numRuns: 10_000 },
    );
  });
});
