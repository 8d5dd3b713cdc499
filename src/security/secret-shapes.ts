/**
 * Value shapes: credentials recognisable by a fixed prefix or structure, whatever key they sit under.
 * Covers the token kinds of secretlint's recommended preset and the fixed-prefix rules of gitleaks'
 * default config. Order is priority (see secret-rules.ts); `maxSpan` is the longest match plus the
 * one character a trailing lookahead or a stopped quantifier reads.
 */

import type { ShapeRule, Trigger } from "./secret-rules.js";
import { hasDigit, isOnlyPlaceholders, looksRandom, REDACTED } from "./secret-value.js";

const at = (literal: string, offset: number, ...leads: string[]): Trigger => ({ literal, offset, leads });

/** 1 for the ASCII characters that end the user part of URL credentials (`[^\s:/?#@"'<>[\]]`) other than `:`. */
const ENDS_USER = new Uint8Array(128);
for (const c of " \t\n\v\f\r/?#@\"'<>[]") ENDS_USER[c.charCodeAt(0)] = 1;

/**
 * Necessary for the URL-credentials pattern at the `://` at p: the user part after it ends, within
 * 128 characters, at `:`. Most URLs (`https://host/path`) end it at `/` a few characters in, without
 * the pattern's lookbehind and backtracking. A non-ASCII character is let through (it may be a space
 * the pattern stops at, or part of the user name): the pattern decides.
 */
function userEndsAtColon(text: string, p: number): boolean {
  const end = Math.min(text.length, p + 3 + 129);
  for (let i = p + 3; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3a) return true;
    if (c < 128 && ENDS_USER[c] === 1) return false;
  }
  return false;
}

/** Hex bodies carry both digits and letters (a run of one kind is a number or a word, not a key). */
const hexMix = (s: string): boolean => hasDigit(s) && /[a-f]/i.test(s);
/** Letter-only bodies (Hugging Face) are mixed-case noise. */
const mixedCase = (s: string): boolean => /[A-Z]/.test(s) && /[a-z]/.test(s);

