import type { AgentEvent, AgentStartContext, ApprovalDecision, ApprovalRequest } from "../types.js";
import { approvalPaths, type NormalizerState, truncate } from "./normalize.js";
import type {
  WireApprovalRequest,
  WireHookRequest,
  WireQuestionRequest,
  WireToolCallRequest,
} from "./wire-types.js";

/**
 * Answers kimi's agent→client requests. omk is headless: approvals go to the policy callback, and
 * everything that would need a person (questions) or a client-side tool gets a "no" the agent can
 * work with, rather than a reply that never comes.
 */

type Emit = (event: AgentEvent) => void;

async function decide(
  approve: AgentStartContext["approve"],
  req: ApprovalRequest,
): Promise<ApprovalDecision> {
  try {
    const answer = await approve(req);
    // Fail closed: anything but an explicit "approve" is a rejection.
    if (answer.decision === "approve") return { decision: "approve", reason: String(answer.reason ?? "") };
    return { decision: "reject", reason: String(answer.reason ?? "") };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { decision: "reject", reason: truncate(`approval callback failed: ${message}`) };
  }
}

export async function answerApproval(
  payload: WireApprovalRequest,
  state: NormalizerState,
  approve: AgentStartContext["approve"],
  emit: Emit,
): Promise<{ request_id: string; response: "approve" | "reject" }> {
  const req: ApprovalRequest = {
    requestId: payload.id,
    tool: payload.sender,
    action: payload.action,
    description: payload.description,
    paths: approvalPaths(payload, state),
  };
  const { decision, reason } = await decide(approve, req);
  emit({
    type: "approval",
    requestId: req.requestId,
    tool: req.tool,
    action: req.action,
    paths: req.paths,
    decision,
    reason,
  });
  // Never "approve_for_session": every call goes through the policy, so each one is recorded.
  return { request_id: payload.id, response: decision };
}

export function answerQuestion(payload: WireQuestionRequest, emit: Emit) {
  const asked = payload.questions.map((q) => q.question).join(" / ");
  emit({
    type: "status",
    message: truncate(`agent asked a question; omk runs headless and answers none: ${asked}`),
  });
  return { request_id: payload.id, answers: {} };
}

export function answerToolCall(payload: WireToolCallRequest, emit: Emit) {
  emit({
    type: "status",
    message: truncate(`agent called external tool ${payload.name}; omk provides none`),
  });
  return {
    tool_call_id: payload.id,
    return_value: {
      is_error: true,
      output: "",
      message: `External tool "${payload.name}" is not provided by this client (omk).`,
      display: [],
    },
  };
}

/** omk subscribes to no wire hooks, so one arriving is unexpected; allowing it changes nothing. */
export function answerHook(payload: WireHookRequest, emit: Emit) {
  emit({
    type: "status",
    message: truncate(`unexpected hook request ${payload.event} for ${payload.target}`),
  });
  return { request_id: payload.id, action: "allow", reason: "" };
}
