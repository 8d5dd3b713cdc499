// Realistic fake secrets, one generator per kind, for planting into real source files. `secretlint`
// says whether @secretlint/secretlint-rule-preset-recommend has a rule for the kind; `omkBefore`
// whether omk's table had it before the items 5/7/8. Values are random (seeded), never real.

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const ALNUM = UPPER + LOWER + DIGITS;
const HEX = "0123456789abcdef";
const B64 = `${ALNUM}+/`;
const B64URL = `${ALNUM}_-`;
const WORD = `${ALNUM}_`;

/**
 * Each kind: `make(pick)` returns `{ lines, secret }` — the lines to insert (in a code-ish context)
 * and the part that must not survive redaction. `file` kinds are whole files of their own, so named
 * (secretlint reads `.npmrc` and service-account `.json` files only by name).
 */
export const KINDS = [
  {
    kind: "aws-access-key-id",
    secretlint: true,
    omkBefore: true,
    make: (p) => put(`AKIA${p(UPPER + DIGITS, 16)}`, (t) => `const accessKeyId = "${t}";`),
  },
  {
    kind: "aws-secret-access-key",
    secretlint: true,
    omkBefore: true,
    make: (p) => put(p(B64, 40), (t) => `aws_secret_access_key = "${t}"`),
  },
  {
    kind: "github-token",
    secretlint: true,
    omkBefore: true,
    make: (p) => put(`ghp_${p(ALNUM, 36)}`, (t) => `// token ${t}`),
  },
  {
    kind: "github-fine-grained-pat",
    secretlint: true,
    omkBefore: true,
    make: (p) => put(`github_pat_${p(ALNUM, 22)}_${p(ALNUM, 59)}`, (t) => `const pat = "${t}";`),
  },
  {
    kind: "slack-token",
    secretlint: true,
    omkBefore: true,
    make: (p) =>
      put(`xoxb-${p(DIGITS, 12)}-${p(DIGITS, 13)}-${p(ALNUM, 24)}`, (t) => `slack.token = "${t}";`),
  },
  {
    kind: "slack-webhook-url",
    secretlint: true,
    omkBefore: false,
    make: (p) =>
      put(
        `T${p(UPPER, 8)}/B${p(UPPER, 10)}/${p(ALNUM, 24)}`,
        (t) => `const hook = "https://hooks.slack.com/services/${t}";`,
      ),
  },
  {
    kind: "npm-token",
    secretlint: true,
    omkBefore: true,
    make: (p) => put(`npm_${p(ALNUM, 36)}`, (t) => `// ${t}`),
  },
  {
    kind: "npmrc-auth-token",
    secretlint: true,
    omkBefore: false,
    file: ".npmrc",
    make: (p) => {
      const token = `${p(ALNUM, 8)}-${p(HEX, 4)}-${p(HEX, 12)}`;
      return {
        lines: ["registry=https://registry.example.org/", `//registry.example.org/:_authToken=${token}`],
        secret: token,
      };
    },
  },
  {
    kind: "sendgrid-api-key",
    secretlint: true,
    omkBefore: false,
    make: (p) => put(`SG.${p(WORD, 22)}.${p(WORD, 43)}`, (t) => `sgMail.setApiKey("${t}");`),
  },
  {
    kind: "shopify-token",
    secretlint: true,
    omkBefore: false,
    make: (p) => put(`shpat_${p(HEX, 32)}`, (t) => `const shop = { token: "${t}" };`),
  },
  {
    kind: "openai-api-key",
    secretlint: true,
    omkBefore: true,
    make: (p) =>
      put(
        `sk-proj-${p(B64URL, 74)}T3BlbkFJ${p(B64URL, 74)}`,
        (t) => `const openai = new OpenAI({ apiKey: "${t}" });`,
      ),
  },
  {
    kind: "anthropic-api-key",
    secretlint: true,
    omkBefore: true,
    make: (p) => put(`sk-ant-api03-${p(B64URL, 93)}AA`, (t) => `const anthropic = "${t}";`),
  },
  {
    kind: "linear-api-key",
    secretlint: true,
    omkBefore: false,
    make: (p) =>
      put(`lin_api_${p(ALNUM, 40)}`, (t) => `const linear = new LinearClient({ apiKey: "${t}" });`),
  },
  {
    kind: "1password-service-account-token",
    secretlint: true,
    omkBefore: false,
    make: (p) => {
      const doc = {
        email: `${p(LOWER + DIGITS, 13)}@1passwordserviceaccounts.com`,
        muk: {
          alg: "A256GCM",
          ext: true,
          k: p(B64URL, 43),
          key_ops: ["encrypt", "decrypt"],
          kty: "oct",
          kid: "mp",
        },
        secretKey: `A3-${p(UPPER + DIGITS, 6)}-${p(UPPER + DIGITS, 6)}-${p(UPPER + DIGITS, 5)}-${p(UPPER + DIGITS, 5)}-${p(UPPER + DIGITS, 5)}`,
        srpX: p(HEX, 64),
        signInAddress: "my.1password.com",
        userAuth: { method: "SRPg-4096", alg: "PBES2g-HS256", iterations: 650000, salt: p(B64URL, 22) },
      };
      let json = JSON.stringify(doc);
      // Real tokens end in `fQ` (a closing brace alone in the last base64 group).
      while (json.length % 3 !== 1) json = `${json.slice(0, -1)} }`;
      return put(`ops_${Buffer.from(json).toString("base64")}`, (t) => `OP_SERVICE_ACCOUNT_TOKEN = "${t}"`);
    },
  },
  {
    kind: "private-key",
    secretlint: true,
    omkBefore: true,
    make: (p) => {
      const body = Array.from({ length: 12 }, () => p(B64, 64));
      const lines = [
        "const key = `-----BEGIN RSA PRIVATE KEY-----",
        ...body,
        "-----END RSA PRIVATE KEY-----`;",
      ];
      return { lines, secret: body[3] };
    },
  },
  {
    kind: "basic-auth-url",
    secretlint: true,
    omkBefore: true,
    make: (p) => {
      const pass = `${p(ALNUM, 14)}7Qz`;
      return { lines: [`const mirror = "https://deploy:${pass}@mirror.example.org/repo";`], secret: pass };
    },
  },
  {
    kind: "database-connection-string",
    secretlint: true,
    omkBefore: true,
    make: (p) => {
      const pass = `${p(ALNUM, 16)}9aB`;
      return { lines: [`DATABASE_URL="postgres://app:${pass}@db.internal:5432/app"`], secret: pass };
    },
  },
  {
    kind: "gcp-service-account-json",
    secretlint: true,
    omkBefore: true,
    file: "service-account.json",
    make: (p) => {
      const body = [
        `MIIEvQIBADANBgkqhkiG9w0BAQEFAASC${p(B64, 32)}`,
        ...Array.from({ length: 9 }, () => p(B64, 64)),
      ];
      const key = `-----BEGIN PRIVATE KEY-----\n${body.join("\n")}\n-----END PRIVATE KEY-----\n`;
      const doc = {
        type: "service_account",
        project_id: "demo-project",
        private_key_id: p(HEX, 40),
        private_key: key,
        client_email: "svc@demo-project.iam.gserviceaccount.com",
      };
      return { lines: [JSON.stringify(doc, null, 2)], secret: body[3] };
    },
  },
  {
    kind: "stripe-key",
    secretlint: false,
    omkBefore: true,
    make: (p) => put(`sk_live_${p(ALNUM, 24)}`, (t) => `const stripe = require("stripe")("${t}");`),
  },
  {
    kind: "google-api-key",
    secretlint: false,
    omkBefore: true,
    make: (p) => put(`AIza${p(B64URL, 35)}`, (t) => `const mapsKey = "${t}";`),
  },
  {
    kind: "jwt",
    secretlint: false,
    omkBefore: true,
    make: (p) =>
      put(`eyJ${p(B64URL, 30)}.eyJ${p(B64URL, 60)}.${p(B64URL, 43)}`, (t) => `const session = "${t}";`),
  },
  {
    kind: "huggingface-token",
    secretlint: false,
    omkBefore: false,
    make: (p) => put(`hf_${p(UPPER + LOWER, 34)}`, (t) => `HF_TOKEN = "${t}"`),
  },
  {
    kind: "gitlab-token",
    secretlint: false,
    omkBefore: false,
    make: (p) => put(`glpat-${p(B64URL, 20)}`, (t) => `// ${t}`),
  },
  {
    kind: "pypi-upload-token",
    secretlint: false,
    omkBefore: false,
    make: (p) => put(`pypi-AgEIcHlwaS5vcmc${p(B64URL, 80)}`, (t) => `password: ${t}`),
  },
  {
    kind: "doppler-token",
    secretlint: false,
    omkBefore: false,
    make: (p) => put(`dp.pt.${p(ALNUM, 43)}`, (t) => `const doppler = "${t}";`),
  },
  {
    kind: "databricks-token",
    secretlint: false,
    omkBefore: false,
    make: (p) => put(`dapi${p(HEX, 30)}a1`, (t) => `const dbx = "${t}";`),
  },
  {
    kind: "digitalocean-token",
    secretlint: false,
    omkBefore: false,
    make: (p) => put(`dop_v1_${p(HEX, 64)}`, (t) => `const doToken = "${t}";`),
  },
  {
    kind: "postman-api-key",
    secretlint: false,
    omkBefore: false,
    make: (p) => put(`PMAK-${p(HEX, 24)}-${p(HEX, 34)}`, (t) => `headers["x-api-key"] = "${t}";`),
  },
  {
    kind: "pulumi-access-token",
    secretlint: false,
    omkBefore: false,
    make: (p) => put(`pul-${p(HEX, 38)}a1`, (t) => `const pulumi = "${t}";`),
  },
  {
    kind: "grafana-token",
    secretlint: false,
    omkBefore: false,
    make: (p) => put(`glsa_${p(ALNUM, 32)}_${p(HEX, 8)}`, (t) => `const grafana = "${t}";`),
  },
  {
    kind: "twilio-key",
    secretlint: false,
    omkBefore: false,
    make: (p) => put(`SK${p(HEX, 30)}a1`, (t) => `const twilioKey = "${t}";`),
  },
  {
    kind: "age-secret-key",
    secretlint: false,
    omkBefore: false,
    make: (p) => put(`AGE-SECRET-KEY-1${p("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)}`, (t) => `# ${t}`),
  },
  {
    kind: "atlassian-api-token",
    secretlint: false,
    omkBefore: false,
    make: (p) => put(`ATATT3xFfGF0${p(B64URL, 180)}`, (t) => `const jira = "${t}";`),
  },
  {
    kind: "flyio-token",
    secretlint: false,
    omkBefore: false,
    make: (p) => put(`fo1_${p(B64URL, 43)}`, (t) => `FLY_API_TOKEN=${t}`),
  },
  {
    kind: "azure-storage-key",
    secretlint: false,
    omkBefore: false,
    make: (p) => {
      const key = `${p(B64, 86)}==`;
      return {
        lines: [
          `const conn = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${key};EndpointSuffix=core.windows.net";`,
        ],
        secret: key,
      };
    },
  },
  {
    kind: "vault-token",
    secretlint: false,
    omkBefore: false,
    make: (p) => put(`hvs.${p(B64URL, 95)}`, (t) => `VAULT_TOKEN: ${t}`),
  },
];

/** One line holding `token`; the token is what must not survive. */
function put(token, line) {
  return { lines: [line(token)], secret: token };
}
