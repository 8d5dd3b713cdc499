import { afterEach, describe, expect, it } from "vitest";
import { ofKind, type Project, project } from "../helpers/project.js";

/**
 * A run compares the agent's first turn with the fingerprint its preflight took, unless `[workspace]
 * setup` ran in between: setup commands are the user's, and some write the repository's config
 * (husky's install sets core.hooksPath). Their change must not be blamed on the agent.
 */
describe("omk run: [workspace] setup that writes the repository config", () => {
  let h: Project | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  it("is not tampering by the agent: the run is ready", async () => {
    h = await project({
      ".omk/config.toml": '[workspace]\nsetup = [["git", "config", "core.hooksPath", ".husky"]]\n',
    });
    const agent = h.writerAgent("agent", { "b.txt": "ok\n" });
    const { r, doc } = await h.execRun(agent);
    expect(r.code, r.stderr).toBe(0);
    expect(doc.status).toBe("ready");
    const events = h.ledger(doc.runId);
    expect(ofKind(events, "RepoTampered")).toEqual([]);
    expect(ofKind(events, "WorkspaceSetup").map((e) => e.data["ok"])).toEqual([true]);
    expect(h.repo.git(["config", "core.hooksPath"])).toBe(".husky");
  });

  it("while the same config change made by the agent blocks the run", async () => {
    h = await project({});
    const agent = h.script(
      "agent",
      `import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
writeFileSync("b.txt", "ok\\n");
execFileSync("git", ["config", "core.hooksPath", ".husky"]);
`,
    );
    const { doc } = await h.execRun(agent, { args: ["--max-attempts", "1", "--sandbox", "off"] });
    expect(doc.status).toBe("blocked");
    const tampered = ofKind(h.ledger(doc.runId), "RepoTampered");
    expect(JSON.stringify(tampered.map((e) => e.data["changes"]))).toContain(".git/config changed");
  });
});
