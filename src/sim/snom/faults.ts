/**
 * @module sim/snom/faults
 * Injected misbehaviour, per request (§2.9: time-out, 401, 500, a slow reply; plus a dropped
 * connection). Each fault applies to the next `count` matching requests (Infinity: until cleared), in
 * the order they were added. `/sim/…` control requests are never faulted, so a test or an installer
 * can always script the phone. Down/up (the listener closed and reopened) is on the phone itself.
 */
import type { Fault, FaultKind } from "./model.ts";

interface Armed {
  fault: Fault;
  remaining: number;
}

export function faultKind(v: string): FaultKind | null {
  if (v === "timeout") return "hang";
  return v === "hang" || v === "slow" || v === "401" || v === "500" || v === "drop" ? v : null;
}

export class Faults {
  private armed: Armed[] = [];

  add(fault: Fault, count = 1): void {
    if (count > 0) this.armed.push({ fault, remaining: count });
  }

  clear(): void {
    this.armed = [];
  }

  get pending(): { fault: Fault; remaining: number }[] {
    return this.armed.map((a) => ({ fault: { ...a.fault }, remaining: a.remaining }));
  }

  /** The fault for a request to `path`, used up by one; null when none applies. */
  take(path: string): Fault | null {
    const a = this.armed.find((x) => x.fault.path === undefined || x.fault.path === path);
    if (!a) return null;
    a.remaining--;
    if (a.remaining <= 0) this.armed = this.armed.filter((x) => x !== a);
    return a.fault;
  }
}
