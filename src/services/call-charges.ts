/**
 * @module services/call-charges
 * Call accounting: a completed call record becomes a posting for the guest's folio when, and only
 * when, it is an answered outside call from an occupied room, made during the current stay, that a
 * tariff line lists (domain/tariff.ts says which calls those are).
 *
 * `chargeCompletedCall` runs when a record completes (the call recorder's `callRecordCompleted`
 * hook); `chargePendingCalls` runs at start and takes the records completed while it was not
 * listening. Each record gets one decision row (store/call-charges.ts): posted, free or skipped, with
 * the reason. The posting is unique by its call record, so a crash between posting and decision
 * finds the same posting again: nothing is charged twice, nothing is forgotten.
 *
 * Decisions:
 * - The guest who made the call pays it: a room vacant now, or whose current stay began after the
 *   call started, is skipped (`vacant`, `previous-stay`) rather than charged to someone else. Staff
 *   can post it by hand; the decision row says why.
 * - With postings off, calls are still decided (`postings-disabled`), so switching them on later
 *   never charges old calls to whoever is in the room then. Migration 0008 does the same for calls
 *   recorded before call charging existed.
 * - pre-costed: the amount (TA) and the dialled number (DD). pms-costed: the talk time (DU) and the
 *   dialled number, or meter pulses (MP, one per billed increment) with `postings.pulses`. The
 *   matched tariff line and the billed time are kept with the posting either way.
 * - A failure to store (database) leaves the record undecided: the next sweep tries again.
 */

import type { PostingsConfig } from "../config/schema.ts";
import { type RatedCall, rateCall, type Tariff, type TariffLine, toMinorUnits } from "../domain/tariff.ts";
import { AppError, errorMessage } from "../lib/errors.ts";
import {
  type CallChargeRow,
  currentStayStartedAt,
  findCallCharge,
  findCallRecord,
  recordCallCharge,
  undecidedCallIds,
} from "../store/call-charges.ts";
import type { CallRecordRow } from "../store/call-records.ts";
import type { ServiceContext } from "./context.ts";
import { submitPosting } from "./postings.ts";

/** The service context with the `postings` section; absent = postings off. */
export type ChargeContext = ServiceContext & { postings?: PostingsConfig };

export type CallChargeResult =
  | { outcome: "posted"; postingId: number; created: boolean }
  | { outcome: "free" | "skipped"; reason: string }
  /** Nothing decided: no such record, not complete yet, or storing failed (`reason`); a sweep retries. */
  | { outcome: "undecided"; reason: string };

/** The tariff in minor units, as the domain rates with it. */
export function tariffFromConfig(p: PostingsConfig): Tariff {
  const d = p.tariffs.currencyDigits;
  return {
    freePrefixes: p.tariffs.freePrefixes,
    trunks: p.callTrunks,
    lines: p.tariffs.lines.map(
      (l): TariffLine => ({
        ...l,
        setupFee: toMinorUnits(l.setupFee, d),
        ratePerMinute: toMinorUnits(l.ratePerMinute, d),
      }),
    ),
  };
}

/** A completed call record as the tariff sees it. */
export function ratedCall(r: CallRecordRow): RatedCall {
  return {
    number: r.number,
    direction: r.direction,
    internal: r.internal,
    answered: r.outcome === 1 || r.answerAt !== null,
    durationSeconds: r.talkSeconds,
    trunk: r.trunk,
  };
}

/** Decides (once) about call record `id` and posts its charge when it has one. Never rejects. */
export async function chargeCompletedCall(ctx: ChargeContext, id: number): Promise<CallChargeResult> {
  try {
    return await decide(ctx, id);
  } catch (err) {
    ctx.logger.error("call charge not decided (tried again at the next sweep)", { callRecord: id, err });
    return { outcome: "undecided", reason: errorMessage(err) };
  }
}

/** Decides about every completed call record that has no decision yet (at start, after a stop). */
export async function chargePendingCalls(
  ctx: ChargeContext,
): Promise<{ posted: number; free: number; skipped: number; undecided: number }> {
  const counts = { posted: 0, free: 0, skipped: 0, undecided: 0 };
  let after = 0;
  for (;;) {
    const ids = await ctx.store.read((db) => undecidedCallIds(db, after, 100));
    if (!ids.length) break;
    for (const id of ids) counts[(await chargeCompletedCall(ctx, id)).outcome]++;
    after = ids[ids.length - 1];
  }
  if (counts.posted || counts.undecided) ctx.logger.info("call charges swept", counts);
  return counts;
}

