import { z } from "zod";
import { RunStatusSchema } from "../journal/events.js";
import { ExecutionModeSchema } from "../policy/execution-mode.js";

const Sha = z.string().regex(/^[0-9a-f]{64}$/);

const GateProofSchema = z.object({
  name: z.string(),
  argv: z.array(z.string()),
  /** Relative to the tree's root, as configured. */
  cwd: z.string(),
  status: z.string(),
  exitCode: z.number().nullable(),
  durationMs: z.number(),
  required: z.boolean(),
  allowFail: z.boolean(),
  stdout: z.object({ sha256: Sha, bytes: z.number() }),
  stderr: z.object({ sha256: Sha, bytes: z.number() }),
});

export const ProofSchema = z.object({
  schema: z.literal("omk.proof/v1"),
  runId: z.string(),
  goalId: z.string().nullable(),
  task: z.string(),
  repo: z.object({ root: z.string(), baseCommit: z.string(), baseBranch: z.string().nullable() }),
  branch: z.string(),
  headCommit: z.string().nullable(),
  /** The tree that was judged and committed (null when the run made no commit). */
  tree: z.string().nullable(),
  status: RunStatusSchema,
  reasons: z.array(z.string()),
  agent: z.object({
    adapter: z.string(),
    version: z.string().nullable(),
    model: z.string().nullable(),
    execution: ExecutionModeSchema,
  }),
  attempts: z.array(
    z.object({
      n: z.number(),
      agentStatus: z.string().nullable(),
      outcome: z.string().nullable(),
      gates: z.array(z.object({ name: z.string(), status: z.string() })),
      /** Changes outside the worktree that blocked the attempt until the person said they made them. */
      acceptedOutsideChanges: z.array(z.string()).optional(),
      /** Changes outside the worktree while the attempt was confined, where its sandbox could not write. */
      outsideChangesWhileConfined: z.array(z.string()).optional(),
    }),
  ),
  gates: z.array(GateProofSchema),
  diff: z.object({
    files: z.array(
      z.object({
        path: z.string(),
        status: z.string(),
        added: z.number().nullable(),
        deleted: z.number().nullable(),
      }),
    ),
    added: z.number(),
    deleted: z.number(),
    sha256: Sha.nullable(),
    artifact: z.string().nullable(),
    /** Changed files that look like tests: a reviewer checks these were not weakened. */
    tests: z.array(z.string()),
  }),
  writeSet: z.object({
    ok: z.boolean(),
    violations: z.array(z.object({ path: z.string(), reason: z.string() })),
    /** Protected paths changed with the person's permission (`--allow-path`). */
    allowed: z.array(z.object({ path: z.string(), glob: z.string() })),
  }),
  security: z.object({
    findings: z.array(z.object({ path: z.string(), line: z.number(), rule: z.string() })),
  }),
  approvals: z.object({ approved: z.number(), rejected: z.number() }),
  artifacts: z.array(z.object({ path: z.string(), sha256: Sha, bytes: z.number() })),
  ledger: z.object({ headHash: Sha, events: z.number(), headSeq: z.number() }),
  timings: z.object({ startedAt: z.string(), finishedAt: z.string(), durationMs: z.number() }),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number() }).nullable(),
  omk: z.object({ version: z.string() }),
  /** How the last agent turn was confined (absent in proofs of runs from before confinement existed). */
  confinement: z
    .object({
      attempt: z.number(),
      mode: z.enum(["bwrap", "none"]),
      requested: z.enum(["auto", "required", "off"]),
      network: z.enum(["none", "host"]),
      reason: z.string().optional(),
    })
    .optional(),
});

export type Proof = z.infer<typeof ProofSchema>;
