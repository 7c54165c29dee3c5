export * from "./limits.js";
export * from "./errors.js";
export * from "./model.js";
export * from "./ops.js";
export * from "./events.js";
export * from "./frames.js";
export * from "./text.js";
export * from "./passwords.js";
