import type { Proof } from "./schema.js";

const ICON: Record<string, string> = { pass: "✅", fail: "❌", timeout: "⏱️", error: "⚠️", skip: "⏭️" };

/** A human summary of proof.json, for PR descriptions and `omk proof show --format md`. */
export function proofMarkdown(p: Proof): string {
  const lines = [
    `# omk proof — ${p.status.replace("_", " ")}`,
    "",
    `**Task:** ${p.task.split("\n")[0]}`,
    "",
    "| | |",
    "| --- | --- |",
    `| run | \`${p.runId}\` |`,
    `| base | \`${p.repo.baseCommit.slice(0, 12)}\`${p.repo.baseBranch ? ` (${p.repo.baseBranch})` : ""} |`,
    `| branch | \`${p.branch}\` at \`${p.headCommit?.slice(0, 12) ?? "—"}\` |`,
    `| agent | ${p.agent.adapter}${p.agent.model ? ` (${p.agent.model})` : ""}, execution \`${p.agent.execution}\` |`,
    `| attempts | ${p.attempts.length} |`,
    `| change | ${p.diff.files.length} file(s), +${p.diff.added} −${p.diff.deleted} |`,
    `| ledger | ${p.ledger.events} events up to the proof (seq 1–${p.ledger.headSeq}), head \`${p.ledger.headHash.slice(0, 16)}…\` |`,
    `| confinement | ${confinementText(p.confinement)} |`,
    ...(p.usage ? [`| tokens | ${p.usage.inputTokens} in / ${p.usage.outputTokens} out |`] : []),
    "",
    "## Why",
    ...p.reasons.map((r) => `- ${r}`),
    "",
    "## Gates",
    ...(p.gates.length === 0
      ? ["_none ran_"]
      : p.gates.map(
          (g) =>
            `- ${ICON[g.status] ?? "•"} \`${g.name}\` ${g.status} (exit ${g.exitCode ?? "—"}, ${(g.durationMs / 1000).toFixed(1)}s)${g.required ? "" : " _optional_"}`,
        )),
    "",
    "## Attempts",
    ...p.attempts.map(
      (a) =>
        `- ${a.n}: agent ${a.agentStatus ?? "—"}, ${a.outcome ?? "unfinished"}${a.gates.length ? ` — ${a.gates.map((g) => `${g.name} ${g.status}`).join(", ")}` : ""}`,
    ),
  ];
  if (p.diff.files.length > 0) {
    lines.push(
      "",
      "## Files",
      ...p.diff.files.map((f) => `- \`${f.status}\` ${f.path} (+${f.added ?? "bin"} −${f.deleted ?? "bin"})`),
    );
  }
  if (p.diff.tests.length > 0)
    lines.push(
      "",
      "## Test files changed",
      "",
      "Check that these were not weakened:",
      ...p.diff.tests.map((t) => `- ${t}`),
    );
  if (p.writeSet.allowed.length > 0)
    lines.push(
      "",
      "## Protected paths changed with permission",
      ...p.writeSet.allowed.map((a) => `- ${a.path} (allowed by \`--allow-path ${a.glob}\`)`),
    );
  if (!p.writeSet.ok)
    lines.push(
      "",
      "## Write-set violations",
      ...p.writeSet.violations.map((v) => `- ${v.path}: ${v.reason}`),
    );
  if (p.security.findings.length > 0)
    lines.push(
      "",
      "## Security findings",
      ...p.security.findings.map((f) => `- ${f.path}:${f.line} ${f.rule}`),
    );
  lines.push("", `Verify independently: \`omk proof verify ${p.runId}\``, "");
  return lines.join("\n");
}

function confinementText(c: Proof["confinement"]): string {
  if (c === undefined) return "not recorded (a run from before confinement)";
  const asked = `\`--sandbox ${c.requested}\``;
  if (c.mode === "bwrap") return `bubblewrap sandbox, network \`${c.network}\` (${asked})`;
  return `**none**: the agent ran unconfined${c.reason ? ` (${c.reason})` : ""} (${asked})`;
}
