import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Every record received from the PMS, committed before anything acts on it. */
export const pmsInbox = sqliteTable(
  "pms_inbox",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    receivedAt: integer("received_at").notNull(),
    type: text("type").notNull(),
    raw: text("raw").notNull(),
    appliedAt: integer("applied_at"),
    /** Why applying failed (bad room, invalid field); the record is kept and marked applied. */
    error: text("error"),
  },
  (t) => [
    index("pms_inbox_pending").on(t.appliedAt),
    // The inbox only grows; the few rejected rows (GET /api/v1/pms) must not cost a scan of it all.
    index("pms_inbox_rejected").on(t.seq).where(sql`${t.error} is not null`),
  ],
);

export const pmsOutboxStates = ["pending", "sending", "sent", "dropped"] as const;

/** Records for the PMS; sent in id order whenever the link can send. */
export const pmsOutbox = sqliteTable(
  "pms_outbox",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    createdAt: integer("created_at").notNull(),
    type: text("type").notNull(),
    /** FIAS text form: `WA|RN101|DA261122|TI070000|ASOK|`. */
    record: text("record").notNull(),
    /** Makes an action happen once (e.g. `wa:42` for one wake-up's result). */
    dedupeKey: text("dedupe_key"),
    state: text("state", { enum: pmsOutboxStates }).notNull().default("pending"),
    sentAt: integer("sent_at"),
  },
  (t) => [index("pms_outbox_state").on(t.state, t.id), uniqueIndex("pms_outbox_dedupe").on(t.dedupeKey)],
);
