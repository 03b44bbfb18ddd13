/**
 * @module wakeup/dialer
 * What the wake-up scheduler needs from whatever places the calls (the SIP ports, later). The
 * scheduler is written against this interface only; tests drive it with a scripted fake.
 */

/** How one call attempt ended. */
export type WakeupCallOutcome = "answered" | "confirmed" | "no-answer" | "busy" | "failed";

export interface WakeupCall {
  /** Wake-up id (wakeups.id). */
  id: number;
  room: string;
  /** The room's extension, when the room is known. */
  extension?: string;
  /** The first in-house guest's language (FIAS GL), for the announcement; absent when unknown. */
  language?: string;
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
