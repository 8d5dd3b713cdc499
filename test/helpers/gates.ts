/** Test gates run the current node binary on a script inside the worktree. */
export const NODE = process.execPath;

export interface GateDef {
  name: string;
  /** Arguments to node, e.g. ["gate.mjs"] (relative to the worktree). */
  args: string[];
  /** Extra TOML lines for this gate (e.g. `timeout_secs = 1\n`). */
  extra?: string;
}

export function gatesToml(gates: readonly GateDef[]): string {
  return gates
    .map(
      (g) =>
        `[[gates]]\nname = "${g.name}"\ncommand = ${JSON.stringify(NODE)}\nargs = ${JSON.stringify(g.args)}\n${g.extra ?? ""}`,
    )
    .join("\n");
}
