/**
 * Generators for realistic secrets of every shape the redactor knows. Secrets are built at run time
 * from random characters, so no token-looking literal is committed (and push protection stays quiet).
 */

import fc from "fast-check";

export const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
export const LOWER = "abcdefghijklmnopqrstuvwxyz";
export const DIGITS = "0123456789";
export const ALNUM = UPPER + LOWER + DIGITS;
export const B64URL = `${ALNUM}_-`;
export const HEX = "0123456789abcdef";
export const B64 = `${ALNUM}+/`;
/** The bech32 alphabet of age keys. */
export const BECH32 = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";

export function chars(alphabet: string, min: number, max = min): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max });
}

/** Random string guaranteed to hold a digit, an upper- and a lower-case letter (real keys always do). */
function mixed(alphabet: string, length: number): fc.Arbitrary<string> {
  return fc
    .tuple(chars(alphabet, length - 3), chars(DIGITS, 1), chars(UPPER, 1), chars(LOWER, 1))
    .map(([body, d, u, l]) => `${d}${body}${u}${l}`);
}

/** Random lower-case hex holding both a digit and a letter (a run of one kind is a number or a word). */
function hexMixed(length: number): fc.Arbitrary<string> {
  return fc
    .tuple(chars(HEX, length - 2), chars(DIGITS, 1), chars("abcdef", 1))
    .map(([body, d, l]) => `${d}${body}${l}`);
}

/** Deterministic pseudo-random text for example-based tests (same input → same output). */
export function fakeChars(alphabet: string, length: number, seed = 1): string {
  let state = seed * 2654435761;
  let out = "";
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state ^ (state >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    out += alphabet[state % alphabet.length];
  }
  return out;
}

export interface Planted {
  /** The shape's name (a rule id, or the assignment style). */
  kind: string;
  /** How the secret appears in text, with any key or scheme around it. */
  text: string;
  /** What must not survive redaction. */
  secret: string;
}

const plant = (kind: string, text: string, secret = text): Planted => ({ kind, text, secret });

