import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Project, project } from "../helpers/project.js";

/**
 * `land` re-runs the gates on the run's commit: that is the run's code (its tests too) running once
 * more, so it is confined like the run's own gates whenever bwrap works.
 */
describe("land's re-run gates", () => {
  let p: Project;
  afterEach(async () => {
    await p.cleanup();
  });

  it("run confined: a gate cannot write to the main checkout during land (and can with --sandbox off)", async () => {
    p = await project({ "a.txt": "a\n" }, { gates: [{ name: "check", args: ["gate.mjs"] }] });
    const marker = join(p.repo.root, "written-by-gate.txt");
    p.repo.write({
      "gate.mjs": `import { appendFileSync } from "node:fs";
try { appendFileSync(${JSON.stringify(marker)}, "x\\n"); } catch {}
`,
    });
    p.repo.write({ ".gitignore": "written-by-gate.txt\n" });
    p.repo.commitAll("a gate that reaches out");
    const run = async (file: string) => {
      const { doc } = await p.execRun(p.writerAgent(`agent-${file}`, { [file]: "ok\n" }), {
        task: `add ${file}`,
      });
      expect(doc.status, doc.reasons.join("; ")).toBe("ready");
      // The run's own gates ran unconfined (the tests' default): the marker is from them.
      rmSync(marker, { force: true });
      return doc;
    };
    const first = await run("b.txt");
    const confined = await p.omk(["land", first.runId, "--sandbox", "required", "--no-receipt", "--json"]);
    expect(confined.code, confined.stderr).toBe(0);
    expect(confined.json()).toMatchObject({ ok: true, regated: true });
    expect(existsSync(marker)).toBe(false);

    const second = await run("c.txt");
    const open = await p.omk(["land", second.runId, "--sandbox", "off", "--json"]);
    expect(open.code, open.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });
});
