import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OmkError } from "../../../src/core/errors.js";
import { findSecretsInText, SCAN_MAX_BYTES, scanFiles } from "../../../src/security/secret-scan.js";
import { ALNUM, DIGITS, fakeChars, UPPER } from "./secret-arbitraries.js";

const akia = `AKIA${fakeChars(UPPER + DIGITS, 16, 7)}`;
const ghp = `ghp_${fakeChars(ALNUM, 36, 8)}`;

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

  it("reports secrets with path, line, rule and a redacted preview", async () => {
    await writeFile(join(root, "src", "config.ts"), `const a = 1;\n\nconst key = "${akia}";\n// ${ghp}\n`);
    await writeFile(join(root, ".env"), "DEBUG=1\nDB_PASSWORD=hunter2xyz\n");
    await writeFile(join(root, "clean.md"), "nothing to see\n");
    const result = await scanFiles(root, ["src/config.ts", ".env", "clean.md"]);
    expect(result.skipped).toEqual([]);
    expect(result.findings).toEqual([
      { path: "src/config.ts", line: 3, rule: "aws-access-key-id", preview: 'const key = "AKIA[REDACTED]";' },
      { path: "src/config.ts", line: 4, rule: "github-token", preview: "// ghp_[REDACTED]" },
      { path: ".env", line: 2, rule: "secret-assignment", preview: "DB_PASSWORD=[REDACTED]" },
    ]);
    expect(JSON.stringify(result)).not.toContain(akia.slice(4));
  });

  it("does not read a symlink that points outside the root", async () => {
    await writeFile(join(outside, "creds.txt"), `token ${ghp}\n`);
    await symlink(join(outside, "creds.txt"), join(root, "leak.txt"));
    const result = await scanFiles(root, ["leak.txt"]);
    expect(result.findings).toEqual([]);
    expect(result.skipped).toEqual([
      { path: "leak.txt", reason: "symlink resolves outside the project root" },
    ]);
  });

  it("does not read through a symlinked directory that points outside the root", async () => {
    await writeFile(join(outside, "creds.txt"), `token ${ghp}\n`);
    await symlink(outside, join(root, "linked"));
    const result = await scanFiles(root, ["linked/creds.txt"]);
    expect(result.findings).toEqual([]);
    expect(result.skipped[0]?.reason).toContain("outside the project root");
  });

  it("follows a symlink that stays inside the root", async () => {
    await writeFile(join(root, "src", "real.txt"), `token ${ghp}\n`);
    await symlink(join(root, "src", "real.txt"), join(root, "alias.txt"));
    const result = await scanFiles(root, ["alias.txt"]);
    expect(result.findings.map((f) => [f.path, f.rule])).toEqual([["alias.txt", "github-token"]]);
  });

  it("skips paths that leave the root, missing files, directories, FIFOs, big and binary files", async () => {
    await writeFile(join(outside, "x.txt"), `token ${ghp}\n`);
    await writeFile(join(root, "big.txt"), Buffer.alloc(SCAN_MAX_BYTES + 1, 0x61));
    await writeFile(join(root, "bin.dat"), Buffer.concat([Buffer.from(`${ghp}\0`), Buffer.alloc(10)]));
    await symlink(join(base, "nowhere"), join(root, "dangling"));
    execFileSync("mkfifo", [join(root, "pipe")]);
    const result = await scanFiles(root, [
      "../outside/x.txt",
      "gone.txt",
      "src",
      "pipe",
      "big.txt",
      "bin.dat",
      "dangling",
      "",
    ]);
    expect(result.findings).toEqual([]);
    expect(Object.fromEntries(result.skipped.map((s) => [s.path, s.reason]))).toEqual({
      "../outside/x.txt": "path leaves the project root",
      "gone.txt": "file does not exist (deleted)",
      src: "not a regular file",
      pipe: "not a regular file",
      "big.txt": "larger than 2 MiB",
      "bin.dat": "binary file",
      dangling: "broken symlink",
      "": "empty path",
    });
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
});
