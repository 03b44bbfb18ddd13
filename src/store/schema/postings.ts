import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** What a posting charges: a call (pre-costed or PMS-costed), minibar articles, any other charge. */
export const postingKinds = ["call", "minibar", "charge"] as const;

/** Where a posting came from; with `source_ref` it names the posting once (see the unique index). */
export const postingSourceTypes = ["call-record", "minibar-phone", "staff"] as const;

/**
 * pending: to be sent (again); sending: written to the PMS, waiting for its PA; accepted: PA OK;
 * rejected: the PMS refused it (NG, NP, UR, …); failed: no answer after the resend, or too many
 * "retry later" answers; uncertain: it was `sending` when the appliance stopped, so it may or may not
 * be on the folio. rejected, failed and uncertain wait for staff (retry), nothing resends them.
 */
export const postingStates = ["pending", "sending", "accepted", "rejected", "failed", "uncertain"] as const;

/**
 * Charges for the PMS (FIAS PS/PA), one row per charge, kept after it is answered: what was sent,
 * for which guest, from what, and what the PMS said, to answer folio disputes.
 */
export const postings = sqliteTable(
  "postings",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    room: text("room").notNull(),
    /** The guest's reservation (FIAS G#) when the posting was made; "" for a room-based PMS. */
    reservation: text("reservation").notNull(),
    /** The guest's name when the posting was made (the room may change hands before a dispute). */
    guestName: text("guest_name").notNull(),
    kind: text("kind", { enum: postingKinds }).notNull(),
    /** Minor units (FIAS TA): the posting is pre-costed. */
    amount: integer("amount"),
    /** Meter pulses (FIAS MP): the PMS costs the call. */
    pulses: integer("pulses"),
    /** PMS-costed call by duration: seconds (FIAS DU) and the dialled digits (DD). */
    durationSeconds: integer("duration_seconds"),
    dialled: text("dialled"),
    /** Call type as the PMS knows it (FIAS PC: I international, N national, L local). */
    callType: text("call_type"),
    /** Minibar article (FIAS MA) and count (M#). */
    article: text("article"),
    quantity: integer("quantity"),
    /** Clear text for the folio (FIAS CT). */
    text: text("text"),
    /** When the charge happened (a call's start): FIAS DA/TI. */
    chargedAt: integer("charged_at").notNull(),
    sourceType: text("source_type", { enum: postingSourceTypes }).notNull(),
    sourceRef: text("source_ref").notNull(),
    /** The tariff line the call was costed with, as the call-charging code gave it. */
    tariff: text("tariff", { mode: "json" }),
    state: text("state", { enum: postingStates }).notNull().default("pending"),
    /** FIAS P# of the current transmission; null until first sent and after an answer asks for a new one. */
    sequence: integer("sequence"),
    /** The exact record sent with `sequence` (a resend after a time-out sends it again unchanged). */
    record: text("record"),
    /** Transmissions of `record` that got no answer. */
    unanswered: integer("unanswered").notNull().default(0),
    /** Transmissions in all. */
    attempts: integer("attempts").notNull().default(0),
    /** "Retry later" answers (RY, NA) received. */
    retryAnswers: integer("retry_answers").notNull().default(0),
    /** Not sent before this (after a "retry later" answer). */
    nextAttemptAt: integer("next_attempt_at"),
    /** The PMS's answer status (FIAS AS: OK, NG, RY, …) and its text (CT), or why we gave up. */
    answerCode: text("answer_code"),
    answerText: text("answer_text"),
    createdAt: integer("created_at").notNull(),
    sentAt: integer("sent_at"),
    answeredAt: integer("answered_at"),
    updatedAt: integer("updated_at").notNull(),
    /** Who made it: `api:<token name>`, `system` (call charging), `phone`. */
    actor: text("actor").notNull(),
  },
  (t) => [
    uniqueIndex("postings_source").on(t.sourceType, t.sourceRef),
    index("postings_state").on(t.state, t.id),
    index("postings_room").on(t.room, t.id),
    index("postings_sequence").on(t.sequence),
  ],
);
