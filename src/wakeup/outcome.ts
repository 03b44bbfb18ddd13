/**
 * @module wakeup/outcome
 * What an ended call means for its wake-up: end it (with which FIAS result), call again (when, as
 * what), or — the guest's tries used up without an answer — hand it to the escalation. Pure: the
 * scheduler applies the decision to the store and its queue.
 *
 * - Outcomes of a guest call:
 *   - confirmed: ends OK.
 *   - snoozed: called again `snoozeMinutes` later; not a retry (the retries start afresh). The
 *     menu offers snooze only while fewer than `snoozeLimit` snoozes were used.
 *   - answered without a key: `answeredWithoutKey: "answered"` ends OK; `"retry"` counts like a
 *     no-answer for the retries, but when the retries run out and the last call was answered the
 *     wake-up ends OK without escalation: the guest did pick up, so the desk is not alarmed.
 *   - no-answer / busy / failed: retried `retryIntervalMinutes` later, `retries` times; then the
 *     result is NR / BY / UR (from the last call).
 * - Escalation: when the guest calls end NR/BY/UR and `escalation.extension` is set (and, with
 *   `vipOnly`, a guest in the room is VIP), the front desk is called (kind `escalation`): a call
 *   like any other, waiting for a free port, retried `escalation.retries` times
 *   `retryIntervalMinutes` apart. The result waits in `pending_result` meanwhile and is reported
 *   when the escalation has ended, answered or not: the WA follows the desk call.
 */
import type { WakeupStatus } from "../services/wakeups.ts";
import type { NewWakeupEvent, WakeupEventType } from "../store/wakeup-history.ts";
import type { Reschedule, WakeupRow } from "../store/wakeups.ts";
import type { WakeupCallOutcome } from "./dialer.ts";

export interface OutcomePolicy {
  retries: number;
  retryMs: number;
  snoozeMs: number;
  snoozeLimit: number;
  answeredWithoutKey: "answered" | "retry";
  escalation: { extension: string | null; retries: number };
}

/** History events of a decision: `done` always written, `planned` only if the wake-up is still ours. */
interface Events {
  done: NewWakeupEvent[];
  planned: NewWakeupEvent[];
}

export type Decision =
  | (Events & { kind: "end"; status: WakeupStatus; attempts: number })
  | (Events & { kind: "again"; next: Reschedule })
  /** The guest's tries are used up: escalate (`escalate`, with `escalated` as its event) or end with `result`. */
  | (Events & {
      kind: "failed";
      result: WakeupStatus;
      attempts: number;
      escalate: Reschedule;
      escalated: NewWakeupEvent;
    });

/**
 * Why a wake-up first seen more than `lateMinutes` late is not called: created before the scheduler
 * started, it fell due while the appliance was down; created after, the PMS (or whoever set it) sent
 * it already late. Both end NR; the front desk needs to know which, so the log and history say so.
 */
export function missedWakeup(
  row: Pick<WakeupRow, "createdAt">,
  nextAt: number,
  now: number,
  startedAt: number,
  waitedForPort = false,
): { reason: "arrived-late" | "appliance-down" | "no-port"; minutesLate: number; message: string } {
  const minutesLate = Math.floor((now - nextAt) / 60_000);
  // Seen in time, but no port came free (SIP off, or every port busy) until it was too late.
  if (waitedForPort) return { reason: "no-port", minutesLate, message: "wake-up not called: no free port in time" };
  return row.createdAt > startedAt
    ? { reason: "arrived-late", minutesLate, message: "wake-up arrived too late to be called" }
    : { reason: "appliance-down", minutesLate, message: "wake-up missed while the appliance was down" };
}

/** FIAS AS code for the last failed attempt. */
export function failureStatus(outcome: WakeupCallOutcome): WakeupStatus {
  return outcome === "busy" ? "BY" : outcome === "no-answer" ? "NR" : "UR";
}

