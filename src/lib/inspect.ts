/**
 * @module inspect
 * The symbols Node/Bun and Deno look up to print an object (console.log, util.inspect). Objects that
 * hold secrets (SRTP keys) define both so no runtime prints the secret. They are registered symbol
 * names, not runtime APIs: the core stays runtime-neutral.
 */
export const nodeInspect = Symbol.for("nodejs.util.inspect.custom");
export const denoInspect = Symbol.for(["Deno", "customInspect"].join("."));
