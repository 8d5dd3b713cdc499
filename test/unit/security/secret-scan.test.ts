import { execFileSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OmkError } from "../../../src/core/errors.js";
import {
  findSecretsInText,
  type SecretFinding,
  scanContent,
  scanFiles,
  UNSCANNABLE_RULE,
  WHOLE_MAX,
} from "../../../src/security/secret-scan.js";
import { ALNUM, anySecret, DIGITS, fakeChars, UPPER } from "./secret-arbitraries.js";

const akia = `AKIA${fakeChars(UPPER + DIGITS, 16, 7)}`;
const ghp = `ghp_${fakeChars(ALNUM, 36, 8)}`;

const brief = (findings: readonly SecretFinding[]) => findings.map((f) => [f.path, f.where, f.line, f.rule]);

function utf16(text: string, bigEndian: boolean, bom: boolean): Buffer {
  const le = Buffer.from(`${bom ? "\ufeff" : ""}${text}`, "utf16le");
  return bigEndian ? Buffer.from(le).swap16() : le;
}

describe("scanFiles", () => {
  let base: string;
  let root: string;
  let outside: string;

  beforeEach(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), "omk-scan-")));
    root = join(base, "repo");
    outside = join(base, "outside");
    await mkdir(join(root, "src"), { recursive: true });
    await mkdir(outside);
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it("reports secrets with path, line, rule, place and a redacted preview", async () => {
    await writeFile(join(root, "src", "config.ts"), `const a = 1;\n\nconst key = "${akia}";\n// ${ghp}\n`);
    await writeFile(join(root, ".env"), "DEBUG=1\nDB_PASSWORD=hunter2xyz\n");
    await writeFile(join(root, "clean.md"), "nothing to see\n");
    const result = await scanFiles(root, ["src/config.ts", ".env", "clean.md"]);
    expect(result.findings).toEqual([
      {
        path: "src/config.ts",
        line: 3,
        rule: "aws-access-key-id",
        preview: 'const key = "AKIA[REDACTED]";',
        where: "content",
      },
      {
        path: "src/config.ts",
        line: 4,
        rule: "github-token",
        preview: "// ghp_[REDACTED]",
        where: "content",
      },
      {
        path: ".env",
        line: 2,
        rule: "secret-assignment",
        preview: "DB_PASSWORD=[REDACTED]",
        where: "content",
      },
    ]);
    expect(result.skipped).toEqual([]);
    expect(result.symlinksOutside).toEqual([]);
    expect(JSON.stringify(result)).not.toContain(akia.slice(4));
  });

  it("reports a symlink that points outside the root, scans its target string, never reads the target", async () => {
    await writeFile(join(outside, "creds.txt"), `token ${ghp}\n`);
    await symlink(join(outside, "creds.txt"), join(root, "leak.txt"));
    await symlink("../../../../../../../../nonexistent-omk-target", join(root, "dangling.txt"));
    const result = await scanFiles(root, ["leak.txt", "dangling.txt"]);
    expect(result.findings).toEqual([]);
    expect(result.symlinksOutside).toEqual(["leak.txt", "dangling.txt"]);
  });

  it("does not read through a symlinked directory that points outside the root", async () => {
    await writeFile(join(outside, "creds.txt"), `token ${ghp}\n`);
    await symlink(outside, join(root, "linked"));
    const result = await scanFiles(root, ["linked/creds.txt"]);
    expect(result.findings).toEqual([
      {
        path: "linked/creds.txt",
        line: 0,
        rule: UNSCANNABLE_RULE,
        preview: "path resolves outside the project root through a symlinked directory",
        where: "file",
      },
    ]);
  });

  it("follows a symlink that stays inside the root, and scans what git commits for it: its target string", async () => {
    await writeFile(join(root, "src", "real.txt"), `token ${ghp}\n`);
    await symlink(join(root, "src", "real.txt"), join(root, "alias.txt"));
    await symlink(`docs/${akia}`, join(root, "named.txt"));
    const result = await scanFiles(root, ["alias.txt", "named.txt"]);
    expect(brief(result.findings)).toEqual([
      ["alias.txt", "content", 1, "github-token"],
      ["named.txt", "content", 1, "aws-access-key-id"],
    ]);
    expect(result.symlinksOutside).toEqual([]);
  });

  it("turns everything it cannot scan into a blocking finding with the reason", async () => {
    await writeFile(join(outside, "x.txt"), `token ${ghp}\n`);
    execFileSync("mkfifo", [join(root, "pipe")]);
    await writeFile(join(root, "file"), "x");
    const result = await scanFiles(root, [
      "../outside/x.txt",
      "gone.txt",
      "src",
      "pipe",
      "file/below",
      "",
      ".",
    ]);
    expect(
      result.findings.every((f) => f.rule === UNSCANNABLE_RULE && f.where === "file" && f.line === 0),
    ).toBe(true);
    expect(Object.fromEntries(result.findings.map((f) => [f.path, f.preview]))).toEqual({
      "../outside/x.txt": "path leaves the project root",
      "gone.txt": "file does not exist (deleted)",
      src: "a directory where a file was expected",
      pipe: "not a regular file",
      "file/below": "a parent of the path is not a directory",
      "": "empty path",
      ".": "path leaves the project root",
    });
    expect(result.skipped.map((s) => s.reason)).toEqual(result.findings.map((f) => f.preview));
  });

  it.skipIf(process.getuid?.() === 0)("reports a file it may not read", async () => {
    await writeFile(join(root, "secret.txt"), ghp);
    await chmod(join(root, "secret.txt"), 0o000);
    const result = await scanFiles(root, ["secret.txt"]);
    expect(result.findings).toMatchObject([{ rule: UNSCANNABLE_RULE, preview: "cannot open (EACCES)" }]);
  });

  it("finds secrets anywhere in a 5 MiB file, streamed, with the right line numbers", async () => {
    const filler = `${"const value = compute(input, options); // ordinary code line\n".repeat(1000)}`;
    const parts: string[] = [`${ghp}\n`];
    while (parts.join("").length < 5 * 1024 * 1024) parts.push(filler);
    parts.push(`token ${akia}\n`);
    const text = parts.join("");
    expect(text.length).toBeGreaterThan(WHOLE_MAX);
    await writeFile(join(root, "big.txt"), text);
    const result = await scanFiles(root, ["big.txt"]);
    expect(brief(result.findings)).toEqual([
      ["big.txt", "content", 1, "github-token"],
      ["big.txt", "content", text.split("\n").length - 1, "aws-access-key-id"],
    ]);
  });

  it("finds a secret that straddles the streaming chunk boundary", async () => {
    const line = `${"x".repeat(99)}\n`;
    const before = line.repeat(Math.ceil((WHOLE_MAX + 1024 * 1024) / line.length));
    const cut = 1024 * 1024 - 10 - (before.length % (1024 * 1024));
    const text = `${before}${"y".repeat(cut > 0 ? cut : cut + 1024 * 1024)} ${ghp} \n`;
    await writeFile(join(root, "edge.txt"), text);
    const result = await scanFiles(root, ["edge.txt"]);
    expect(result.findings.map((f) => f.rule)).toEqual(["github-token"]);
  });

  it.each([
    ["UTF-16LE with BOM", false, true],
    ["UTF-16BE with BOM", true, true],
    ["UTF-16LE without BOM", false, false],
    ["UTF-16BE without BOM", true, false],
  ])("decodes %s", async (_name, bigEndian, bom) => {
    await writeFile(
      join(root, "wide.txt"),
      utf16(`héllo\r\npassword = "Tr0ub4dor&3"\r\n${ghp}\r\n`, bigEndian, bom),
    );
    const result = await scanFiles(root, ["wide.txt"]);
    expect(brief(result.findings)).toEqual([
      ["wide.txt", "content", 2, "secret-assignment"],
      ["wide.txt", "content", 3, "github-token"],
    ]);
  });

  it("decodes UTF-8 and UTF-32 with a byte-order mark", async () => {
    const text = `ok\n${ghp}\n`;
    const utf32 = Buffer.alloc((text.length + 1) * 4);
    [...`\ufeff${text}`].forEach((c, i) => {
      utf32.writeUInt32LE(c.codePointAt(0) ?? 0, i * 4);
    });
    await writeFile(
      join(root, "bom8.txt"),
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]),
    );
    await writeFile(join(root, "bom32.txt"), utf32);
    const result = await scanFiles(root, ["bom8.txt", "bom32.txt"]);
    expect(brief(result.findings)).toEqual([
      ["bom8.txt", "content", 2, "github-token"],
      ["bom32.txt", "content", 2, "github-token"],
    ]);
  });

  it("finds keys in the printable runs of a binary file, 8-bit and UTF-16 at either alignment", async () => {
    const junk = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + 1) % 7));
    const binary = Buffer.concat([
      junk(300),
      Buffer.from(`\0${ghp}\0`),
      junk(301),
      Buffer.from(`${akia}`, "utf16le"),
      junk(300),
      Buffer.from(`token ${akia}`, "utf16le").swap16(),
      junk(100),
    ]);
    await writeFile(join(root, "app.bin"), binary);
    const result = await scanFiles(root, ["app.bin"]);
    expect(result.findings.map((f) => [f.where, f.line, f.rule]).sort()).toEqual([
      ["strings", 0, "aws-access-key-id"],
      ["strings", 0, "aws-access-key-id"],
      ["strings", 0, "github-token"],
    ]);
  });

  it("scans the changed path itself and never shows the secret in it", async () => {
    await writeFile(join(root, `${ghp}.txt`), "harmless\n");
    const result = await scanFiles(root, [`${ghp}.txt`]);
    expect(result.findings).toEqual([
      {
        path: "[REDACTED].txt",
        line: 0,
        rule: "github-token",
        preview: "ghp_[REDACTED].txt",
        where: "path",
      },
    ]);
  });

  it("returns the bytes it read when asked, and scanContent agrees with the scan", async () => {
    const text = `const key = "${akia}";\n`;
    await writeFile(join(root, "a.ts"), text);
    const result = await scanFiles(root, ["a.ts"], { keepContent: true });
    expect(result.contents.get("a.ts")?.toString()).toBe(text);
    expect(scanContent("a.ts", Buffer.from(text))).toEqual(result.findings);
    expect((await scanFiles(root, ["a.ts"])).contents.size).toBe(0);
  });

  it("scans each path once and keeps input order", async () => {
    await writeFile(join(root, "b.txt"), `${ghp}\n`);
    await writeFile(join(root, "a.txt"), `${akia}\n`);
    const result = await scanFiles(root, ["b.txt", "a.txt", "b.txt"]);
    expect(result.findings.map((f) => f.path)).toEqual(["b.txt", "a.txt"]);
  });

  it("throws IO_FAILED when the root does not exist", async () => {
    const error = await scanFiles(join(base, "missing"), ["x"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OmkError);
    expect((error as OmkError).code).toBe("IO_FAILED");
  });
});

