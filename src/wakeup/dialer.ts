/**
 * @module wakeup/dialer
 * What the wake-up scheduler needs from whatever places the calls (the SIP ports). The scheduler is
 * written against this interface only; tests drive it with a scripted fake.
 */
import type { WakeupCallFlowOutcome } from "../ivr/wakeup-call.ts";

/**
 * How one call attempt ended.
 * - `confirmed`: the guest pressed 1 (or 2 when no snooze was allowed).
 * - `snoozed`: the guest pressed 2: call again after the snooze interval.
 * - `answered`: answered, but no key was pressed before the menu ran out or the guest hung up.
 * - `no-answer`: rang out (CANCEL after the ring time), declined, or the phone is unreachable (480/408/487/603).
 * - `busy`: 486 / 600.
 * - `failed`: anything else (no free port after all, 404, 5xx, no registration, media failure).
 */
export type WakeupCallOutcome = WakeupCallFlowOutcome | "no-answer" | "busy" | "failed";

/** What happened during one attempt, for the wake-up's history (in order). */
export type WakeupCallEvent =
  | { type: "placed"; port: string }
  | { type: "ringing" }
  /** `media`: what the answer settled, `srtp <suite>` or `rtp` (absent when it was unusable). */
  | { type: "answered"; media?: string }
  | { type: "key"; digit: string };

export interface WakeupCall {
  /** Wake-up id (wakeups.id). */
  id: number;
  /** The room the wake-up is for (for `escalation`: the room the front desk is told about). */
  room: string;
  /** Whom to call: the room's extension, or the front-desk extension for `escalation`. */
  extension?: string;
  /** The first in-house guest's language (FIAS GL), or for `escalation` the configured desk language; absent when unknown. */
  language?: string;
  /**
   * `wakeup`: the guest's call with the confirm/snooze menu. `escalation`: the front desk hears that
   * the wake-up of `room` was not answered (answered = told).
   */
  kind: "wakeup" | "escalation";
  /** `wakeup` only: key 2 snoozes. False once the snooze limit is used: the menu then offers 1 only. */
  snoozeAllowed: boolean;
  /** Progress of the attempt, for the history. Must not throw. */
  onEvent?: (e: WakeupCallEvent) => void;
}

export interface WakeupDialer {
  /**
   * Ports free to place a call right now. A port must count as busy from the moment `call` is
   * invoked for it (synchronously), so the scheduler can check this before each call it places.
   */
  freePorts(): number;
  /** Places one call attempt and resolves when it has ended. Should not reject; a rejection counts as "failed". */
  call(w: WakeupCall): Promise<{ outcome: WakeupCallOutcome; detail?: string }>;
}
