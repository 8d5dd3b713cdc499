import { describe, expect, it } from "vitest";
import { REDACTED, redactText } from "../../../src/security/redact.js";
import { ALNUM, B64URL, DIGITS, fakeChars, LOWER, UPPER } from "./secret-arbitraries.js";

const R = REDACTED;
const alnum = (n: number, seed = 1) => fakeChars(ALNUM, n, seed);
/** Mixed-case alphanumerics with at least one digit, upper and lower letter (as real keys are). */
const keyBody = (n: number, seed = 1) => `7${fakeChars(ALNUM, n - 3, seed)}Qz`;

interface Case {
  name: string;
  text: string;
  expected: string;
  nearMiss: string;
}

const ghp = `ghp_${alnum(36)}`;
const pat = `github_pat_${alnum(22, 2)}_${alnum(59, 3)}`;
const akia = `AKIA${fakeChars(UPPER + DIGITS, 16, 4)}`;
const awsSecret = fakeChars(`${ALNUM}/+`, 40, 5);
const slack = `xoxb-${fakeChars(DIGITS, 12, 6)}-${fakeChars(DIGITS, 13, 7)}-${alnum(24, 8)}`;
const stripe = `sk_live_${alnum(24, 9)}`;
const bearerToken = `${fakeChars(B64URL, 30, 10)}9`;
const pemBody = `${fakeChars(`${ALNUM}+/`, 64, 11)}\n${fakeChars(`${ALNUM}+/`, 40, 12)}=`;
const pem = `-----BEGIN RSA PRIVATE KEY-----\n${pemBody}\n-----END RSA PRIVATE KEY-----`;
const jwt = `eyJ${fakeChars(B64URL, 30, 13)}.eyJ${fakeChars(B64URL, 60, 14)}.${fakeChars(B64URL, 43, 15)}`;
const openai = `sk-${keyBody(48, 16)}`;
const openaiProject = `sk-proj-${keyBody(80, 17)}`;
const anthropic = `sk-ant-api03-${fakeChars(B64URL, 90, 18)}`;
const npm = `npm_${alnum(36, 19)}`;
const google = `AIza${fakeChars(B64URL, 35, 20)}`;

