export * from "./bounded-env.js";
export * from "./env.js";
export * from "./paths.js";
export * from "./redact.js";
export * from "./secret-scan.js";
export * from "./symlinks.js";