async function decide(ctx: ChargeContext, id: number): Promise<CallChargeResult> {
  const { record, decided } = await ctx.store.read(async (db) => ({
    record: await findCallRecord(db, id),
    decided: await findCallCharge(db, id),
  }));
  if (decided) return resultOf(decided, false);
  if (!record) return { outcome: "undecided", reason: `call record ${id} does not exist` };
  if (record.state !== "done") return { outcome: "undecided", reason: `call record ${id} is ${record.state}` };
  const postings = ctx.postings;
  if (!postings?.enabled) return settle(ctx, id, "skipped", "postings-disabled");
  if (!record.room) return settle(ctx, id, "skipped", "no-room");
  const charge = rateCall(tariffFromConfig(postings), ratedCall(record));
  if (charge.free) return settle(ctx, id, "free", charge.reason);
  const room = record.room;
  const stayStart = await ctx.store.read((db) => currentStayStartedAt(db, room));
  if (stayStart === undefined) return settle(ctx, id, "skipped", "vacant");
  const callStart = record.startAt ?? record.createdAt - record.talkSeconds * 1000;
  if (callStart < stayStart) return settle(ctx, id, "skipped", "previous-stay");

  const { line, billedSeconds, number } = charge;
  const dialled = /^\+?[0-9*#]{1,24}$/.test(number) ? number : undefined;
  const costing =
    postings.mode === "pre-costed"
      ? { amount: charge.amount }
      : postings.pulses
        ? { pulses: billedSeconds / Math.max(1, line.incrementSeconds) }
        : { durationSeconds: Math.min(record.talkSeconds, 359_999) };
  if (postings.mode === "pms-costed" && !dialled) return settle(ctx, id, "skipped", "number-not-digits");
  let submitted: Awaited<ReturnType<typeof submitPosting>>;
  try {
    submitted = await submitPosting(ctx, {
      room,
      kind: "call",
      ...costing,
      dialled,
      callType: line.callType ?? undefined,
      text: line.name,
      at: callStart,
      source: { type: "call-record", ref: String(id) },
      tariff: {
        mode: postings.mode,
        line: { ...line, currencyDigits: postings.tariffs.currencyDigits },
        billedSeconds,
        talkSeconds: record.talkSeconds,
        amount: charge.amount,
      },
      actor: "system",
    });
  } catch (err) {
    // The room emptied or was redefined between our look and the posting; a bad input is a bug here,
    // kept as the reason rather than retried for ever.
    if (err instanceof AppError && err.code === "CONFLICT") return settle(ctx, id, "skipped", "vacant");
    if (err instanceof AppError && err.code === "NOT_FOUND") return settle(ctx, id, "skipped", "no-room");
    if (err instanceof AppError && err.code === "INVALID") {
      ctx.logger.error("call charge refused by the postings service", { callRecord: id, err });
      return settle(ctx, id, "skipped", `invalid: ${err.message}`.slice(0, 200));
    }
    throw err;
  }
  const { posting, created } = submitted;
  const row = await ctx.store.tx((tx) =>
    recordCallCharge(tx, {
      callRecordId: id,
      outcome: "posted",
      reason: null,
      postingId: posting.id,
      decidedAt: ctx.clock.now(),
    }),
  );
  ctx.logger.info("call charged", {
    callRecord: id,
    room,
    posting: posting.id,
    line: line.name,
    billedSeconds,
    amount: postings.mode === "pre-costed" ? charge.amount : null,
  });
  return resultOf(row, created);
}

async function settle(
  ctx: ChargeContext,
  id: number,
  outcome: "free" | "skipped",
  reason: string,
): Promise<CallChargeResult> {
  const row = await ctx.store.tx((tx) =>
    recordCallCharge(tx, { callRecordId: id, outcome, reason, postingId: null, decidedAt: ctx.clock.now() }),
  );
  return resultOf(row, false);
}

function resultOf(row: CallChargeRow, created: boolean): CallChargeResult {
  if (row.outcome === "posted") return { outcome: "posted", postingId: row.postingId ?? 0, created };
  return { outcome: row.outcome, reason: row.reason ?? "" };
}
