import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * pending: an end-of-call event arrived, the PBX's call report is still to be read; done: complete;
 * failed: the report never gave the call (kept with the reason, never listed as a call).
 */
export const callRecordStates = ["pending", "done", "failed"] as const;

/** The room's side of the call: it called out, or it was called. */
export const callDirections = ["in", "out"] as const;

/**
 * Completed calls of room extensions, as the phone system reported them (VOIspeed call reports), one
 * row per call: `(link, call_id)` is unique, so an event that arrives twice makes one record. Call
 * charges to the PMS are made from these.
 */
export const callRecords = sqliteTable(
  "call_records",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** The PBX link the call came from. */
    link: text("link").notNull(),
    /** The phone system's communication id (while pending, the id the event carried). */
    callId: text("call_id").notNull(),
    state: text("state", { enum: callRecordStates }).notNull().default("pending"),
    room: text("room"),
    /** The room's extension in the call. */
    extension: text("extension"),
    direction: text("direction", { enum: callDirections }),
    /** The other party: what the room dialled (out), or who called it (in). */
    number: text("number"),
    /** A call between extensions (no trunk: never charged). */
    internal: integer("internal", { mode: "boolean" }).notNull().default(false),
    startAt: integer("start_at"),
    answerAt: integer("answer_at"),
    talkSeconds: integer("talk_seconds").notNull().default(0),
    /** VOIspeed's outcome code (Table 8: 1 OK, 2 busy, 5 no answer, …). */
    outcome: integer("outcome"),
    /** The gateway (trunk) the call used, as the report names it. */
    trunk: text("trunk"),
    /** What the event said (event name, extension, …): how to find the call in the reports. */
    hint: text("hint", { mode: "json" }),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("call_records_call").on(t.link, t.callId),
    index("call_records_due").on(t.state, t.nextAttemptAt),
    index("call_records_room").on(t.room, t.startAt),
    index("call_records_start").on(t.state, t.startAt),
  ],
);
