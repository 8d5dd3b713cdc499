import type { GateSpec } from "./schema.js";

/**
 * Writes gates as a commented `.omk/gates.toml` that `loadGatesFile` reads back to the same
 * specs. Every key is written, defaults included, so the file documents itself.
 */
export function renderGatesToml(specs: readonly GateSpec[], protect: readonly string[] = []): string {
  const out = [
    "# omk gates: commands that judge a run. They run in this order, in the run's worktree.",
    "# command is the executable and args its arguments; nothing goes through a shell.",
    "# required = false: the gate is reported but never blocks the run.",
    "# allow_fail = true: a failure is recorded but tolerated.",
    "# skip = true: keep the gate here without running it.",
    "# timeout_secs: the whole process group is stopped (SIGTERM, then SIGKILL) after this long.",
    "",
    "# Files that define the gates (globs, or file#key for one JSON value). A run whose change touches",
    "# one is blocked unless the person allows it (omk run --allow-path GLOB). .omk/ is always protected.",
    `protect = [${protect.map(tomlString).join(", ")}]`,
  ];
  if (specs.length === 0) {
    out.push(
      "#",
      "# No gates were detected. Example:",
      "# [[gates]]",
      '# name = "test"',
      '# command = "npm"',
      '# args = ["run", "test"]',
    );
  }
  for (const spec of specs) {
    out.push(
      "",
      "[[gates]]",
      `name = ${tomlString(spec.name)}`,
      `command = ${tomlString(spec.command)}`,
      `args = [${spec.args.map(tomlString).join(", ")}]`,
      `cwd = ${tomlString(spec.cwd)}`,
      `env = {${Object.entries(spec.env)
        .map(([k, v]) => ` ${k} = ${tomlString(v)}`)
        .join(",")}${Object.keys(spec.env).length > 0 ? " " : ""}}`,
      `required = ${spec.required}`,
      `allow_fail = ${spec.allowFail}`,
      `skip = ${spec.skip}`,
      `timeout_secs = ${spec.timeoutSecs}`,
    );
  }
  return `${out.join("\n")}\n`;
}

/** A TOML basic string. JSON's escapes are a subset of TOML's, except that TOML wants DEL escaped too. */
function tomlString(value: string): string {
  return JSON.stringify(value).replaceAll("\u007f", "\\u007f");
}
