import { z } from "zod";

/**
 * What the agent may do without asking: `auto` approves tool calls that stay inside the worktree,
 * `ask` asks a person (and fails closed without one), `never` rejects every write and shell call.
 */
export const EXECUTION_MODES = ["ask", "auto", "never"] as const;

export const ExecutionModeSchema = z.enum(EXECUTION_MODES);

export type ExecutionMode = z.infer<typeof ExecutionModeSchema>;
