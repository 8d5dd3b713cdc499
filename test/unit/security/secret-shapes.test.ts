/**
 * One case per token kind added beyond the original table (secretlint's recommended preset and
 * gitleaks' fixed-prefix rules): a realistic fake value that the redactor removes and the scan
 * reports under its rule, and a near miss that neither touches. Values are built at run time.
 */

import { describe, expect, it } from "vitest";
import { REDACTED, redactText, redactTextOnce, StreamRedactor } from "../../../src/security/redact.js";
import { findSecretsInText } from "../../../src/security/secret-scan.js";
import { ALNUM, B64, B64URL, BECH32, DIGITS, fakeChars, HEX, LOWER, UPPER } from "./secret-arbitraries.js";

const R = REDACTED;
const hex = (n: number, seed: number) => `1${fakeChars(HEX, n - 2, seed)}a`;
const alnum = (n: number, seed: number) => `7${fakeChars(ALNUM, n - 3, seed)}Qz`;
const letters = (n: number, seed: number) => `Q${fakeChars(UPPER + LOWER, n - 2, seed)}z`;

interface Case {
  rule: string;
  /** Text holding the secret. */
  text: string;
  /** What the redactor makes of it. */
  expected: string;
  /** Looks close, is not a secret: left alone by the redactor and the scan. */
  nearMiss: string;
}

const azureKey = `${fakeChars(B64, 86, 30)}==`;
const saKey = `-----BEGIN PRIVATE KEY-----\\n${fakeChars(B64, 64, 31)}\\n${fakeChars(B64, 40, 32)}=\\n-----END PRIVATE KEY-----\\n`;

