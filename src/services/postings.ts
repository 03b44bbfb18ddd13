/**
 * @module services/postings
 * Charges for the guest's folio (issue 15 §2): a call costed by the call-charging code, minibar
 * articles from the room phone, a charge the front desk types. Each is stored once per source (the
 * same call record or request never makes two postings) for the room's current guest, and sent by
 * the posting sender (posting-sender.ts), one at a time, each waiting for the PMS's answer. The row
 * keeps what was sent, the tariff line, and what the PMS said, so a folio dispute can be answered.
 *
 * States: pending → sending → accepted | rejected | failed | uncertain; a "retry later" answer (RY,
 * NA, BY) puts it back to pending, held for a while, with a new P#. rejected, failed and uncertain
 * wait for staff: `retryPosting` makes them pending again (audited).
 */
import type { PmsAction, PostingAnswer } from "../domain/pms-events.ts";
import { roomNumberProblem } from "../domain/room-number.ts";
import { AppError } from "../lib/errors.ts";
import { isoWithOffset, toWallTime } from "../lib/zoned-time.ts";
import { writeAudit } from "../store/audit.ts";
import type { Queryable } from "../store/db.ts";
import {
  getPosting as getPostingRow,
  insertPosting,
  listPostingRows,
  type PostingRow,
  type PostingState,
  postingBySource,
  postingForAnswer,
  updatePosting,
} from "../store/postings.ts";
import { loadRoom } from "../store/rooms.ts";
import type { postingKinds, postingSourceTypes } from "../store/schema/index.ts";
import type { ServiceContext } from "./context.ts";
import { renderPmsAction } from "./pms-outbox.ts";

export type PostingKind = (typeof postingKinds)[number];
export type PostingSourceType = (typeof postingSourceTypes)[number];
export type { PostingState } from "../store/postings.ts";

export interface PostingInput {
  room: string;
  kind: PostingKind;
  /** Minor units: a pre-costed posting (FIAS PT C, TA). For minibar, the total of all articles. */
  amount?: number;
  /** Meter pulses: a call the PMS costs (FIAS PT T, MP). */
  pulses?: number;
  /** A call the PMS costs by duration: seconds (DU), with the dialled number (DD). */
  durationSeconds?: number;
  /** The number the room dialled (sent as DD with calls). */
  dialled?: string;
  /** Call class as the PMS knows it (FIAS PC: I international, N national, L local). */
  callType?: string;
  /** Minibar article (FIAS MA, 1-4 digits) and count (M#, 1-99, default 1). */
  article?: string;
  quantity?: number;
  /** Folio text (FIAS CT; the PMS keeps its first 20 characters). */
  text?: string;
  /** When the charge happened (a call's start), ms since the epoch; default now. Sent as DA/TI. */
  at?: number;
  /** What made it; `(type, ref)` is unique: a second create with it returns the first posting. */
  source: { type: PostingSourceType; ref: string };
  /** The tariff line the call was costed with (opaque JSON, shown with the posting). */
  tariff?: unknown;
  /** Who made it (`api:<token name>`, `system`, `phone`); default `system`. */
  actor?: string;
}

export interface PostingView {
  id: number;
  room: string;
  reservation: string;
  guestName: string;
  kind: PostingKind;
  amount: number | null;
  pulses: number | null;
  durationSeconds: number | null;
  dialled: string | null;
  callType: string | null;
  article: string | null;
  quantity: number | null;
  text: string | null;
  chargedAt: string;
  source: { type: PostingSourceType; ref: string };
  tariff: unknown;
  state: PostingState;
  /** FIAS P# of the last transmission. */
  sequence: number | null;
  /** The record as last sent (or to be resent). */
  record: string | null;
  attempts: number;
  /** The PMS's answer (or why the appliance gave up); null before any. */
  answer: { code: string | null; text: string | null; at: string | null } | null;
  nextAttemptAt: string | null;
  createdAt: string;
  sentAt: string | null;
  actor: string;
}

/** "Retry later" answers taken before a posting fails; and how long each holds it back. */
export const RETRY_ANSWERS_MAX = 5;
export const RETRY_DELAY_MS = 60_000;
/** Night audit (NA) runs for a while: wait longer. */
export const NIGHT_AUDIT_DELAY_MS = 5 * 60_000;

