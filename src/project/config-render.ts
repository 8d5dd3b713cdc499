import { stringify } from "smol-toml";
import { agentSpecForms } from "../agents/registry.js";

/** The commented `.omk/config.toml` that `omk init` writes. Values mirror the schema defaults. */
export function renderProjectConfig(opts: { setup: string[][] }): string {
  const setupToml = opts.setup.length === 0 ? "setup = []" : stringify({ setup: opts.setup }).trim();
  return `# omk project configuration (trusted: lives in your repo, reviewed like code).
version = 1

[run]
# Agent adapter: ${agentSpecForms()}
agent = "kimi"
# What the agent may do without asking: auto (inside the worktree) | ask (TTY prompt) | never (read-only)
execution = "auto"
# Attempts per run: failed gates are fed back to the agent until this budget is spent.
max_attempts = 3
agent_timeout_secs = 3600

[workspace]
# argv commands run in each fresh worktree before the agent starts (dependencies, codegen, ...).
# A failing setup ends the run as failed_infra: not the agent's fault.
${setupToml}
# git-ignored files copied into each worktree (opt-in; refused if the secret scan flags them
# unless allow_secrets = true).
copy = []
# paths symlinked into each worktree instead of copied (e.g. a shared dependency cache).
link = []
allow_secrets = false

[land]
# ff-only: refuse unless the run branch fast-forwards; merge: create a merge commit.
mode = "ff-only"

[sandbox]
# auto: confine the agent and the gates with bubblewrap when it works here, else run unconfined
# and say so; required: refuse to run unconfined; off: never confine.
mode = "auto"
# The agent's network: none | host. Unset: its adapter's (host for kimi, none for exec and replay).
# network = "host"

[gates]
# The gates' network inside the sandbox: none | host.
network = "none"

[providers]
# --agent authority | primary (omk run, omk ask): the first listed provider that can do the work
# (a run: write and shell; an ask: read) and is installed and not logged out. --agent omk tries
# [run] agent, these lists, then every other provider. Names: kimi, claude, codex, gemini, opencode,
# deepseek (ask only).
authority = []
primary = []

[providers.deepseek]
# omk ask deepseek: the key comes from DEEPSEEK_API_KEY when the command runs, never from this file.
model = "deepseek-chat"
# base_url = "https://api.deepseek.com"   # DEEPSEEK_BASE_URL overrides it
`;
}
