export * from "./clock.js";
export * from "./errors.js";
export * from "./exit-codes.js";
export * from "./ids.js";
