import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * A room and its current state in one row: every PMS record touches both, and one row keeps the
 * hot path (a 2,000-room resync) to one write per room.
 */
export const rooms = sqliteTable(
  "rooms",
  {
    number: text("number").primaryKey(),
    extension: text("extension").notNull(),
    phoneAddress: text("phone_address"),
    phoneTransport: text("phone_transport"),
    phoneMac: text("phone_mac"),
    /** True when the installer defined the room (not just created by a PMS record). */
    predefined: integer("predefined", { mode: "boolean" }).notNull().default(false),
    occupied: integer("occupied", { mode: "boolean" }).notNull().default(false),
    dnd: integer("dnd", { mode: "boolean" }).notNull().default(false),
    classOfService: integer("class_of_service").notNull().default(0),
    messageLamp: integer("message_lamp").notNull().default(0),
    /** Guest voicemail of the current stay: new and saved messages (kept in step with voicemail_messages). */
    voiceNew: integer("voice_new").notNull().default(0),
    voiceSaved: integer("voice_saved").notNull().default(0),
    housekeepingStatus: integer("housekeeping_status"),
    housekeepingMaid: text("housekeeping_maid"),
    housekeepingAt: integer("housekeeping_at"),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch() * 1000)`),
    updatedAt: integer("updated_at").notNull().default(sql`(unixepoch() * 1000)`),
  },
  (t) => [index("rooms_extension").on(t.extension)],
);

export const stays = sqliteTable(
  "stays",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    room: text("room").notNull(),
    /** FIAS G#; empty when the PMS is room-based. */
    reservation: text("reservation").notNull().default(""),
    sharer: integer("sharer", { mode: "boolean" }).notNull().default(false),
    title: text("title").notNull().default(""),
    firstName: text("first_name").notNull().default(""),
    lastName: text("last_name").notNull().default(""),
    fullName: text("full_name").notNull().default(""),
    language: text("language").notNull().default(""),
    vip: text("vip").notNull().default(""),
    groupCode: text("group_code").notNull().default(""),
    arrival: text("arrival"),
    departure: text("departure"),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    checkedInAt: integer("checked_in_at").notNull(),
    checkedOutAt: integer("checked_out_at"),
    /** Id of the last resync that listed this stay; stays an ending resync did not list are checked out. */
    resyncSeen: integer("resync_seen"),
  },
  (t) => [index("stays_room_active").on(t.room, t.active), index("stays_reservation").on(t.reservation)],
);
