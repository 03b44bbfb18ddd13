/**
 * @module runtime/jit-policy
 * The binary starts with JavaScriptCore's tier-up thresholds 1,000× the default (build.ts,
 * `compile.jitPolicy`): start-up code runs once, and compiling it only cost memory (idle RSS ~0.8 MB
 * more at 100×, ~4.5 MB at 1×). Once started, the appliance settles at 100× for good: code hot
 * enough (a resync, a wake-up storm's media) still compiles, and what a 2,000-room resync leaves
 * behind stays ≤ 30 MB anonymous (issue 16 §6; at 1× ~38 MB). A no-op outside Bun.
 */
const STEADY = 100;

export function settleJitPolicy(): void {
  const unsafe = (globalThis as { Bun?: { unsafe?: { setJITPolicy?(scale: number): void } } }).Bun?.unsafe;
  unsafe?.setJITPolicy?.(STEADY);
}
