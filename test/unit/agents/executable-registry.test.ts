import { chmod, mkdir, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  agentDescriptors,
  agentSpecForms,
  checkAgentFlags,
  parseAgentSpec,
  preflightAgent,
} from "../../../src/agents/registry.js";
import { OmkError } from "../../../src/core/errors.js";
import { findExecutable } from "../../../src/proc/executable.js";
import { type TempDir, tempDir } from "./fake-kimi-helpers.js";

describe("findExecutable", () => {
  let tmp: TempDir;
  beforeEach(async () => {
    tmp = await tempDir();
    await mkdir(join(tmp.dir, "bin"));
    await mkdir(join(tmp.dir, "other"));
    await writeFile(join(tmp.dir, "bin", "tool"), "#!/bin/sh\n");
    await chmod(join(tmp.dir, "bin", "tool"), 0o755);
    await writeFile(join(tmp.dir, "other", "tool"), "not executable");
    await writeFile(join(tmp.dir, "other", "plain"), "not executable");
    await mkdir(join(tmp.dir, "other", "dir"));
  });
  afterEach(async () => {
    await tmp.cleanup();
  });

  it("searches absolute PATH entries in order and skips non-executables", () => {
    const path = [join(tmp.dir, "other"), "relative/bin", join(tmp.dir, "bin")].join(delimiter);
    expect(findExecutable("tool", path, "/")).toBe(join(tmp.dir, "bin", "tool"));
    expect(findExecutable("plain", path, "/")).toBeNull();
    expect(findExecutable("dir", path, "/")).toBeNull();
    expect(findExecutable("tool", undefined, "/")).toBeNull();
    expect(findExecutable("", path, "/")).toBeNull();
  });

  it("resolves a path relative to the base dir, not PATH", () => {
    expect(findExecutable("bin/tool", "", tmp.dir)).toBe(join(tmp.dir, "bin", "tool"));
    expect(findExecutable("./bin/tool", "", tmp.dir)).toBe(join(tmp.dir, "bin", "tool"));
    expect(findExecutable("other/tool", join(tmp.dir, "bin"), tmp.dir)).toBeNull();
  });
});

describe("agent registry", () => {
  const noRecordings = { runDir: "/nonexistent", recordingOfRun: () => Promise.reject(new Error("none")) };

  it("knows kimi, exec, replay and the agent CLIs, each with capabilities and an env contract", async () => {
    expect(agentDescriptors().map((d) => d.name)).toEqual([
      "kimi",
      "exec",
      "replay",
      "claude",
      "codex",
      "gemini",
      "opencode",
      "deepseek",
    ]);
    expect(agentSpecForms()).toBe(
      "kimi | exec | replay:<run-id|recording.json> | claude | codex | gemini | opencode | deepseek",
    );
    for (const name of ["kimi", "exec", "claude", "codex", "gemini", "opencode"]) {
      const { descriptor, spec } = parseAgentSpec(name, "/");
      expect(spec).toEqual({ name, arg: null, text: name });
      expect((await descriptor.create(spec, noRecordings)).name).toBe(name);
    }
    expect(parseAgentSpec("kimi", "/").descriptor.env.secrets).toEqual(["KIMI_API_KEY"]);
    expect(parseAgentSpec("replay:x.json", "/").descriptor.capabilities).toEqual(["write"]);
  });

  it("parses replay:<source>, keeping file sources absolute", () => {
    expect(parseAgentSpec("replay:rec/x.json", "/work").spec).toEqual({
      name: "replay",
      arg: "/work/rec/x.json",
      text: "replay:/work/rec/x.json",
    });
    expect(parseAgentSpec("replay:run-abc", "/work").spec.arg).toBe("run-abc");
  });

  it("rejects unknown names and malformed specs as a usage error that lists the adapters", () => {
    for (const name of ["claud", "toString", "__proto__", "replay", "replay:", "kimi:x"]) {
      let error: unknown;
      try {
        parseAgentSpec(name, "/");
      } catch (e) {
        error = e;
      }
      expect(error, name).toBeInstanceOf(OmkError);
      expect((error as OmkError).code).toBe("USAGE");
      expect((error as OmkError).hint).toMatch(/kimi \| exec \| replay/);
    }
  });

  it("checks --agent-bin where an adapter needs it", () => {
    expect(() => checkAgentFlags(parseAgentSpec("exec", "/").descriptor, {})).toThrow(/needs --agent-bin/);
    expect(() => checkAgentFlags(parseAgentSpec("kimi", "/").descriptor, {})).not.toThrow();
  });

  it("preflight goes through the adapter's own detect()", async () => {
    const { descriptor, spec } = parseAgentSpec("exec", "/");
    const adapter = await descriptor.create(spec, noRecordings);
    await expect(
      preflightAgent(descriptor, adapter, { cwd: "/", parentEnv: { PATH: "" }, agentBin: "/nonexistent/x" }),
    ).rejects.toMatchObject({ code: "AGENT_NOT_FOUND", hint: descriptor.notFoundHint });
    const health = await preflightAgent(descriptor, adapter, {
      cwd: "/",
      parentEnv: {},
      agentBin: "/bin/sh",
    });
    expect(health.installed.value).toBe(true);
  });
});
