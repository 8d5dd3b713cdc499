import { describe, expect, it } from "vitest";
import { ProjectConfigSchema } from "../../../src/project/config-schema.js";
import { confinementEvent, planSandbox } from "../../../src/run/confinement.js";

const dirs = { state: "/nonexistent/state", config: "/nonexistent/config", cache: "/nonexistent/cache" };
const kimiNeeds = { network: "host" as const, home: [{ path: ".kimi", writable: true }] };
const execNeeds = { network: "none" as const, home: [] };
const config = (toml: object = {}) => ProjectConfigSchema.parse(toml);

describe("planSandbox", () => {
  it("takes the flag, else the run's recorded choice, else the config, else the adapter's network", async () => {
    const env = { PATH: "/usr/bin", HOME: "/" };
    const base = { config: config(), env, dirs, mode: "off" as const };
    expect((await planSandbox({ ...base, needs: kimiNeeds })).agentNetwork).toBe("host");
    expect((await planSandbox({ ...base, needs: execNeeds })).agentNetwork).toBe("none");
    const configured = config({ sandbox: { network: "host" }, gates: { network: "host" } });
    const c = await planSandbox({ ...base, config: configured, needs: execNeeds });
    expect([c.agentNetwork, c.gatesNetwork]).toEqual(["host", "host"]);
    const prior = { attempt: 1, mode: "bwrap" as const, requested: "off" as const, network: "none" as const };
    expect((await planSandbox({ ...base, config: configured, prior, needs: kimiNeeds })).agentNetwork).toBe(
      "none",
    );
    expect((await planSandbox({ ...base, prior, network: "host", needs: execNeeds })).agentNetwork).toBe(
      "host",
    );
  });

  it("off is unconfined with its reason; a resumed run keeps what it requested unless told otherwise", async () => {
    const env = { PATH: "" };
    const off = await planSandbox({ mode: "off", config: config(), env, dirs, needs: execNeeds });
    expect(off).toMatchObject({ requested: "off", bwrap: null, reason: "--sandbox off" });
    expect(confinementEvent(off, 3)).toEqual({
      attempt: 3,
      mode: "none",
      requested: "off",
      network: "none",
      reason: "--sandbox off",
    });
    const prior = {
      attempt: 2,
      mode: "bwrap" as const,
      requested: "required" as const,
      network: "none" as const,
    };
    // PATH without bwrap: the recorded `required` refuses, as on the first start.
    await expect(planSandbox({ prior, config: config(), env, dirs, needs: execNeeds })).rejects.toMatchObject(
      {
        code: "SANDBOX_UNAVAILABLE",
        exitCode: 2,
      },
    );
    const auto = await planSandbox({ config: config(), env, dirs, needs: execNeeds });
    expect(auto).toMatchObject({
      requested: "auto",
      bwrap: null,
      reason: "bwrap (bubblewrap) is not on PATH",
    });
  });
});
