import { ExitCode } from "../core/exit-codes.js";
import type { Output } from "./output.js";

/**
 * First Ctrl-C: abort cleanly (the agent is cancelled, the ledger records RunInterrupted).
 * Second Ctrl-C: give up waiting and exit 130 at once.
 */
export function interruptController(out: Output): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  let count = 0;
  const onSignal = () => {
    count++;
    if (count === 1) {
      out.warn(
        "interrupt received: stopping the agent and recording where the run stopped (Ctrl-C again to force)",
      );
      ac.abort();
    } else {
      process.exit(ExitCode.interrupted);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