/** The stored posting for `input.source`, made now if it is new (idempotent on the source). */
export async function createPosting(ctx: ServiceContext, input: PostingInput): Promise<PostingView> {
  return (await submitPosting(ctx, input)).posting;
}

/** createPosting, also telling whether the posting is new (API: 201) or the source's earlier one (200). */
export async function submitPosting(
  ctx: ServiceContext,
  input: PostingInput,
): Promise<{ posting: PostingView; created: boolean }> {
  checkInput(input);
  const now = ctx.clock.now();
  const actor = input.actor ?? "system";
  const r = await ctx.store.tx(async (tx) => {
    const existing = await findBySource(tx, input.source);
    if (existing) return { row: existing, created: false };
    const stored = await loadRoom(tx, input.room);
    if (!stored) throw new AppError("NOT_FOUND", `room ${input.room} is not defined`);
    const guest = stored.room.guests[0];
    if (!stored.room.occupied || !guest)
      throw new AppError("CONFLICT", `room ${input.room} is vacant: a posting needs a checked-in guest`);
    // First and last name as the phone book shows them; fullName is GN as sent (the surname alone
    // when GF came apart), so it is only the fallback.
    const guestName = [guest.firstName, guest.lastName].filter(Boolean).join(" ") || guest.fullName;
    const out = await insertPosting(tx, {
      room: input.room,
      reservation: guest.reservation,
      guestName,
      kind: input.kind,
      amount: input.amount ?? null,
      pulses: input.pulses ?? null,
      durationSeconds: input.durationSeconds ?? null,
      dialled: input.dialled ?? null,
      callType: input.callType ?? null,
      article: input.article ?? null,
      quantity: input.kind === "minibar" ? (input.quantity ?? 1) : null,
      text: input.text ?? null,
      chargedAt: input.at ?? now,
      sourceType: input.source.type,
      sourceRef: input.source.ref,
      tariff: input.tariff ?? null,
      createdAt: now,
      updatedAt: now,
      actor,
    });
    if (out.created) {
      const { id, kind, amount, pulses, article, quantity, sourceType, sourceRef } = out.row;
      await writeAudit(
        tx,
        {
          actor,
          action: "posting",
          room: input.room,
          after: { id, kind, amount, pulses, article, quantity, source: `${sourceType}:${sourceRef}` },
        },
        now,
      );
    }
    return out;
  });
  if (r.created) ctx.hooks.postingsQueued?.();
  return { posting: postingView(r.row, ctx.timezone), created: r.created };
}

function findBySource(db: Queryable, source: PostingInput["source"]): Promise<PostingRow | undefined> {
  return postingBySource(db, source.type, source.ref);
}

function invalid(message: string): never {
  throw new AppError("INVALID", message);
}

function wholeNumber(v: number | undefined, name: string, min: number, max: number): void {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < min || v > max) invalid(`${name} must be a whole number from ${min} to ${max}`);
}

