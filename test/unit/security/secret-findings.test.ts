import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redactText } from "../../../src/security/redact.js";
import { findSecretsInText, TextScanner } from "../../../src/security/secret-findings.js";
import { anySecret, fakeChars, HEX } from "./secret-arbitraries.js";

/** Ordinary code: identifiers, member accesses, calls, env lookups, types, templates, comparisons. */
const CODE_LINES = [
  "Debug2.assertOptionalToken = assertOptionalToken;",
  "exports.SOCKS5_NO_ACCEPTABLE_AUTH = SOCKS5_NO_ACCEPTABLE_AUTH;",
  "this.scopeAuthKey = scopeAuthKey",
  "const token = process.env.API_TOKEN;",
  'const apiKey = process.env["OPENAI_API_KEY"] ?? "";',
  "  password: z.string().min(8),",
  "token = getToken()",
  "  apiKey: config.apiKey,",
  "const { accessToken } = await client.auth();",
  "this.refreshToken = options.refreshToken ?? null;",
  `headers.Authorization = \`Bearer \${token}\`;`,
  'if (lastSignificantToken === "?NonExpressionParenKeyword") {',
  '    nextLastSignificantToken = "?NoLineTerminatorHere";',
  "  secret: process.env.JWT_SECRET,",
  "lastToken = currentToken",
  "self.api_key = api_key",
  'api_key = os.environ.get("API_KEY")',
  'password = getpass.getpass("Password: ")',
  "  private readonly apiKey: string;",
  "const sessionToken = crypto.randomUUID();",
  "  auth: { user, pass },",
  '  "auth": "$AUTH_TOKEN",',
  '  client_secret: "{{ .Values.clientSecret }}",',
  "  TOKEN: matchString,",
  "  cancellationToken: CancellationToken;",
  "  password: BinaryLike,",
  '  "js-cookie": "js.cookie",',
  "  indentToken = lineAction === 1 /* LineAdded */;",
  "  benchmarkPass: benchmarkPass,",
  "secret_key = settings.SECRET_KEY",
  "    token = nextToken",
  '    const authHeader = req.headers["authorization"];',
];

/** Real-looking credentials assigned in config and code. */
const SECRET_LINES = [
  `const apiKey = "${fakeChars(HEX, 32, 1)}";`,
  'password = "Tr0ub4dor&3"',
  "DB_PASSWORD=hunter2xyz",
  "secret: 9f8e7d6c5b4a3f2e1d0c",
  '  "client_secret": "aB3xY9kLmN2pQ7rS1tU4",',
  "export AUTH_TOKEN=Zx81kLq0Pm3nVb7Rt2Ws",
  'token = "kq8ZL0p3MvN7xR2tYw5B"',
  "api_key = aB3xY9kLmN2pQ7rS",
  '  "password": "SuperSecretPassword",',
];

describe("findings on ordinary code", () => {
  it.each(CODE_LINES)("does not flag %s", (line) => {
    expect(findSecretsInText(`${line}\n`)).toEqual([]);
  });

  it.each(SECRET_LINES)("flags %s", (line) => {
    expect(findSecretsInText(`${line}\n`).map((f) => f.rule)).toEqual(["secret-assignment"]);
  });

  it("still redacts what it does not report (the redactor is the stricter of the two)", () => {
    expect(redactText("DB_PASSWORD=hunter2xyz")).toBe("DB_PASSWORD=[REDACTED]");
    expect(redactText('token = "kq8ZL0p3MvN7xR2tYw5B"')).toBe('token = "[REDACTED]"');
  });
});

/** ~150 KiB of ordinary lines, so the small-window scanner judges the text in several windows. */
const FILLER = Array.from(
  { length: 3000 },
  (_, i) =>
    `export const value${i} = compute(input, { depth: ${i % 7}, name: "item-${i}" }); // ordinary line`,
);

/** What the scanner finds when `text` arrives in pieces of the given sizes (+1, cycled). */
function scanInPieces(text: string, sizes: readonly number[], window: number) {
  const scanner = new TextScanner({ window });
  let pos = 0;
  for (let i = 0; pos < text.length; i++) {
    const size = (sizes[i % sizes.length] ?? 1) + 1;
    scanner.push(text.slice(pos, pos + size));
    pos += size;
  }
  return scanner.finish();
}

describe("TextScanner", () => {
  it("finds in pieces exactly what it finds in the whole text, wherever windows and chunks cut", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: FILLER.length }), anySecret), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat({ max: 40_000 }), { minLength: 1, maxLength: 12 }),
        (planted, sizes) => {
          const lines = [...FILLER];
          for (const [at, secret] of [...planted].sort((a, b) => b[0] - a[0])) {
            lines.splice(at, 0, ` ${secret.text} `);
          }
          const text = lines.join("\n");
          expect(scanInPieces(text, sizes, 4096)).toEqual(findSecretsInText(text));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("holds a PEM block open across windows until its END (or its cap) arrives", () => {
    const body = (lines: number) =>
      Array.from({ length: lines }, (_, i) => fakeChars(`${HEX}ABCDEFGHIJKLMNOPQRSTUVWXYZ`, 64, i + 1));
    const pem = (lines: number, end: boolean) =>
      `-----BEGIN RSA PRIVATE KEY-----\n${body(lines).join("\n")}${end ? "\n-----END RSA PRIVATE KEY-----" : ""}`;
    fc.assert(
      fc.property(
        // Blocks far longer than what the scanner holds after a trigger, with and without an END,
        // some past PEM_CAP (64 Ki), followed by a secret the block may or may not swallow.
        fc.constantFrom(20, 300, 1100),
        fc.boolean(),
        fc.nat({ max: FILLER.length }),
        anySecret,
        fc.array(fc.nat({ max: 20_000 }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom(1024, 4096),
        (lines, end, at, secret, sizes, window) => {
          const filler = FILLER.slice(0, 400);
          const text = [
            ...filler.slice(0, at % 400),
            pem(lines, end),
            ` ${secret.text} `,
            ...filler.slice(at % 400),
          ].join("\n");
          expect(scanInPieces(text, sizes, window)).toEqual(findSecretsInText(text));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("counts lines across windows", () => {
    const scanner = new TextScanner({ window: 1024 });
    const text = `${FILLER.join("\n")}\npassword = "Tr0ub4dor&3"\n`;
    for (let i = 0; i < text.length; i += 777) scanner.push(text.slice(i, i + 777));
    expect(scanner.finish().map((f) => f.line)).toEqual([FILLER.length + 1]);
  });
});