const CASES: Case[] = [
  {
    rule: "huggingface-token",
    text: `HF_HOME=/cache hf_${letters(34, 1)}`,
    expected: `HF_HOME=/cache ${R}`,
    nearMiss: `from huggingface_hub import hf_hub_download; hf_${letters(33, 1)}`,
  },
  {
    rule: "gitlab-token",
    text: `git clone https://oauth2@gitlab.com/x.git # glpat-${fakeChars(B64URL, 20, 2)} gldt-${fakeChars(B64URL, 24, 3)}`,
    expected: `git clone https://oauth2@gitlab.com/x.git # ${R} ${R}`,
    nearMiss: "glpat-tooshort glpat_ABCDEFGHIJKLMNOPQRSTUV",
  },
  {
    rule: "sendgrid-api-key",
    text: `sg.setApiKey("SG.${fakeChars(B64URL, 22, 4)}.${fakeChars(B64URL, 43, 5)}");`,
    expected: `sg.setApiKey("${R}");`,
    nearMiss: "SG.short.value and SG.DEFAULT",
  },
  {
    rule: "slack-webhook-url",
    text: `curl -X POST https://hooks.slack.com/services/T${alnum(9, 6)}/B${alnum(9, 7)}/${alnum(24, 8)}`,
    expected: `curl -X POST https://hooks.slack.com/services/${R}`,
    nearMiss: "see https://hooks.slack.com/services/ and https://api.slack.com/messaging/webhooks",
  },
  {
    rule: "npm-auth-token",
    text: `//registry.npmjs.org/:_authToken=${alnum(36, 9)}\n`,
    expected: `//registry.npmjs.org/:_authToken=${R}\n`,
    nearMiss: "registry=https://registry.npmjs.org/\nalways-auth=true\n",
  },
  {
    rule: "pypi-upload-token",
    text: `password = pypi-AgEIcHlwaS5vcmc${fakeChars(B64URL, 70, 10)}`,
    expected: `password = ${R}`,
    nearMiss: `pypi-AgEIcHlwaS5vcmc${fakeChars(B64URL, 20, 10)} pypi-token-docs`,
  },
  {
    rule: "shopify-token",
    text: `X-Shopify-Access-Token: shpat_${hex(32, 11)}`,
    expected: `X-Shopify-Access-Token: ${R}`,
    nearMiss: `shpat_${hex(20, 11)} shop_access`,
  },
  {
    rule: "doppler-token",
    text: `DOPPLER=dp.pt.${alnum(43, 12)}`,
    expected: `DOPPLER=${R}`,
    nearMiss: "dp.pt.short dp.config.load()",
  },
  {
    rule: "databricks-token",
    text: `host = "x" ; tok dapi${hex(32, 13)}`,
    expected: `host = "x" ; tok ${R}`,
    nearMiss: `dapiVersion dapi${hex(31, 13)} dapi${"deadbeef".repeat(4)}`,
  },
  {
    rule: "digitalocean-token",
    text: `doctl auth init -t dop_v1_${hex(64, 14)}`,
    expected: `doctl auth init -t ${R}`,
    nearMiss: `dop_v1_${hex(63, 14)}`,
  },
  {
    rule: "linear-api-key",
    text: `new LinearClient({ key: lin_api_${alnum(40, 15)} })`,
    expected: `new LinearClient({ key: ${R} })`,
    nearMiss: "lin_api_short lin_api_version",
  },
  {
    rule: "postman-api-key",
    text: `x-api-key PMAK-${hex(24, 16)}-${hex(34, 17)}`,
    expected: `x-api-key ${R}`,
    nearMiss: "PMAK-123-456",
  },
  {
    rule: "pulumi-access-token",
    text: `PULUMI pul-${hex(40, 18)}`,
    expected: `PULUMI ${R}`,
    nearMiss: `pul-${hex(39, 18)} pul-request`,
  },
  {
    rule: "grafana-token",
    text: `glc_${fakeChars(B64, 60, 19)} glsa_${alnum(32, 20)}_${hex(8, 21)}`,
    expected: `${R} ${R}`,
    nearMiss: "glc_short glsa_abc_123",
  },
  {
    rule: "twilio-key",
    text: `client = Twilio("AC${hex(32, 22)}", "SK${hex(32, 23)}")`,
    expected: `client = Twilio("${R}", "${R}")`,
    nearMiss: `SKIP_THIS_TEST_WHEN_OFFLINE_ALWAYS AC${hex(31, 22)} AC${"0123456789".repeat(3)}12`,
  },
  {
    rule: "mailgun-api-key",
    text: `mailgun key-${hex(32, 24)}`,
    expected: `mailgun ${R}`,
    nearMiss: `key-value-store key-${"deadbeef".repeat(4)}`,
  },
  {
    rule: "age-secret-key",
    text: `# created: 2024\nAGE-SECRET-KEY-1${fakeChars(BECH32, 58, 25)}\n`,
    expected: `# created: 2024\n${R}\n`,
    nearMiss: "AGE-SECRET-KEY-1QQQ age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
  },
  {
    rule: "atlassian-api-token",
    text: `JIRA ATATT3xFfGF0${fakeChars(B64URL, 170, 26)}=${hex(8, 27).toUpperCase()}`,
    expected: `JIRA ${R}`,
    nearMiss: "ATATT3short ATATT",
  },
  {
    rule: "flyio-token",
    text: `FLY fo1_${fakeChars(B64URL, 43, 28)}`,
    expected: `FLY ${R}`,
    nearMiss: "fo1_short flyctl tokens create",
  },
  {
    rule: "1password-service-account-token",
    text: `OP ops_eyJ${fakeChars(B64, 200, 29)}`,
    expected: `OP ${R}`,
    nearMiss: "ops_eyJshort ops_count",
  },
  {
    rule: "1password-secret-key",
    text: `kit A3-${fakeChars(UPPER + DIGITS, 6, 33)}-${fakeChars(UPPER + DIGITS, 11, 34)}-${fakeChars(UPPER + DIGITS, 5, 35)}-${fakeChars(UPPER + DIGITS, 5, 36)}-${fakeChars(UPPER + DIGITS, 5, 37)}`,
    expected: `kit ${R}`,
    nearMiss: "A3-ABCDEF-paper-size",
  },
  {
    rule: "azure-storage-key",
    text: `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${azureKey};EndpointSuffix=core.windows.net`,
    expected: `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${R};EndpointSuffix=core.windows.net`,
    nearMiss: "AccountName=acct;EndpointSuffix=core.windows.net",
  },
  {
    rule: "private-key",
    text: `{"type": "service_account", "private_key_id": "${hex(40, 38)}", "private_key": "${saKey}"}`,
    expected: `{"type": "service_account", "private_key_id": "${hex(40, 38)}", "private_key": "${R}"}`,
    nearMiss: `{"type": "service_account", "private_key_id": "${hex(40, 38)}", "client_id": "1234567890"}`,
  },
  {
    rule: "vault-token",
    text: `VAULT hvs.${fakeChars(B64URL, 95, 39)}`,
    expected: `VAULT ${R}`,
    nearMiss: "hvs.short hvs.config",
  },
  {
    rule: "dynatrace-token",
    text: `dt0c01.${fakeChars(UPPER + DIGITS, 24, 40)}.${fakeChars(ALNUM, 64, 41)}`,
    expected: R,
    nearMiss: "dt0c01.SHORT.value",
  },
  {
    rule: "perplexity-api-key",
    text: `PPLX pplx-${alnum(48, 42)}`,
    expected: `PPLX ${R}`,
    nearMiss: "pplx-short pplx-api",
  },
  {
    rule: "sendinblue-api-key",
    text: `BREVO xkeysib-${hex(64, 43)}-${alnum(16, 44)}`,
    expected: `BREVO ${R}`,
    nearMiss: "xkeysib-short",
  },
  {
    rule: "heroku-api-key",
    text: `HEROKU HRKU-AA${fakeChars(B64URL, 58, 45)}`,
    expected: `HEROKU ${R}`,
    nearMiss: "HRKU-AAshort HRKU-BB",
  },
  {
    rule: "prefect-api-key",
    text: `prefect pnu_${alnum(36, 46)}`,
    expected: `prefect ${R}`,
    nearMiss: "pnu_short pnu_value",
  },
  {
    rule: "notion-token",
    text: `notion ntn_${fakeChars(DIGITS, 11, 47)}${alnum(35, 48)}`,
    expected: `notion ${R}`,
    nearMiss: "ntn_short",
  },
  {
    rule: "sentry-token",
    text: `SENTRY sntryu_${hex(64, 49)}`,
    expected: `SENTRY ${R}`,
    nearMiss: "sntryu_short",
  },
  {
    rule: "planetscale-token",
    text: `pscale_tkn_${alnum(40, 50)}`,
    expected: R,
    nearMiss: "pscale_tkn_short pscale_config",
  },
  {
    rule: "rubygems-api-key",
    text: `:rubygems_api_key: rubygems_${hex(48, 51)}`,
    expected: `:rubygems_api_key: ${R}`,
    nearMiss: "rubygems_version rubygems_integration",
  },
  {
    rule: "slack-token",
    text: `SLACK_APP xapp-1-A${alnum(10, 52)}-${fakeChars(DIGITS, 13, 53)}-${hex(64, 54)}`,
    expected: `SLACK_APP ${R}`,
    nearMiss: "xapp-short xoxz-1234567890",
  },
  {
    rule: "aws-access-key-id",
    text: `role AROA${fakeChars(UPPER + DIGITS, 16, 55)} temp A3TX${fakeChars(UPPER + DIGITS, 16, 56)}`,
    expected: `role ${R} temp ${R}`,
    nearMiss: `AROA${fakeChars(UPPER + DIGITS, 15, 55)} AROUND_THE_CLOCK_SERVICE`,
  },
  {
    rule: "stripe-key",
    text: `stripe rk_live_${alnum(24, 57)}`,
    expected: `stripe ${R}`,
    nearMiss: `pk_live_${alnum(24, 57)}`,
  },
];