/** The service's own check: the call-charging code and the IVR call it without the API's schema. */
function checkInput(p: PostingInput): void {
  const problem = roomNumberProblem(p.room);
  if (problem) invalid(problem);
  if (!["call", "minibar", "charge"].includes(p.kind))
    invalid(`kind ${JSON.stringify(p.kind)} is not call, minibar or charge`);
  if (!["call-record", "minibar-phone", "staff"].includes(p.source?.type))
    invalid("source.type must be call-record, minibar-phone or staff");
  if (typeof p.source.ref !== "string" || !p.source.ref || p.source.ref.length > 200)
    invalid("source.ref must be 1-200 characters");
  wholeNumber(p.amount, "amount", 0, 999_999_999_999);
  wholeNumber(p.pulses, "pulses", 0, 9_999_999_999);
  wholeNumber(p.durationSeconds, "durationSeconds", 0, 359_999);
  wholeNumber(p.quantity, "quantity", 1, 99);
  if (p.article !== undefined && !/^[0-9]{1,4}$/.test(p.article))
    invalid("article must be 1-4 digits (the PMS's article number)");
  if (p.dialled !== undefined && !/^\+?[0-9*#]{1,24}$/.test(p.dialled)) invalid("dialled must be up to 24 digits");
  if (p.callType !== undefined && !/^[A-Z0-9]$/.test(p.callType)) invalid("callType must be one letter or digit");
  if (p.text !== undefined && (p.text.length > 100 || /[|\p{Cc}]/u.test(p.text)))
    invalid("text must be at most 100 printable characters without '|'");
  if (p.at !== undefined && !Number.isSafeInteger(p.at)) invalid("at must be milliseconds since the epoch");
  switch (p.kind) {
    case "call":
      if (p.article !== undefined || p.quantity !== undefined) invalid("a call has no article or quantity");
      if (p.amount === undefined && p.pulses === undefined && (p.durationSeconds === undefined || !p.dialled))
        invalid("a call needs amount (pre-costed), pulses, or durationSeconds with dialled (costed by the PMS)");
      return;
    case "minibar":
      if (p.article === undefined) invalid("a minibar posting needs article");
      if (p.pulses !== undefined || p.durationSeconds !== undefined)
        invalid("a minibar posting has no pulses or duration");
      return;
    case "charge":
      if (p.amount === undefined) invalid("a charge needs amount (minor units)");
      if (
        p.article !== undefined ||
        p.quantity !== undefined ||
        p.pulses !== undefined ||
        p.durationSeconds !== undefined
      )
        invalid("a charge has only amount and text");
      return;
  }
}

export interface PostingQuery {
  room?: string;
  state?: PostingState;
  /** Made at or after this instant (ms since the epoch). */
  since?: number;
  limit?: number;
}

/** Postings, newest first. */
export async function listPostings(ctx: ServiceContext, q: PostingQuery = {}): Promise<PostingView[]> {
  const rows = await ctx.store.read((db) =>
    listPostingRows(db, { room: q.room, state: q.state, since: q.since, limit: Math.min(q.limit ?? 100, 1000) }),
  );
  return rows.map((r) => postingView(r, ctx.timezone));
}

export async function getPosting(ctx: ServiceContext, id: number): Promise<PostingView> {
  const row = await ctx.store.read((db) => getPostingRow(db, id));
  if (!row) throw new AppError("NOT_FOUND", `posting ${id} does not exist`);
  return postingView(row, ctx.timezone);
}

const RETRYABLE: readonly PostingState[] = ["rejected", "failed", "uncertain"];

/**
 * Staff send a rejected, failed or uncertain posting again, with a new P#. For an uncertain one the
 * desk first checks the folio: the appliance cannot know whether the PMS booked it.
 */
export async function retryPosting(ctx: ServiceContext, id: number, actor: string): Promise<PostingView> {
  const now = ctx.clock.now();
  const row = await ctx.store.tx(async (tx) => {
    const before = await getPostingRow(tx, id);
    if (!before) throw new AppError("NOT_FOUND", `posting ${id} does not exist`);
    if (!RETRYABLE.includes(before.state))
      throw new AppError(
        "CONFLICT",
        `posting ${id} is ${before.state}: only rejected, failed or uncertain ones are sent again`,
      );
    await updatePosting(
      tx,
      id,
      {
        state: "pending",
        sequence: null,
        record: null,
        unanswered: 0,
        retryAnswers: 0,
        nextAttemptAt: null,
        answerCode: null,
        answerText: null,
        answeredAt: null,
      },
      now,
    );
    const { state, sequence, answerCode, answerText } = before;
    await writeAudit(
      tx,
      { actor, action: "posting-retry", room: before.room, before: { id, state, sequence, answerCode, answerText } },
      now,
    );
    return (await getPostingRow(tx, id)) as PostingRow;
  });
  ctx.hooks.postingsQueued?.();
  return postingView(row, ctx.timezone);
}

/**
 * Records the PMS's answer on its posting, in the transaction that applies the received frame (so an
 * answer stored in the inbox is applied exactly once, also after a crash). Answers the posting with
 * that P# that is still open, whatever the sender is doing: a late OK after the sender gave up still
 * shows the posting as booked. Throws when the answer fits no open posting (the inbox shows why).
 */
export async function applyPostingAnswer(ctx: ServiceContext, db: Queryable, a: PostingAnswer): Promise<PostingRow> {
  const row = await postingForAnswer(db, a.sequence);
  if (!row) {
    const which = a.sequence === undefined ? "without P#" : `P#${a.sequence}`;
    throw new AppError("INVALID", `posting answer ${which} (AS ${a.code || "none"}) fits no posting waiting for one`);
  }
  const now = ctx.clock.now();
  const answer = { answerCode: a.code, answerText: a.text || null, answeredAt: now, nextAttemptAt: null };
  if (a.status !== "retry") {
    await updatePosting(db, row.id, { ...answer, state: a.status }, now);
    ctx.logger.info(`PMS ${a.status} posting`, { id: row.id, room: row.room, sequence: row.sequence, code: a.code });
    return { ...row, ...answer, state: a.status };
  }
  const retryAnswers = row.retryAnswers + 1;
  if (retryAnswers > RETRY_ANSWERS_MAX) {
    const text = `the PMS asked ${retryAnswers} times to retry later${a.text ? `: ${a.text}` : ""}`;
    await updatePosting(db, row.id, { ...answer, answerText: text, retryAnswers, state: "failed" }, now);
    ctx.logger.warn("posting failed: the PMS keeps asking to retry", { id: row.id, room: row.room, code: a.code });
    return { ...row, ...answer, answerText: text, retryAnswers, state: "failed" };
  }
  // The PMS did not book it: the next transmission is a new one, with a new P#.
  const held = {
    ...answer,
    retryAnswers,
    state: "pending" as const,
    sequence: null,
    record: null,
    unanswered: 0,
    nextAttemptAt: now + (a.code === "NA" ? NIGHT_AUDIT_DELAY_MS : RETRY_DELAY_MS),
  };
  await updatePosting(db, row.id, held, now);
  ctx.logger.info("PMS asked to send a posting again later", { id: row.id, room: row.room, code: a.code });
  return { ...row, ...held };
}

/** The posting as the protocol's record with P# `sequence`; undefined when the protocol has no postings. */
export function renderPosting(ctx: Pick<ServiceContext, "pms" | "timezone">, row: PostingRow, sequence: number) {
  const opt = <T>(v: T | null) => (v === null ? undefined : v);
  const action: PmsAction = {
    kind: "posting",
    room: row.room,
    reservation: row.reservation || undefined,
    sequence,
    charge: row.kind,
    at: toWallTime(row.chargedAt, ctx.timezone),
    amount: opt(row.amount),
    pulses: opt(row.pulses),
    durationSeconds: opt(row.durationSeconds),
    dialled: opt(row.dialled),
    callType: opt(row.callType),
    article: opt(row.article),
    quantity: opt(row.quantity),
    text: opt(row.text),
  };
  return renderPmsAction(ctx, action)?.text;
}

export function postingView(r: PostingRow, tz: string): PostingView {
  const iso = (ms: number | null) => (ms === null ? null : isoWithOffset(ms, tz));
  const answered = r.answerCode !== null || r.answerText !== null;
  return {
    id: r.id,
    room: r.room,
    reservation: r.reservation,
    guestName: r.guestName,
    kind: r.kind,
    amount: r.amount,
    pulses: r.pulses,
    durationSeconds: r.durationSeconds,
    dialled: r.dialled,
    callType: r.callType,
    article: r.article,
    quantity: r.quantity,
    text: r.text,
    chargedAt: isoWithOffset(r.chargedAt, tz),
    source: { type: r.sourceType, ref: r.sourceRef },
    tariff: r.tariff ?? null,
    state: r.state,
    sequence: r.sequence,
    record: r.record,
    attempts: r.attempts,
    answer: answered ? { code: r.answerCode, text: r.answerText, at: iso(r.answeredAt) } : null,
    nextAttemptAt: iso(r.nextAttemptAt),
    createdAt: isoWithOffset(r.createdAt, tz),
    sentAt: iso(r.sentAt),
    actor: r.actor,
  };
}
