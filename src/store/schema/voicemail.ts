import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * `recording`: the row exists from the moment a recording starts, so a crash mid-message leaves a row
 * the next start can finish or drop (never a file nobody knows); it is neither counted nor played.
 * `deleted`: deleted by the guest from the phone; not counted nor played, but archived with the stay
 * as DuVoice does (staff may still need it). Staff deletion removes the row and file for good.
 */
export const voicemailStates = ["recording", "new", "saved", "deleted"] as const;
export type VoicemailState = (typeof voicemailStates)[number];

export const voicemailCodecs = ["PCMU", "PCMA"] as const;
export type VoicemailCodec = (typeof voicemailCodecs)[number];

/**
 * Guest voicemail messages. A room's box is its rows with `archived_at` null (the current stay);
 * archiving a stay is one UPDATE, so a crash can never leave part of a departed guest's box in the
 * next guest's reach, and the files stay where they are (nothing to rename).
 */
export const voicemailMessages = sqliteTable(
  "voicemail_messages",
  {
    /** Random text id: also the file name, and the id staff use in the API. */
    id: text("id").primaryKey(),
    room: text("room").notNull(),
    state: text("state", { enum: voicemailStates }).notNull(),
    /** The room's G#s when the message was left (comma-separated, primary first): the archive's stay. */
    reservation: text("reservation").notNull().default(""),
    receivedAt: integer("received_at").notNull(),
    durationMs: integer("duration_ms").notNull().default(0),
    /** Time with sound (silence excluded), what `voicemail.minSeconds` is held against. */
    soundMs: integer("sound_ms").notNull().default(0),
    /** Caller number as the call showed it (PAI, else From); "" when unknown. */
    caller: text("caller").notNull().default(""),
    codec: text("codec", { enum: voicemailCodecs }).notNull().default("PCMU"),
    /** Path relative to the voicemail folder (`<dataDir>/voicemail/`), e.g. `msgs/<id>.wav`. */
    file: text("file").notNull(),
    /** When the stay ended (the check-out); null = the room's current stay. */
    archivedAt: integer("archived_at"),
  },
  (t) => [
    index("voicemail_messages_room").on(t.room, t.archivedAt),
    index("voicemail_messages_archived").on(t.archivedAt),
  ],
);

/** Per-room mailbox settings of the current stay: reset when the stay is archived, moved with a GC/RO. */
export const voicemailBoxes = sqliteTable("voicemail_boxes", {
  room: text("room").primaryKey(),
  /** `scrypt$<salt hex>$<hash hex>` of the guest's PIN; a secret, never returned nor logged. */
  pinHash: text("pin_hash"),
  updatedAt: integer("updated_at").notNull(),
});
