export {
  type ChainTip,
  canonicalJson,
  chainEvents,
  EVENTS_FILE,
  type EventFields,
  encodeEvents,
  GENESIS_HASH,
  HEAD_FILE,
  hashEvent,
  LEDGER_VERSION,
  type LedgerEvent,
  LedgerEventSchema,
  type LedgerHead,
  LedgerHeadSchema,
  serializeEvent,
  serializeHead,
  toPlainData,
} from "./format.js";
export { LOCK_DIR, OWNER_FILE } from "./lock.js";
export { readLedger, verifyLedger } from "./read.js";
export { type LedgerProblem, type LedgerScan, type VerifyResult, verifyLines } from "./verify.js";
export {
  type AppendInput,
  Ledger,
  type LedgerOpenOptions,
  type LedgerRecovery,
  type LedgerStats,
  type Redactor,
} from "./writer.js";