export const SHAPE_RULES: readonly ShapeRule[] = [
  {
    id: "github-fine-grained-pat",
    triggers: [at("_", 6, "github_pat_")],
    pattern: /(?<![A-Za-z0-9])github_pat_[A-Za-z0-9_]{82,240}(?![A-Za-z0-9_])/y,
    maxSpan: 11 + 240 + 1,
  },
  {
    id: "github-token",
    triggers: [at("_", 3, "ghp_", "gho_", "ghu_", "ghs_", "ghr_")],
    pattern: /(?<![A-Za-z0-9])gh[pousr]_[A-Za-z0-9]{36,251}(?![A-Za-z0-9])/y,
    maxSpan: 4 + 251 + 1,
  },
  {
    id: "aws-access-key-id",
    triggers: [
      at("A", 3, "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA"),
      at("A", 0, "A3T"),
    ],
    pattern:
      /(?<![A-Za-z0-9])(?:A3T[A-Z0-9]|A(?:KI|SI|BI|CC|GP|ID|RO|IP|NP|NV)A)[A-Z0-9]{16}(?![A-Za-z0-9])/y,
    maxSpan: 20 + 1,
  },
  {
    id: "slack-token",
    triggers: [
      at("-", 4, "xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-", "xoxo-", "xoxe-", "xapp-"),
      at("-", 9, "xoxe.xoxb-", "xoxe.xoxp-"),
    ],
    pattern: /(?<![A-Za-z0-9])(?:xox[abprsoe]|xapp|xoxe\.xox[bp])-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9-])/y,
    maxSpan: 10 + 250 + 1,
  },
  {
    id: "slack-webhook-url",
    triggers: [at(":", 0, "://hooks.slack.com/")],
    pattern: /:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/([A-Za-z0-9_/+-]{20,160})/dy,
    maxSpan: 19 + 10 + 160 + 1,
  },
  {
    id: "stripe-key",
    triggers: [at("_", 2, "sk_live_", "sk_test_", "sk_prod_", "rk_live_", "rk_test_", "rk_prod_")],
    pattern: /(?<![A-Za-z0-9])[rs]k_(?:live|test|prod)_[A-Za-z0-9]{16,247}(?![A-Za-z0-9])/y,
    maxSpan: 8 + 247 + 1,
  },
  {
    id: "anthropic-api-key",
    triggers: [at("-", 2, "sk-ant-")],
    pattern: /(?<![A-Za-z0-9])sk-ant-[A-Za-z0-9_-]{20,250}(?![A-Za-z0-9_-])/y,
    maxSpan: 7 + 250 + 1,
  },
  {
    id: "openai-api-key",
    triggers: [at("-", 2, "sk-")],
    pattern: /(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{20,250}(?![A-Za-z0-9_-])/y,
    maxSpan: 3 + 250 + 1,
    // `sk-learn-style-pipeline-names` is prose; real keys are random mixed-case alphanumerics.
    accept: (s) => looksRandom(s.slice(3)),
  },
  {
    // DeepSeek's keys: `sk-` and 32 lowercase hex digits, which the mixed-case test above passes over.
    id: "deepseek-api-key",
    triggers: [at("-", 2, "sk-")],
    pattern: /(?<![A-Za-z0-9])sk-[0-9a-f]{32}(?![A-Za-z0-9_-])/y,
    maxSpan: 3 + 32 + 1,
  },
  {
    id: "npm-token",
    triggers: [at("_", 3, "npm_")],
    pattern: /(?<![A-Za-z0-9])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/y,
    maxSpan: 40 + 1,
  },
  {
    // `_authToken=…`, `_auth=…`, `_password=…` in .npmrc, wherever the line starts.
    id: "npm-auth-token",
    triggers: [at("_", 0, "_auth", "_password")],
    pattern:
      /(?<![A-Za-z0-9])_(?:auth(?:Token)?|password)[ \t]{0,8}=[ \t]{0,8}["']?([^\s"'$[=][^\s"']{7,1023})/dy,
    maxSpan: 10 + 8 + 1 + 8 + 1 + 1024 + 1,
    // A value holding a placeholder was redacted in an earlier round.
    accept: (s) => !s.includes(REDACTED),
  },
  {
    id: "google-api-key",
    triggers: [at("A", 0, "AIza")],
    pattern: /(?<![A-Za-z0-9])AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/y,
    maxSpan: 39 + 1,
  },
  {
    id: "huggingface-token",
    triggers: [at("_", 2, "hf_"), at("_", 3, "api_org_")],
    pattern: /(?<![A-Za-z0-9])(?:hf|api_org)_[A-Za-z]{34}(?![A-Za-z0-9_])/y,
    maxSpan: 8 + 34 + 1,
    accept: (s) => mixedCase(s.slice(s.lastIndexOf("_") + 1)),
  },
  {
    id: "gitlab-token",
    triggers: [
      at("-", 4, "gldt-", "glft-", "glrt-"),
      at("-", 5, "glpat-", "glptt-", "glimt-", "gloas-", "glcbt-"),
      at("-", 6, "glsoat-", "glffct-"),
      at("-", 7, "glagent-"),
    ],
    pattern:
      /(?<![A-Za-z0-9])gl(?:pat|dt|ft|rt|ptt|soat|imt|agent|oas|ffct|cbt)-[A-Za-z0-9_-]{20,300}(?:\.[A-Za-z0-9]{2,12}){0,2}(?![A-Za-z0-9_-])/y,
    maxSpan: 8 + 300 + 26 + 1,
  },
  {
    // Upload tokens are macaroons whose serialisation always starts with the same bytes (`pypi.org`).
    id: "pypi-upload-token",
    triggers: [at("-", 4, "pypi-AgEIcHlwaS5vcmc")],
    pattern: /(?<![A-Za-z0-9])pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000}(?![A-Za-z0-9_-])/y,
    maxSpan: 20 + 1000 + 1,
  },
  {
    id: "shopify-token",
    triggers: [at("_", 5, "shpat_", "shpss_", "shpca_", "shppa_")],
    pattern: /(?<![A-Za-z0-9])shp(?:at|ss|ca|pa)_[A-Za-z0-9]{32,64}(?![A-Za-z0-9])/y,
    maxSpan: 6 + 64 + 1,
  },
  {
    id: "sendgrid-api-key",
    triggers: [at(".", 2, "SG.")],
    pattern: /(?<![A-Za-z0-9])SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}(?![A-Za-z0-9_-])/y,
    maxSpan: 3 + 32 + 1 + 64 + 1,
  },
  {
    id: "twilio-key",
    triggers: [at("K", 1, "SK"), at("A", 0, "AC")],
    pattern: /(?<![A-Za-z0-9])(?:SK|AC)[0-9a-f]{32}(?![A-Za-z0-9])/y,
    maxSpan: 34 + 1,
    accept: (s) => hexMix(s.slice(2)),
  },
  {
    id: "digitalocean-token",
    triggers: [at("_", 3, "dop_v1_", "doo_v1_", "dor_v1_")],
    pattern: /(?<![A-Za-z0-9])do[opr]_v1_[a-f0-9]{64}(?![A-Za-z0-9])/y,
    maxSpan: 7 + 64 + 1,
  },
  {
    id: "linear-api-key",
    triggers: [at("_", 3, "lin_api_")],
    pattern: /(?<![A-Za-z0-9])lin_api_[A-Za-z0-9_]{32,128}(?![A-Za-z0-9_])/y,
    maxSpan: 8 + 128 + 1,
  },
  {
    id: "grafana-token",
    triggers: [at("_", 3, "glc_"), at("_", 4, "glsa_"), at("J", 2, "eyJrIjoi")],
    pattern:
      /(?<![A-Za-z0-9])(?:glc_[A-Za-z0-9+/]{32,400}={0,3}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|eyJrIjoi[A-Za-z0-9]{60,400}={0,3})(?![A-Za-z0-9+/=_])/y,
    maxSpan: 8 + 400 + 3 + 1,
  },
  {
    id: "flyio-token",
    triggers: [at("_", 3, "fo1_", "fm2_"), at("_", 4, "fm1a_", "fm1r_")],
    pattern:
      /(?<![A-Za-z0-9])(?:fo1_[A-Za-z0-9_-]{43}|fm1[ar]_[A-Za-z0-9+/]{100,1800}={0,3}|fm2_[A-Za-z0-9+/]{100,1800}={0,3})(?![A-Za-z0-9+/=_-])/y,
    maxSpan: 5 + 1800 + 3 + 1,
  },
  {
    id: "1password-service-account-token",
    triggers: [at("_", 3, "ops_")],
    pattern: /(?<![A-Za-z0-9])ops_eyJ[A-Za-z0-9+/=]{100,1400}/y,
    maxSpan: 7 + 1400 + 1,
  },
  {
    id: "1password-secret-key",
    triggers: [at("A", 0, "A3-")],
    pattern:
      /(?<![A-Za-z0-9])A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}(?![A-Za-z0-9])/y,
    maxSpan: 3 + 6 + 1 + 12 + 3 * 6 + 1,
  },
  {
    id: "age-secret-key",
    triggers: [at("A", 0, "AGE-SECRET-KEY-1")],
    pattern: /(?<![A-Za-z0-9])AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}(?![A-Za-z0-9])/y,
    maxSpan: 16 + 58 + 1,
  },
  {
    id: "atlassian-api-token",
    triggers: [at("A", 0, "ATATT3")],
    pattern: /(?<![A-Za-z0-9])ATATT3[A-Za-z0-9_=-]{150,300}(?![A-Za-z0-9_=-])/y,
    maxSpan: 6 + 300 + 1,
  },
  {
    id: "azure-storage-key",
    triggers: [at("A", 0, "AccountKey=")],
    pattern: /(?<![A-Za-z0-9])AccountKey=([A-Za-z0-9+/]{86}==)(?![A-Za-z0-9+/=])/dy,
    maxSpan: 11 + 88 + 1,
  },
  {
    id: "databricks-token",
    triggers: [at("dapi", 0, "dapi")],
    pattern: /(?<![A-Za-z0-9])dapi[a-f0-9]{32}(?:-[0-9])?(?![A-Za-z0-9-])/y,
    maxSpan: 4 + 32 + 2 + 1,
    accept: (s) => hexMix(s.slice(4)),
  },
  {
    id: "doppler-token",
    triggers: [at(".", 2, "dp.")],
    pattern: /(?<![A-Za-z0-9])dp\.(?:pt|st|ct|sa|scim|audit)\.[A-Za-z0-9]{40,44}(?![A-Za-z0-9])/y,
    maxSpan: 3 + 6 + 44 + 1,
  },
  {
    id: "vault-token",
    triggers: [at(".", 3, "hvs.", "hvb.")],
    pattern: /(?<![A-Za-z0-9])hv[sb]\.[A-Za-z0-9_-]{90,300}(?![A-Za-z0-9_-])/y,
    maxSpan: 4 + 300 + 1,
  },
  {
    id: "dynatrace-token",
    triggers: [at(".", 6, "dt0c01.")],
    pattern: /(?<![A-Za-z0-9])dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}(?![A-Za-z0-9])/y,
    maxSpan: 7 + 24 + 1 + 64 + 1,
  },
  {
    id: "postman-api-key",
    triggers: [at("-", 4, "PMAK-")],
    pattern: /(?<![A-Za-z0-9])PMAK-[A-Fa-f0-9]{24}-[A-Fa-f0-9]{34}(?![A-Za-z0-9])/y,
    maxSpan: 5 + 24 + 1 + 34 + 1,
  },
  {
    id: "pulumi-access-token",
    triggers: [at("-", 3, "pul-")],
    pattern: /(?<![A-Za-z0-9])pul-[a-f0-9]{40}(?![A-Za-z0-9])/y,
    maxSpan: 4 + 40 + 1,
    accept: (s) => hexMix(s.slice(4)),
  },
  {
    id: "mailgun-api-key",
    triggers: [at("-", 3, "key-")],
    pattern: /(?<![A-Za-z0-9])key-[a-f0-9]{32}(?![A-Za-z0-9])/y,
    maxSpan: 4 + 32 + 1,
    accept: (s) => hexMix(s.slice(4)),
  },
  {
    id: "perplexity-api-key",
    triggers: [at("-", 4, "pplx-")],
    pattern: /(?<![A-Za-z0-9])pplx-[A-Za-z0-9]{48}(?![A-Za-z0-9])/y,
    maxSpan: 5 + 48 + 1,
  },
  {
    id: "sendinblue-api-key",
    triggers: [at("-", 7, "xkeysib-")],
    pattern: /(?<![A-Za-z0-9])xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}(?![A-Za-z0-9])/y,
    maxSpan: 8 + 64 + 1 + 16 + 1,
  },
  {
    id: "heroku-api-key",
    triggers: [at("-", 4, "HRKU-")],
    pattern: /(?<![A-Za-z0-9])HRKU-AA[A-Za-z0-9_-]{58}(?![A-Za-z0-9_-])/y,
    maxSpan: 7 + 58 + 1,
  },
  {
    id: "prefect-api-key",
    triggers: [at("_", 3, "pnu_")],
    pattern: /(?<![A-Za-z0-9])pnu_[A-Za-z0-9]{36}(?![A-Za-z0-9])/y,
    maxSpan: 4 + 36 + 1,
  },
  {
    id: "notion-token",
    triggers: [at("_", 3, "ntn_")],
    pattern: /(?<![A-Za-z0-9])ntn_[0-9]{11}[A-Za-z0-9]{35}(?![A-Za-z0-9])/y,
    maxSpan: 4 + 11 + 35 + 1,
  },
  {
    id: "sentry-token",
    triggers: [at("_", 6, "sntryu_", "sntrys_")],
    pattern: /(?<![A-Za-z0-9])(?:sntryu_[a-f0-9]{64}|sntrys_eyJ[A-Za-z0-9+/=_]{40,600})(?![A-Za-z0-9+/=_])/y,
    maxSpan: 10 + 600 + 1,
  },
  {
    id: "planetscale-token",
    triggers: [at("_", 6, "pscale_")],
    pattern: /(?<![A-Za-z0-9])pscale_(?:tkn|oauth|pw)_[A-Za-z0-9_=.-]{32,64}(?![A-Za-z0-9_=.-])/y,
    maxSpan: 13 + 64 + 1,
  },
  {
    id: "rubygems-api-key",
    triggers: [at("_", 8, "rubygems_")],
    pattern: /(?<![A-Za-z0-9])rubygems_[a-f0-9]{48}(?![A-Za-z0-9])/y,
    maxSpan: 9 + 48 + 1,
  },
  {
    id: "jwt",
    triggers: [at("J", 2, "eyJ")],
    // Payload and signature share one bounded run, so an oversized token still loses its head.
    pattern: /(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]{4,600}\.eyJ[A-Za-z0-9_.-]{4,1400}/y,
    maxSpan: 3 + 600 + 4 + 1400 + 1,
    prefix: 0,
  },
  {
    id: "bearer-token",
    triggers: [at("B", 0, "Bearer", "BEARER"), at("bearer", 0, "bearer")],
    pattern: /(?<![A-Za-z0-9])bearer[ \t]{1,8}([A-Za-z0-9._~+/-]{8,1900}={0,3})/diy,
    maxSpan: 6 + 8 + 1900 + 3 + 1,
    // "Bearer authentication" is prose; tokens carry digits.
    accept: hasDigit,
  },
  {
    id: "url-credentials",
    triggers: [at(":", 0, "://")],
    pattern:
      /(?<=(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,31}):\/\/[^\s:/?#@"'<>[\]]{0,128}:([^\s/?#"'<>]{1,256})@/dy,
    maxSpan: 3 + 128 + 1 + 256 + 1 + 1,
    accept: (s) => !isOnlyPlaceholders(s),
    mayMatchAt: userEndsAtColon,
  },
];
