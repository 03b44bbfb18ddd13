/**
 * @module config/voicemail-schema
 * `voicemail`: the guest mailboxes the ports answer for (issue 12). Defaults follow the research in
 * the README's "Guest voicemail" section: DuVoice-style guest boxes, 180 s messages, 2 s minimum,
 * a 7-day archive purged nightly.
 */
import * as v from "valibot";

const seconds = v.pipe(v.number(), v.minValue(0));
const dialled = v.pipe(v.string(), v.regex(/^[0-9*#+]{1,20}$/, "expected a dialled number such as 600"));

/** The places a call's mailbox is read from, tried in the configured order (README "Which mailbox"). */
export const MAILBOX_SOURCES = [
  "target",
  "history-info",
  "diversion",
  "name-digits",
  "called-room",
  "access-number",
] as const;
export type MailboxSource = (typeof MAILBOX_SOURCES)[number];

export const voicemailSchema = v.strictObject({
  /** Off = the ports never answer as voicemail (forwarded calls then go to the IVR as before). */
  enabled: v.optional(v.boolean(), true),
  /** Where the mailbox of a call is taken from, first match wins. Drop entries a PBX gets wrong. */
  mailboxFrom: v.optional(v.pipe(v.array(v.picklist(MAILBOX_SOURCES)), v.minLength(1)), [...MAILBOX_SOURCES]),
  /** Of several Diversion headers, the newest (the first, RFC 5806) or the oldest room entry. */
  diversionEntry: v.optional(v.picklist(["newest", "oldest"]), "newest"),
  /** Numbers a guest dials to hear the messages. */
  accessNumbers: v.optional(v.array(dialled), ["600"]),
  /** The operator (front desk): 302 target for a vacant room, `0` target. null = none. */
  operator: v.optional(v.nullable(dialled), null),
  /** Say the room number in the greeting ("the guest in room 101 is not available"). */
  announceRoom: v.optional(v.boolean(), false),
  /** A direct call from a checked-in room's phone opens its box without a PIN. */
  autoLogin: v.optional(v.boolean(), true),
  /** Retrieval key map: "duvoice" (1 delete, 2 save, 3 next, 4 replay) or "asterisk" (7, 9, 6, 5, 4). */
  keymap: v.optional(v.picklist(["duvoice", "asterisk"]), "duvoice"),
  maxSeconds: v.optional(v.pipe(v.number(), v.minValue(5), v.maxValue(3600)), 180),
  /** Seconds of sound (silence excluded) a message needs to be kept. */
  minSeconds: v.optional(seconds, 2),
  /** Silence that ends a recording. */
  silenceSeconds: v.optional(v.pipe(v.number(), v.minValue(1)), 5),
  /** Below this much free disk in the data dir, new deposits are refused. */
  minFreeMb: v.optional(seconds, 200),
  /** Days archived messages of departed guests are kept; 0 = deleted at check-out. */
  archiveDays: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(365)), 7),
  /** Hotel time of the daily purge of expired archives, HH:MM. */
  purgeAt: v.optional(v.pipe(v.string(), v.regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, "expected HH:MM")), "03:30"),
});

export type VoicemailConfig = v.InferOutput<typeof voicemailSchema>;