/** One arbitrary per value shape. */
export const SHAPES: Record<string, fc.Arbitrary<Planted>> = {
  githubToken: fc
    .tuple(fc.constantFrom("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), chars(ALNUM, 36))
    .map(([p, body]) => plant("github-token", p + body)),
  githubFineGrained: fc
    .tuple(chars(ALNUM, 22), chars(ALNUM, 59))
    .map(([a, b]) => plant("github-fine-grained-pat", `github_pat_${a}_${b}`)),
  awsKeyId: fc
    .tuple(fc.constantFrom("AKIA", "ASIA"), chars(UPPER + DIGITS, 16))
    .map(([p, body]) => plant("aws-access-key-id", p + body)),
  awsSecretByKey: fc
    .tuple(
      fc.constantFrom("aws_secret_access_key = ", "AWS_SECRET_ACCESS_KEY=", "aws_secret_access_key: "),
      chars(`${ALNUM}/+`, 40),
    )
    .map(([k, v]) => plant("aws-secret", k + v, v)),
  slack: fc
    .tuple(
      fc.constantFrom("xoxb-", "xoxp-", "xoxa-"),
      chars(DIGITS, 10, 13),
      chars(DIGITS, 10, 13),
      chars(ALNUM, 24),
    )
    .map(([p, a, b, c]) => plant("slack-token", `${p}${a}-${b}-${c}`)),
  stripe: fc
    .tuple(fc.constantFrom("sk_live_", "sk_test_", "rk_live_", "rk_test_"), chars(ALNUM, 24, 99))
    .map(([p, body]) => plant("stripe-key", p + body)),
  bearer: fc
    .tuple(fc.constantFrom("Bearer ", "bearer ", "BEARER  "), mixed(`${ALNUM}._~+/-`, 40))
    .map(([p, token]) => plant("bearer-token", p + token, token)),
  pem: fc
    .tuple(
      fc.constantFrom("RSA ", "EC ", "OPENSSH ", "", "ENCRYPTED "),
      fc.array(chars(`${ALNUM}+/`, 64), { minLength: 1, maxLength: 4 }),
    )
    .map(([kind, lines]) =>
      plant(
        "private-key",
        `-----BEGIN ${kind}PRIVATE KEY-----\n${lines.join("\n")}\n-----END ${kind}PRIVATE KEY-----`,
        lines.join("\n"),
      ),
    ),
  jwt: fc
    .tuple(chars(B64URL, 10, 40), chars(B64URL, 10, 80), chars(B64URL, 20, 43))
    .map(([h, p, s]) => plant("jwt", `eyJ${h}.eyJ${p}.${s}`)),
  openai: fc
    .tuple(fc.constantFrom("sk-", "sk-proj-"), mixed(`${ALNUM}_-`, 48))
    .map(([p, body]) => plant("openai-api-key", p + body)),
  deepseek: chars("0123456789abcdef", 32).map((body) => plant("deepseek-api-key", `sk-${body}`)),
  anthropic: chars(B64URL, 80).map((body) => plant("anthropic-api-key", `sk-ant-api03-${body}`)),
  npm: chars(ALNUM, 36).map((body) => plant("npm-token", `npm_${body}`)),
  google: chars(B64URL, 35).map((body) => plant("google-api-key", `AIza${body}`)),
  envAssignment: fc
    .tuple(
      fc.constantFrom("DB_PASSWORD", "GITHUB_TOKEN", "API_KEY", "client_secret", "export SESSION_TOKEN"),
      mixed(ALNUM, 16),
    )
    .map(([k, v]) => plant("secret-assignment", `${k}=${v}`, v)),
  jsonAssignment: fc
    .tuple(
      fc.constantFrom('"api_key"', '"password"', '"accessToken"', "'authorization'"),
      mixed(`${ALNUM} ._-`, 20),
    )
    .map(([k, v]) => {
      const q = k.startsWith("'") ? "'" : '"';
      return plant("secret-assignment", `${k}: ${q}${v}${q}`, v);
    }),
  huggingface: fc
    .tuple(fc.constantFrom("hf_", "api_org_"), mixed(UPPER + LOWER + DIGITS, 34))
    .map(([p, body]) => plant("huggingface-token", p + body.replace(/[0-9]/g, "q"))),
  gitlab: fc
    .tuple(fc.constantFrom("glpat-", "gldt-", "glrt-", "glsoat-", "glagent-"), chars(B64URL, 20, 40))
    .map(([p, body]) => plant("gitlab-token", p + body)),
  sendgrid: fc
    .tuple(chars(B64URL, 22), chars(B64URL, 43))
    .map(([a, b]) => plant("sendgrid-api-key", `SG.${a}.${b}`)),
  slackWebhook: fc.tuple(chars(ALNUM, 10), chars(ALNUM, 10), chars(ALNUM, 24)).map(([t, b, x]) => {
    const path = `T${t}/B${b}/${x}`;
    return plant("slack-webhook-url", `https://hooks.slack.com/services/${path}`, path);
  }),
  pypi: chars(B64URL, 60, 120).map((body) => plant("pypi-upload-token", `pypi-AgEIcHlwaS5vcmc${body}`)),
  shopify: fc
    .tuple(fc.constantFrom("shpat_", "shpss_", "shpca_", "shppa_"), chars(HEX, 32))
    .map(([p, body]) => plant("shopify-token", p + body)),
  doppler: chars(ALNUM, 43).map((body) => plant("doppler-token", `dp.pt.${body}`)),
  databricks: hexMixed(32).map((body) => plant("databricks-token", `dapi${body}`)),
  digitalocean: fc
    .tuple(fc.constantFrom("dop_v1_", "doo_v1_", "dor_v1_"), chars(HEX, 64))
    .map(([p, body]) => plant("digitalocean-token", p + body)),
  linear: chars(ALNUM, 40).map((body) => plant("linear-api-key", `lin_api_${body}`)),
  postman: fc
    .tuple(chars(HEX, 24), chars(HEX, 34))
    .map(([a, b]) => plant("postman-api-key", `PMAK-${a}-${b}`)),
  pulumi: hexMixed(40).map((body) => plant("pulumi-access-token", `pul-${body}`)),
  grafana: fc
    .oneof(
      chars(B64, 40, 80).map((b) => `glc_${b}`),
      fc.tuple(chars(ALNUM, 32), chars(HEX, 8)).map(([a, b]) => `glsa_${a}_${b}`),
    )
    .map((token) => plant("grafana-token", token)),
  twilio: fc
    .tuple(fc.constantFrom("SK", "AC"), hexMixed(32))
    .map(([p, body]) => plant("twilio-key", p + body)),
  mailgun: hexMixed(32).map((body) => plant("mailgun-api-key", `key-${body}`)),
  age: chars(BECH32, 58).map((body) => plant("age-secret-key", `AGE-SECRET-KEY-1${body}`)),
  atlassian: chars(B64URL, 180).map((body) => plant("atlassian-api-token", `ATATT3${body}`)),
  flyio: chars(B64URL, 43).map((body) => plant("flyio-token", `fo1_${body}`)),
  onepassword: chars(B64, 150, 300).map((body) => plant("1password-service-account-token", `ops_eyJ${body}`)),
  azureStorage: chars(B64, 86).map((key) =>
    plant("azure-storage-key", `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${key}==`, key),
  ),
  npmrc: mixed(ALNUM, 36).map((token) =>
    plant("npm-auth-token", `//registry.npmjs.org/:_authToken=npm_${token}`, token),
  ),
  urlCredentials: fc
    .tuple(fc.constantFrom("postgres", "https", "redis", "mongodb+srv"), chars(LOWER, 3, 8), mixed(ALNUM, 16))
    .map(([scheme, user, pass]) =>
      plant("url-credentials", `${scheme}://${user}:${pass}@db.internal:5432/app`, pass),
    ),
};

export const anySecret: fc.Arbitrary<Planted> = fc.oneof(...Object.values(SHAPES));

/** Characters that never glue onto a neighbouring token, so each planted secret stays whole. */
export const DELIMITERS = [" ", "\n", "\t", "\r\n", "(", ")", ",", ";", "<", ">", "|", " : "] as const;

/** Fragments that poke at the detectors' edges: operators, quotes, escapes, placeholders, half shapes. */
export const TRICKY = [
  "[REDACTED]",
  "password=",
  "token: ",
  '"api_key": "',
  '\\"',
  "'",
  '"',
  "://",
  "user:pass@",
  "Bearer ",
  "Authorization: ",
  "eyJ",
  ".eyJ",
  "ghp_",
  "AKIA",
  "sk-",
  "sk_live_",
  "-----BEGIN PRIVATE KEY-----",
  "-----END PRIVATE KEY-----",
  "-----BEGIN RSA PRIVATE KEY-----\n",
  "=",
  ":",
  "==",
  " ",
  "\n",
  "\t",
  "_",
  "-",
  "]",
  "[",
  "{",
  "abc123",
  "x",
  "Z9",
] as const;

/** Random text: plain ASCII, arbitrary code points, and runs of tricky fragments. */
export const noise: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.array(fc.constantFrom(...TRICKY), { maxLength: 12 }).map((parts) => parts.join("")),
);

/** Noise with secrets planted between delimiters. */
export const textWithSecrets: fc.Arbitrary<{ text: string; planted: Planted[] }> = fc
  .array(fc.tuple(noise, fc.constantFrom(...DELIMITERS), anySecret, fc.constantFrom(...DELIMITERS)), {
    minLength: 1,
    maxLength: 4,
  })
  .chain((pieces) =>
    noise.map((tail) => ({
      text: pieces.map(([n, left, s, right]) => `${n}${left}${s.text}${right}`).join("") + tail,
      planted: pieces.map(([, , s]) => s),
    })),
  );
