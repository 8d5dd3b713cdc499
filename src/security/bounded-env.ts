/**
 * Numeric env knobs are bounded integers: a typo or a hostile value falls back to the default with
 * one warning instead of turning a timeout into 0 or Infinity.
 */

export interface IntKnob {
  name: string;
  min: number;
  max: number;
  default: number;
}

export interface Knobs {
  goalInterruptPollMs: IntKnob;
  goalAgentLeaseSecs: IntKnob;
  gateTimeoutSecs: IntKnob;
  killGraceMs: IntKnob;
  outputCapBytes: IntKnob;
  agentOutputCapBytes: IntKnob;
}

const knob = (name: string, min: number, max: number, def: number): IntKnob =>
  Object.freeze({ name, min, max, default: def });

export const KNOBS: Readonly<Knobs> = Object.freeze({
  goalInterruptPollMs: knob("OMK_GOAL_INTERRUPT_POLL_MS", 10, 60_000, 500),
  goalAgentLeaseSecs: knob("OMK_GOAL_AGENT_LEASE_SECS", 5, 86_400, 120),
  gateTimeoutSecs: knob("OMK_GATE_TIMEOUT_SECS", 1, 86_400, 1800),
  killGraceMs: knob("OMK_KILL_GRACE_MS", 0, 60_000, 2000),
  outputCapBytes: knob("OMK_OUTPUT_CAP_BYTES", 1024, 1_073_741_824, 8_388_608),
  /** What an attempt's output artifact keeps (head + tail) of everything the agent printed. */
  agentOutputCapBytes: knob("OMK_AGENT_OUTPUT_CAP_BYTES", 4096, 1_073_741_824, 8_388_608),
});

/** Variables already warned about in this process. */
const warned = new Set<string>();

/** Forget which variables were warned about (tests only). */
export function resetKnobWarnings(): void {
  warned.clear();
}

const STRICT_INTEGER = /^-?[0-9]{1,15}$/;

/**
 * Strict decimal integer only ("12", not "12abc", "1e3", " 12", "0x10", "+12"). Unset or empty →
 * default silently; invalid or out of range → default and one warning naming the variable and the
 * allowed range (at most once per variable per process; the value itself is not repeated).
 */
export function readIntKnob(
  env: Readonly<Record<string, string | undefined>>,
  knob: IntKnob,
  warn?: (message: string) => void,
): number {
  const raw = env[knob.name];
  if (raw === undefined || raw === "") return knob.default;
  if (STRICT_INTEGER.test(raw)) {
    const value = Number(raw);
    if (value >= knob.min && value <= knob.max) return value || 0; // "-0" → 0
  }
  if (warn !== undefined && !warned.has(knob.name)) {
    warned.add(knob.name);
    warn(
      `${knob.name} must be a whole number from ${knob.min} to ${knob.max}; ignoring it and using the default ${knob.default}`,
    );
  }
  return knob.default;
}

/** Every knob read from `env` at once. */
export function readKnobs(
  env: Readonly<Record<string, string | undefined>>,
  warn?: (message: string) => void,
): Record<keyof Knobs, number> {
  return {
    goalInterruptPollMs: readIntKnob(env, KNOBS.goalInterruptPollMs, warn),
    goalAgentLeaseSecs: readIntKnob(env, KNOBS.goalAgentLeaseSecs, warn),
    gateTimeoutSecs: readIntKnob(env, KNOBS.gateTimeoutSecs, warn),
    killGraceMs: readIntKnob(env, KNOBS.killGraceMs, warn),
    outputCapBytes: readIntKnob(env, KNOBS.outputCapBytes, warn),
    agentOutputCapBytes: readIntKnob(env, KNOBS.agentOutputCapBytes, warn),
  };
}
