export * from "./ledger/index.js";
export * from "./paths.js";
export * from "./private-fs.js";