const CASES: Case[] = [
  {
    name: "GitHub classic PAT",
    text: `token ${ghp} end`,
    expected: `token ${R} end`,
    nearMiss: `ghp_${alnum(35)} end`,
  },
  {
    name: "GitHub OAuth/user/server/refresh tokens",
    text: ["gho_", "ghu_", "ghs_", "ghr_"].map((p) => p + alnum(36)).join(" "),
    expected: [R, R, R, R].join(" "),
    nearMiss: `ghx_${alnum(36)}`,
  },
  {
    name: "GitHub fine-grained PAT",
    text: `x=${pat};`,
    expected: `x=${R};`,
    nearMiss: `github_pat_${alnum(40)}`,
  },
  {
    name: "AWS access key id",
    text: `id ${akia}.`,
    expected: `id ${R}.`,
    nearMiss: `AKIA${fakeChars(LOWER, 16)} and AKIA123`,
  },
  {
    name: "AWS secret access key by key",
    text: `aws_secret_access_key = ${awsSecret}\n`,
    expected: `aws_secret_access_key = ${R}\n`,
    nearMiss: `aws_region = us-east-1\n`,
  },
  {
    name: "Slack token",
    text: `SLACK ${slack}`,
    expected: `SLACK ${R}`,
    nearMiss: "xoxz-123456789012 xoxb-short",
  },
  {
    name: "Stripe secret and restricted keys",
    text: `${stripe} rk_test_${alnum(30, 21)}`,
    expected: `${R} ${R}`,
    nearMiss: `pk_live_${alnum(24)} sk_live_short`,
  },
  {
    name: "Bearer header keeps the scheme",
    text: `Authorization: Bearer ${bearerToken}`,
    expected: `Authorization: ${R}`,
    nearMiss: "we use Bearer authentication and Bearer token flows",
  },
  {
    name: "Bearer in free text",
    text: `curl -H "Bearer ${bearerToken}"`,
    expected: `curl -H "Bearer ${R}"`,
    nearMiss: "Bearer [REDACTED]",
  },
  {
    name: "PEM private key block",
    text: `key:\n${pem}\nafter`,
    expected: `key:\n${R}\nafter`,
    nearMiss: "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
  },
  {
    name: "JWT",
    text: `jwt=${jwt}`,
    expected: `jwt=${R}`,
    nearMiss: "eyJhbGciOiJIUzI1NiJ9 and eyJabcd.notjwt.sig",
  },
  {
    name: "OpenAI keys",
    text: `${openai} ${openaiProject}`,
    expected: `${R} ${R}`,
    nearMiss: `sk-learn-style-pipeline-names sk-${keyBody(19)}`,
  },
  {
    name: "Anthropic key",
    text: `ANTHROPIC ${anthropic}`,
    expected: `ANTHROPIC ${R}`,
    nearMiss: "sk-ant-short",
  },
  {
    name: "npm token",
    text: `//registry/:${npm}`,
    expected: `//registry/:${R}`,
    nearMiss: `npm_${alnum(35)} npm_install`,
  },
  {
    name: "Google API key",
    text: `key ${google}`,
    expected: `key ${R}`,
    nearMiss: `AIza${fakeChars(B64URL, 20)}`,
  },
  {
    name: "KEY=value with a secret-like key",
    text: "DB_PASSWORD=hunter2xyz\nexport GITHUB_TOKEN=abc",
    expected: `DB_PASSWORD=${R}\nexport GITHUB_TOKEN=${R}`,
    nearMiss: "PASSWORD_MIN_LENGTH=12\nTOKEN_USAGE=3 PWD=/home/u",
  },
  {
    name: '"key": "value" with a secret-like key',
    text: '{"api_key": "abc", "clientSecret":"s3cr3t value", "nested": {"password": "x y z"}}',
    expected: `{"api_key": "${R}", "clientSecret":"${R}", "nested": {"password": "${R}"}}`,
    nearMiss: '{"token_usage": {"input_tokens": 12}, "keyboard": "qwerty", "primary_key": "id"}',
  },
  {
    name: "escaped JSON inside a JSON string",
    text: '{"body":"{\\"access_token\\":\\"abc123\\"}"}',
    expected: `{"body":"{\\"access_token\\":\\"${R}\\"}"}`,
    nearMiss: '{"body":"{\\"access_count\\":\\"3\\"}"}',
  },
  {
    name: "YAML, TOML, CLI flags and code",
    text: "password: hunter2\nsecret = 'abc'\n--api-key=xyz\nconst token: string = \"t0k\";",
    expected: `password: ${R}\nsecret = '${R}'\n--api-key=${R}\nconst token: string = "${R}";`,
    nearMiss: "password: string\ntoken?: string\ntoken: None\nfor (const key of keys)",
  },
  {
    name: "header lines",
    text: "Cookie: sid=abc; theme=dark\nauthorization: Basic dXNlcjpwYXNz\n",
    expected: `Cookie: ${R}\nauthorization: ${R}\n`,
    nearMiss: "Content-Type: text/plain\n",
  },
  {
    name: "URL credentials",
    text: "DATABASE_URL=postgres://app:pa55word@db:5432/x",
    expected: `DATABASE_URL=postgres://app:${R}@db:5432/x`,
    nearMiss: "https://example.com:8443/path git@github.com:org/repo.git",
  },
];

describe("redactText value shapes", () => {
  it.each(CASES)("$name: redacts the realistic example", ({ text, expected }) => {
    expect(redactText(text)).toBe(expected);
  });

  it.each(CASES)("$name: leaves the near miss alone", ({ nearMiss }) => {
    expect(redactText(nearMiss)).toBe(nearMiss);
  });

  it.each(CASES)("$name: is idempotent", ({ text }) => {
    const once = redactText(text);
    expect(redactText(once)).toBe(once);
  });

  it("redacts a PEM block with no END to the end of the text", () => {
    expect(redactText(`x\n-----BEGIN PRIVATE KEY-----\n${pemBody}`)).toBe(`x\n${R}`);
  });

  it("redacts a PEM block embedded in JSON with escaped newlines", () => {
    const json = `{"private_key": "${pem.replace(/\n/g, "\\n")}\\n", "client_email": "a@b.iam"}`;
    expect(redactText(json)).toBe(`{"private_key": "${R}", "client_email": "a@b.iam"}`);
  });

  it("leaves text without secrets identical (same string)", () => {
    const text = "plain build output\nok 12 tests passed\n";
    expect(redactText(text)).toBe(text);
    expect(redactText("")).toBe("");
  });
});
