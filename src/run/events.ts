/**
 * Ledger event kinds a run writes. The ledger is the source of truth: `run show`, progress, resume
 * and proof are all projections of these events (see state.ts).
 */
export const RunEvent = {
  RunStarted: "RunStarted",
  WorkspaceReady: "WorkspaceReady",
  WorkspaceSetup: "WorkspaceSetup",
  AttemptStarted: "AttemptStarted",
  AgentStarted: "AgentStarted",
  AgentEvent: "AgentEvent",
  ApprovalAsked: "ApprovalAsked",
  ApprovalDecided: "ApprovalDecided",
  AgentFinished: "AgentFinished",
  DiffCaptured: "DiffCaptured",
  WriteSetViolation: "WriteSetViolation",
  SecurityFinding: "SecurityFinding",
  GateStarted: "GateStarted",
  GateResult: "GateResult",
  AttemptFinished: "AttemptFinished",
  Committed: "Committed",
  RunFinished: "RunFinished",
  RunInterrupted: "RunInterrupted",
  RunResumed: "RunResumed",
  ProofWritten: "ProofWritten",
  Landed: "Landed",
  LandRefused: "LandRefused",
} as const;

export type RunEventKind = (typeof RunEvent)[keyof typeof RunEvent];

export type RunStatus = "ready" | "not_ready" | "blocked" | "cancelled" | "failed_infra";

export type RunPhase = "workspace" | "agent" | "evaluate" | "gates" | "finalize" | "done";
