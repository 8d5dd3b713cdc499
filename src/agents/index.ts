export { createExecAdapter } from "./exec/adapter.js";
export { createKimiAdapter, KIMI_PROTOCOL_VERSION, type KimiAdapterOptions } from "./kimi/adapter.js";
export { adapterNames, getAdapter } from "./registry.js";
export type * from "./types.js";