/** History events of one call; `detail` merges the event's own fields and the call's (`base` first or last). */
function events(row: WakeupRow, attempt: number, base: Record<string, unknown>, baseFirst: boolean) {
  return (event: WakeupEventType, more: Record<string, unknown> = {}): NewWakeupEvent => ({
    wakeupId: row.id,
    event,
    attempt,
    detail: baseFirst ? { ...base, ...more } : { ...more, ...base },
  });
}

/** A call to the guest ended with `outcome`. `iso` formats a planned time for the history. */
export function decideGuestCall(
  row: WakeupRow,
  outcome: WakeupCallOutcome,
  detail: string | undefined,
  now: number,
  p: OutcomePolicy,
  iso: (ms: number) => string,
): Decision {
  const attempts = row.attempts + 1;
  const tries = row.tries + 1;
  const ev = events(row, attempts, detail ? { detail } : {}, false);
  const keep = { attempts, snoozes: row.snoozes, pendingResult: null };
  const end = (status: WakeupStatus, done: NewWakeupEvent[]): Decision => ({
    kind: "end",
    status,
    attempts,
    done,
    planned: [],
  });

  if (outcome === "confirmed") return end("OK", [ev("confirmed")]);
  if (outcome === "snoozed" && row.snoozes < p.snoozeLimit) {
    const at = now + p.snoozeMs;
    return {
      kind: "again",
      next: { ...keep, tries: 0, snoozes: row.snoozes + 1, nextAttemptAt: at },
      done: [ev("snoozed", { snooze: row.snoozes + 1, next: iso(at) })],
      planned: [],
    };
  }
  // The menu did not offer snooze any more; the dialer reports the key as a snooze anyway.
  if (outcome === "snoozed") return end("OK", [ev("confirmed", { snoozeLimit: p.snoozeLimit })]);

  const done = [outcome === "answered" ? ev("no-key", { policy: p.answeredWithoutKey }) : ev(outcome)];
  if (outcome === "answered" && p.answeredWithoutKey === "answered") return end("OK", done);
  if (tries <= p.retries) {
    const at = now + p.retryMs;
    return {
      kind: "again",
      next: { ...keep, tries, nextAttemptAt: at },
      done,
      planned: [ev("retry-scheduled", { retry: tries, next: iso(at) })],
    };
  }
  // Tries used up after an answered call: the guest did pick up, so the desk is not alarmed.
  if (outcome === "answered") return end("OK", done);
  const result = failureStatus(outcome);
  return {
    kind: "failed",
    result,
    attempts,
    done,
    planned: [],
    escalate: { ...keep, tries: 0, nextAttemptAt: now, pendingResult: result },
    escalated: ev("escalated", { extension: p.escalation.extension, result }),
  };
}

/** A call to the front desk about `row` (escalating `row.pendingResult`) ended with `outcome`. */
export function decideDeskCall(
  row: WakeupRow,
  outcome: WakeupCallOutcome,
  detail: string | undefined,
  now: number,
  p: OutcomePolicy,
  iso: (ms: number) => string,
): Decision {
  const tries = row.tries + 1;
  const result = row.pendingResult as WakeupStatus;
  const base: Record<string, unknown> = { escalation: true, outcome };
  if (detail) base.detail = detail;
  const ev = events(row, tries, base, true);
  // The desk heard the announcement once the call was answered; it has no menu to confirm.
  const told = outcome === "answered" || outcome === "confirmed" || outcome === "snoozed";
  if (!told && tries <= p.escalation.retries) {
    const at = now + p.retryMs;
    return {
      kind: "again",
      next: { attempts: row.attempts, snoozes: row.snoozes, pendingResult: result, tries, nextAttemptAt: at },
      done: [ev("escalation-failed")],
      planned: [ev("retry-scheduled", { retry: tries, next: iso(at) })],
    };
  }
  return {
    kind: "end",
    status: result,
    attempts: row.attempts,
    done: [ev(told ? "escalation-answered" : "escalation-failed")],
    planned: [],
  };
}