describe("findSecretsInText", () => {
  it("reports literal credentials in config and code, not references or placeholders", () => {
    const text = [
      'password = "Tr0ub4dor&3"', // 1: quoted literal
      "password = getPassword()", // 2: code
      `token: \${GITHUB_TOKEN}`, // 3: reference
      'api_key: "your-api-key-here"', // 4: placeholder
      "  SECRET_KEY=9f8e7d6c5b4a", // 5: config line
      "const secret = config.secret;", // 6: member expression
      "postgres://app:password@localhost/db", // 7: documentation default
      "postgres://app:S3cretPw9@localhost/db", // 8: real-looking credentials
      "password: string", // 9: a type
    ].join("\n");
    expect(findSecretsInText(text).map((f) => [f.line, f.rule])).toEqual([
      [1, "secret-assignment"],
      [5, "secret-assignment"],
      [8, "url-credentials"],
    ]);
  });

  it("names overlapping matches once, by the most specific rule", () => {
    const jwt = `eyJ${fakeChars(ALNUM, 20)}.eyJ${fakeChars(ALNUM, 40, 2)}.${fakeChars(ALNUM, 43, 3)}`;
    const findings = findSecretsInText(`Authorization: Bearer ${jwt}`);
    expect(findings).toEqual([{ line: 1, rule: "jwt", preview: "Authorization: [REDACTED]" }]);
  });

  it("keeps previews short, single-line and free of control characters", () => {
    const text = `${"x".repeat(300)} ${ghp} \u001b[31m${"y".repeat(300)}`;
    const [finding] = findSecretsInText(text);
    expect(finding?.preview.length).toBeLessThanOrEqual(162);
    expect(finding?.preview).toContain("ghp_[REDACTED]");
    expect(finding?.preview).not.toMatch(/[\x00-\x1f]/);
  });

  it("does not report published documentation examples", () => {
    const jwtIo =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    expect(findSecretsInText(`id AKIAIOSFODNN7EXAMPLE\njwt ${jwtIo}\n`)).toEqual([]);
  });
});

