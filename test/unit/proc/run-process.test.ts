import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OmkError } from "../../../src/core/errors.js";
import { runProcess } from "../../../src/proc/run-process.js";
import { redactText } from "../../../src/security/redact.js";
import { fixture, parentEnv, withTempDir } from "./support.js";

const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");
const cwd = process.cwd();
/** The token noisy.mjs prints, rebuilt here the same way. */
const TOKEN = `ghp_${"aB3x".repeat(9)}`;

describe("runProcess: results", () => {
  it("reports exit code, output and byte counts as data", async () => {
    const r = await runProcess(fixture("exit-code.mjs", "3", "to stdout\n", "to stderr\n"), {
      cwd,
      parentEnv: parentEnv(),
    });
    expect(r.exitCode).toBe(3);
    expect(r.signal).toBeNull();
    expect(r.failedToStart).toBeNull();
    expect(r.timedOut).toBe(false);
    expect(r.isCanceled).toBe(false);
    expect(r.stdout).toBe("to stdout\n");
    expect(r.stderr).toBe("to stderr\n");
    expect(r.stdoutBytes).toBe(10);
    expect(r.stderrBytes).toBe(10);
    expect(r.stdoutSha256).toBe(sha256("to stdout\n"));
    expect(typeof r.pid).toBe("number");
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    expect(r.argv).toEqual(fixture("exit-code.mjs", "3", "to stdout\n", "to stderr\n"));
  });

  it("hashes a stream that stays empty as the empty text", async () => {
    const r = await runProcess(fixture("exit-code.mjs", "0", "", ""), { cwd, parentEnv: parentEnv() });
    expect(r.stdout).toBe("");
    expect(r.stdoutBytes).toBe(0);
    expect(r.stdoutSha256).toBe(sha256(""));
    expect(r.stderrSha256).toBe(sha256(""));
  });

  it("turns a missing executable into failedToStart, not an exception", async () => {
    const r = await runProcess(["omk-definitely-not-installed-xyz", "--version"], {
      cwd,
      parentEnv: parentEnv(),
    });
    expect(r.failedToStart).toMatch(/^executable not found: omk-definitely-not-installed-xyz .*ENOENT/);
    expect(r.exitCode).toBeNull();
    expect(r.pid).toBeUndefined();
    expect(r.stdoutBytes).toBe(0);
  });

  it("says when the executable is not executable", async () => {
    await withTempDir("proc-eacces", async (dir) => {
      const script = join(dir, "tool");
      await writeFile(script, "#!/bin/sh\nexit 0\n", { mode: 0o644 });
      const r = await runProcess([script], { cwd, parentEnv: parentEnv() });
      expect(r.failedToStart).toMatch(/permission denied.*EACCES/);
    });
  });

  it("turns a missing cwd into failedToStart", async () => {
    const r = await runProcess(fixture("exit-code.mjs", "0"), {
      cwd: "/nonexistent/omk-test",
      parentEnv: parentEnv(),
    });
    expect(r.failedToStart).toMatch(/cwd/);
    expect(r.exitCode).toBeNull();
  });

  it("feeds input on stdin and closes it", async () => {
    const r = await runProcess(fixture("echo.mjs"), { cwd, parentEnv: parentEnv(), input: "one\ntwo\n" });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe("echo: one\necho: two\n");
  });

  it("ignores stdin when no input is given (a reader sees EOF at once)", async () => {
    const r = await runProcess(fixture("echo.mjs"), { cwd, parentEnv: parentEnv(), timeoutMs: 10_000 });
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe("");
  });

  it("delivers stdout and stderr lines to the callbacks in order", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const r = await runProcess(fixture("noisy.mjs", "both", "6"), {
      cwd,
      parentEnv: parentEnv(),
      onStdoutLine: (l) => out.push(l),
      onStderrLine: (l) => err.push(l),
    });
    expect(r.exitCode).toBe(0);
    expect(out).toEqual(["out 0", "out 2", "out 4"]);
    expect(err).toEqual(["err 1", "err 3", "err 5"]);
  });

  it("rethrows a line callback's error once the process is done", async () => {
    const boom = new Error("callback bug");
    await expect(
      runProcess(fixture("noisy.mjs", "lines", "5"), {
        cwd,
        parentEnv: parentEnv(),
        onStdoutLine: () => {
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
  });

  it("throws OmkError only for programmer errors in argv", async () => {
    await expect(runProcess([], { cwd })).rejects.toBeInstanceOf(OmkError);
    await expect(runProcess(["node", 3 as unknown as string], { cwd })).rejects.toMatchObject({
      code: "INTERNAL",
    });
    await expect(runProcess(["node", "a\0b"], { cwd })).rejects.toMatchObject({ code: "INTERNAL" });
    await expect(runProcess([""], { cwd })).rejects.toMatchObject({ code: "INTERNAL" });
  });
});

describe("runProcess: environment", () => {
  it("passes PATH/HOME/LANG but never secret-like parent variables", async () => {
    const env = parentEnv({
      GITHUB_TOKEN: "gh-secret-value",
      MY_API_KEY: "api-secret-value",
      AWS_SECRET_ACCESS_KEY: "aws-secret-value",
      DATABASE_URL: "postgres://user:pw@db/x",
      NPM_TOKEN: "npm-secret-value",
    });
    const r = await runProcess(fixture("print-env.mjs"), { cwd, parentEnv: env });
    const childEnv = JSON.parse(r.stdout) as Record<string, string>;
    expect(childEnv["PATH"]).toBe(env["PATH"]);
    expect(childEnv["HOME"]).toBe(env["HOME"]);
    expect(childEnv["LANG"]).toBe("C.UTF-8");
    for (const name of ["GITHUB_TOKEN", "MY_API_KEY", "AWS_SECRET_ACCESS_KEY", "DATABASE_URL", "NPM_TOKEN"]) {
      expect(childEnv).not.toHaveProperty(name);
    }
    expect(r.stdout).not.toContain("secret-value");
  });

  it("adds explicit env on top of the sanitized parent env", async () => {
    const r = await runProcess(fixture("print-env.mjs"), {
      cwd,
      parentEnv: parentEnv({ UNLISTED_VAR: "dropped" }),
      explicitEnv: { GATE_MODE: "ci" },
    });
    const childEnv = JSON.parse(r.stdout) as Record<string, string>;
    expect(childEnv["GATE_MODE"]).toBe("ci");
    expect(childEnv).not.toHaveProperty("UNLISTED_VAR");
  });
});

describe("runProcess: output capture", () => {
  it("keeps the tail, counts every byte and hashes the whole stream", async () => {
    const lines = 20_000;
    let full = "";
    for (let i = 0; i < lines; i++) full += `line ${i}\n`;
    const cap = 1_000;
    const r = await runProcess(fixture("noisy.mjs", "lines", String(lines)), {
      cwd,
      parentEnv: parentEnv(),
      maxOutputBytes: cap,
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdoutBytes).toBe(Buffer.byteLength(full));
    expect(r.stdoutSha256).toBe(sha256(full));
    const [marker, ...rest] = r.stdout.split("\n");
    expect(marker).toMatch(/not kept/);
    const kept = rest.join("\n");
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(cap);
    expect(Buffer.byteLength(kept)).toBeGreaterThan(cap - 20);
    expect(full.endsWith(kept)).toBe(true);
    expect(kept.endsWith(`line ${lines - 1}\n`)).toBe(true);
  });

  it("never keeps, hashes or reports a secret split across writes", async () => {
    const seen: string[] = [];
    const r = await runProcess(fixture("noisy.mjs", "secret"), {
      cwd,
      parentEnv: parentEnv(),
      maxOutputBytes: 4_096,
      onStdoutLine: (l) => seen.push(l),
      onStderrLine: (l) => seen.push(l),
    });
    const raw = `before ${TOKEN} after\n`;
    expect(r.exitCode).toBe(0);
    for (const text of [r.stdout, r.stderr, seen.join("\n")]) {
      expect(text).toContain("before ");
      expect(text).toContain(" after");
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(TOKEN.slice(4, 30));
    }
    expect(r.stdoutBytes).toBe(Buffer.byteLength(raw));
    expect(r.stdoutSha256).not.toBe(sha256(raw));
    expect(r.stdoutSha256).toBe(sha256(redactText(raw)));
    expect(r.stderrSha256).toBe(sha256(redactText(raw)));
  });
});

describe("runProcess: combined tail", () => {
  it("interleaves stdout and stderr by line, in arrival order, only when asked", async () => {
    const r = await runProcess(fixture("noisy.mjs", "both", "6"), {
      cwd,
      parentEnv: parentEnv(),
      combinedTailBytes: 4_096,
    });
    expect(r.combinedTail).toBe("out 0\nerr 1\nout 2\nerr 3\nout 4\nerr 5\n");
    const plain = await runProcess(fixture("noisy.mjs", "both", "2"), { cwd, parentEnv: parentEnv() });
    expect(plain.combinedTail).toBeUndefined();
  });

  it("redacts and caps it like the streams themselves", async () => {
    const secret = await runProcess(fixture("noisy.mjs", "secret"), {
      cwd,
      parentEnv: parentEnv(),
      combinedTailBytes: 4_096,
    });
    expect(secret.combinedTail?.match(/before .* after\n/g)).toHaveLength(2);
    expect(secret.combinedTail).not.toContain(TOKEN);
    const long = await runProcess(fixture("noisy.mjs", "lines", "2000"), {
      cwd,
      parentEnv: parentEnv(),
      combinedTailBytes: 1_024,
    });
    expect(long.combinedTail).toMatch(/^\[omk: \d+ earlier bytes not kept\]\n/);
    expect(long.combinedTail?.endsWith("line 1999\n")).toBe(true);
  });
});