describe("value shapes beyond the original table", () => {
  it("has a case for at least 30 rules", () => {
    expect(new Set(CASES.map((c) => c.rule)).size).toBeGreaterThanOrEqual(30);
  });

  it.each(CASES)("$rule: redacts the realistic value", ({ text, expected }) => {
    expect(redactText(text)).toBe(expected);
  });

  it.each(CASES)("$rule: the scan reports it under its own rule", ({ rule, text }) => {
    const rules = findSecretsInText(text).map((f) => f.rule);
    expect(rules.length).toBeGreaterThan(0);
    expect(new Set(rules)).toEqual(new Set([rule]));
  });

  it.each(CASES)("$rule: leaves the near miss alone", ({ nearMiss }) => {
    expect(redactText(nearMiss)).toBe(nearMiss);
    expect(findSecretsInText(nearMiss)).toEqual([]);
  });

  it.each(CASES)("$rule: is idempotent and streams to the same text", ({ text }) => {
    const once = redactText(text);
    expect(redactText(once)).toBe(once);
    for (const cut of [1, Math.floor(text.length / 2), text.length - 1]) {
      const stream = new StreamRedactor();
      const out = stream.push(text.slice(0, cut)) + stream.push(text.slice(cut)) + stream.flush();
      expect(out).toBe(redactTextOnce(text));
    }
  });
});
