/**
 * The built-in planner prompt. A project overrides it with `.omk/prompts/plan.md` (trusted: it is the
 * repository's own config). `{{goal}}` is replaced by the goal, `{{limits}}` by the validation limits.
 */
export const BUILTIN_PLAN_PROMPT = `You are planning work for several coding agents that will run in parallel, each in its own
git worktree of this repository. Read the repository as much as you need; do not change any file.

The goal:

{{goal}}

Split the goal into tasks. Answer with exactly one JSON document and nothing else:

{"tasks": [{"id": "short-id", "title": "one line", "prompt": "what the agent must do, self-contained",
  "deps": ["ids of tasks that must be finished first"],
  "read_set": ["files or globs the task needs to read"],
  "write_set": ["files or globs the task may change"]}]}

Rules (a task that breaks one is rejected):
- ids: letters, digits, ".", "_" and "-" only, unique; deps name other tasks' ids; no cycles.
- Paths are relative to the repository root, use "/" and the globs *, ** and ? only. Never .git*,
  never omk's or an agent's config (.omk/, .kimi/, .claude/, …).
- write_set must list every file the task will change: a change outside it is rejected.
  Tasks whose write sets overlap run one after the other, so keep them disjoint where you can.
- Tasks change files only. Do not ask for publishing anything, pushing, releasing, deploying, tagging
  or uploading: omk lands the verified result itself.
- {{limits}}
`;

export function renderPlanPrompt(template: string, goal: string, limits: string): string {
  return template.replaceAll("{{goal}}", goal).replaceAll("{{limits}}", limits);
}
