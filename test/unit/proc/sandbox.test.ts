import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Spawner } from "../../../src/proc/context.js";
import { bwrapArgs, confinedSpawner, pathExposures, type SandboxProfile } from "../../../src/proc/sandbox.js";
import type { ProcResult } from "../../../src/proc/types.js";

const PROFILE: SandboxProfile = {
  network: "none",
  writable: ["/home/u/repo/.omk/worktrees/run-1", "/home/u/repo/.git/objects"],
  readOnly: ["/home/u/repo"],
  hidden: ["/home/u/.local/state/omk", "/home/u/.config/omk"],
  home: { dir: "/home/u", keep: [{ path: "/home/u/.kimi", writable: true }] },
};

/** The mount operations in order, as [flag, path] pairs. */
function mounts(args: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--tmpfs" || a === "--dev" || a === "--proc") out.push([a, args[++i]!]);
    else if (a.includes("bind")) {
      out.push([a, args[i + 2]!]);
      i += 2;
    }
  }
  return out;
}

describe("bwrapArgs", () => {
  it("mounts the root read-only, then private /tmp and HOME, then deeper binds on top, and hides omk's dirs last", () => {
    const m = mounts(bwrapArgs(PROFILE, "/home/u/repo/.omk/worktrees/run-1"));
    expect(m[0]).toEqual(["--ro-bind", "/"]);
    const at = (op: string, p: string) => m.findIndex(([o, q]) => o === op && q === p);
    expect(at("--tmpfs", "/tmp")).toBeGreaterThan(0);
    // The repository under HOME must come after HOME's tmpfs, the worktree after the repository.
    expect(at("--tmpfs", "/home/u")).toBeLessThan(at("--ro-bind-try", "/home/u/repo"));
    expect(at("--ro-bind-try", "/home/u/repo")).toBeLessThan(at("--bind-try", "/home/u/repo/.git/objects"));
    expect(at("--ro-bind-try", "/home/u/repo")).toBeLessThan(
      at("--bind-try", "/home/u/repo/.omk/worktrees/run-1"),
    );
    expect(at("--bind-try", "/home/u/.kimi")).toBeGreaterThan(at("--tmpfs", "/home/u"));
    const hiddenAt = at("--tmpfs", "/home/u/.local/state/omk");
    const lastBind = m.reduce((last, [o], i) => (o.includes("bind") ? i : last), -1);
    expect(hiddenAt).toBeGreaterThan(lastBind);
    expect(at("--tmpfs", "/home/u/.config/omk")).toBeGreaterThan(0);
  });

  it("always unshares pid, ipc and uts, dies with its parent, starts a new session; the network only for none", () => {
    const none = bwrapArgs(PROFILE, "/w");
    for (const f of ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session"])
      expect(none).toContain(f);
    expect(none).toContain("--unshare-net");
    expect(bwrapArgs({ ...PROFILE, network: "host" }, "/w")).not.toContain("--unshare-net");
    expect(none.slice(-2)).toEqual(["--chdir", "/w"]);
  });

  it("makes no private HOME of / and hands single files in after the hidden dirs", () => {
    const args = bwrapArgs(
      { ...PROFILE, home: { dir: "/", keep: [] }, handed: ["/home/u/.local/state/omk/feedback-2.md"] },
      "/w",
    );
    const m = mounts(args);
    expect(m.filter(([o, p]) => o === "--tmpfs" && p === "/")).toEqual([]);
    const handed = m.findIndex(([, p]) => p === "/home/u/.local/state/omk/feedback-2.md");
    expect(handed).toBeGreaterThan(
      m.findIndex(([o, p]) => o === "--tmpfs" && p === "/home/u/.local/state/omk"),
    );
    expect(m[handed]![0]).toBe("--ro-bind-try");
  });
});

describe("pathExposures", () => {
  it("keeps PATH entries under private areas reachable: install prefixes of deep bin dirs, else the dir", () => {
    const path = [
      "/usr/bin",
      "/home/u/.nvm/versions/node/v22/bin",
      "/home/u/.local/bin",
      "/home/u/.npm/_npx/abc/node_modules/.bin",
      "/home/u/.pyenv/shims",
      "/tmp/x/bin",
      "relative/bin",
      "/home/u",
    ].join(":");
    expect(pathExposures(path, ["/tmp", "/home/u"]).sort()).toEqual(
      [
        "/home/u/.nvm/versions/node/v22",
        "/home/u/.local/bin",
        "/home/u/.npm/_npx/abc/node_modules",
        "/home/u/.pyenv/shims",
        "/tmp/x/bin",
      ].sort(),
    );
  });
});

describe("confinedSpawner", () => {
  const dir = mkdtempSync(join(tmpdir(), "omk-sandbox-unit-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const exe = join(dir, "agent.mjs");
  writeFileSync(exe, "");

  function recording(result: Partial<ProcResult>): { spawner: Spawner; argv: string[][] } {
    const argv: string[][] = [];
    const spawner: Spawner = {
      run: async (a, o) => {
        argv.push([...a]);
        return {
          argv: [...a],
          cwd: o.cwd,
          pid: 1,
          stdout: "",
          stderr: "",
          stdoutBytes: 0,
          stderrBytes: 0,
          stdoutSha256: "0".repeat(64),
          stderrSha256: "0".repeat(64),
          exitCode: 0,
          signal: null,
          timedOut: false,
          isCanceled: false,
          durationMs: 1,
          failedToStart: null,
          ...result,
        };
      },
      spawn: () => {
        throw new Error("unused");
      },
    };
    return { spawner, argv };
  }

  it("runs the command after `--` inside bwrap, binds an absolute executable read-only, reports the command's argv", async () => {
    const { spawner, argv } = recording({});
    const res = await confinedSpawner(spawner, "/usr/bin/bwrap", PROFILE).run([exe, "a b"], { cwd: "/w" });
    const sent = argv[0]!;
    expect(sent[0]).toBe("/usr/bin/bwrap");
    expect(sent.slice(sent.indexOf("--"))).toEqual(["--", exe, "a b"]);
    expect(mounts(sent)).toContainEqual(["--ro-bind-try", exe]);
    expect(res.argv).toEqual([exe, "a b"]);
  });

  it("turns bwrap's own one-line failure into a failure to start, and leaves the command's failures alone", async () => {
    const own = recording({ exitCode: 1, stderr: "bwrap: execvp nope: No such file or directory\n" });
    const r1 = await confinedSpawner(own.spawner, "/usr/bin/bwrap", PROFILE).run(["nope"], { cwd: "/w" });
    expect(r1.failedToStart).toBe("sandbox: bwrap: execvp nope: No such file or directory");
    const theirs = recording({ exitCode: 1, stdoutBytes: 3, stderr: "bwrap: pretend\n" });
    const r2 = await confinedSpawner(theirs.spawner, "/usr/bin/bwrap", PROFILE).run(["x"], { cwd: "/w" });
    expect(r2.failedToStart).toBeNull();
  });
});
