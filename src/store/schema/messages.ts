import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Text messages the PMS announced (XL) and their retrieval (XD). Kept by message id so a repeated
 * XL or XD does not count twice toward the room's message lamp.
 */
export const pmsMessages = sqliteTable(
  "pms_messages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    room: text("room").notNull(),
    reservation: text("reservation").notNull().default(""),
    /** FIAS MI; empty when the PMS sends none. */
    messageId: text("message_id").notNull(),
    text: text("text").notNull().default(""),
    receivedAt: integer("received_at").notNull(),
    retrievedAt: integer("retrieved_at"),
  },
  (t) => [index("pms_messages_room").on(t.room, t.retrievedAt)],
);