describe("previews on long lines", () => {
  it("stay short and leak nothing of neighbouring secrets, at bounded cost", () => {
    const minified = `${"a=1;".repeat(50_000)}k="${ghp}";${"b=2;".repeat(50_000)}x="${akia}";`;
    const findings = findSecretsInText(minified);
    expect(findings.map((f) => f.rule)).toEqual(["github-token", "aws-access-key-id"]);
    for (const f of findings) {
      expect(f.preview.length).toBeLessThanOrEqual(162);
      expect(f.preview).not.toContain(ghp.slice(4));
      expect(f.preview).not.toContain(akia.slice(4));
    }
  });
});

describe("scanContent in pieces", () => {
  it("finds in a file decoded and judged piece by piece exactly what it finds in the whole text", () => {
    // Multi-byte characters everywhere, so UTF-8 sequences straddle the decoding seams, and the
    // text long enough to cross many of the scanner's windows.
    const line = (i: number) => `const v${i} = "ünïcødé ${"日本".repeat(i % 3)}"; // item ${i}`;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 4000 }), anySecret), { minLength: 1, maxLength: 8 }),
        (planted) => {
          const lines = Array.from({ length: 4000 }, (_, i) => line(i));
          for (const [at, secret] of [...planted].sort((a, b) => b[0] - a[0])) {
            lines.splice(at, 0, `  ${secret.text}`);
          }
          const text = lines.join("\n");
          const whole = findSecretsInText(text).map((f) => ["f.txt", "content", f.line, f.rule, f.preview]);
          const pieces = scanContent("f.txt", Buffer.from(text)).map((f) => [
            f.path,
            f.where,
            f.line,
            f.rule,
            f.preview,
          ]);
          expect(pieces).toEqual(whole);
        },
      ),
      { numRuns: 40 },
    );
  });
});
