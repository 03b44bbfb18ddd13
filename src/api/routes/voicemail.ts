/**
 * @module api/routes/voicemail
 * Guest voicemail for the front desk: the current stay's messages (never their audio: those are the
 * guest's to hear), the archive of departed stays with its audio, and deletion for good. Every
 * listen and deletion is audited with the token's name, the time and the message id.
 */
import * as v from "valibot";
import { AppError } from "../../lib/errors.ts";
import { fromWallTime, isIsoDate } from "../../lib/zoned-time.ts";
import { MESSAGE_ID_PATTERN } from "../../services/voicemail-files.ts";
import { archivedAudio, eraseVoicemail, roomVoicemail, voicemailArchive } from "../../services/voicemail-staff.ts";
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../registry.ts";
import { RoomNumber, RoomParams } from "../schemas.ts";
import { parseInstant } from "./wakeups.ts";

const Int = v.pipe(v.number(), v.integer());

const VoicemailMessageView = v.object({
  id: v.string(),
  receivedAt: v.pipe(
    v.string(),
    v.metadata({ format: "date-time", description: "ISO 8601 in the hotel's time zone, with its offset" }),
  ),
  durationMs: Int,
  caller: v.pipe(v.string(), v.metadata({ description: "The caller's number as the call showed it; empty if none" })),
  state: v.pipe(
    v.picklist(["new", "saved", "deleted"]),
    v.metadata({ description: "new (lights the lamp), saved, or deleted by the guest (kept until archived)" }),
  ),
});

export const RoomVoicemail = v.object({
  new: Int,
  saved: Int,
  messages: v.pipe(
    v.array(VoicemailMessageView),
    v.metadata({ description: "The current stay: new first, then saved, then deleted; oldest first within" }),
  ),
});

export const VoicemailArchive = v.object({
  stays: v.array(
    v.object({
      room: v.string(),
      reservation: v.pipe(
        v.string(),
        v.metadata({ description: "FIAS G#s in the room when the messages were left, comma-separated" }),
      ),
      checkedOutAt: v.pipe(
        v.string(),
        v.metadata({ format: "date-time", description: "When the stay's box was archived (the last check-out)" }),
      ),
      messages: v.array(VoicemailMessageView),
    }),
  ),
});

const VoicemailDeleted = v.object({
  id: v.string(),
  room: v.string(),
  archived: v.pipe(v.boolean(), v.metadata({ description: "It was in the archive (false: a current stay's)" })),
});

const MessageParams = v.strictObject({
  id: v.pipe(
    v.string(),
    v.regex(MESSAGE_ID_PATTERN, "expected a voicemail message id (24 hex digits)"),
    v.metadata({ examples: ["5f2c0a9d1e3b4c6d7e8f9a0b"] }),
  ),
});

const DAY_OR_INSTANT =
  "A hotel date YYYY-MM-DD (the whole day) or an ISO 8601 date-time with `Z` or an offset; inclusive";

const Bound = v.pipe(
  v.string(),
  v.check((s) => isIsoDate(s) || parseInstant(s) !== undefined, "expected YYYY-MM-DD or an ISO 8601 date-time"),
);

const ArchiveQuery = v.object({
  room: v.optional(RoomNumber),
  checkedOutFrom: v.optional(v.pipe(Bound, v.metadata({ description: `Check-out at or after. ${DAY_OR_INSTANT}` }))),
  checkedOutTo: v.optional(v.pipe(Bound, v.metadata({ description: `Check-out at or before. ${DAY_OR_INSTANT}` }))),
});

/** A bound as epoch ms: a date is its first (from) or last (to) millisecond in the hotel's zone. */
function bound(s: string | undefined, end: "from" | "to", tz: string): number | undefined {
  if (s === undefined) return undefined;
  if (!isIsoDate(s)) return parseInstant(s);
  const [year, month, day] = s.split("-").map(Number);
  if (end === "from") return fromWallTime({ year, month, day, hour: 0, minute: 0, second: 0 }, tz);
  const next = new Date(Date.UTC(year, month - 1, day + 1));
  const w = { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() };
  return fromWallTime({ ...w, hour: 0, minute: 0, second: 0 }, tz) - 1;
}

export function voicemailRoutes(deps: ApiDeps): Route[] {
  const { ctx } = deps;
  const roles = ["admin", "frontdesk"] as const;
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/rooms/{room}/voicemail",
      operationId: "getRoomVoicemail",
      summary: "Guest voicemail of the room's current stay, without audio",
      tag: "voicemail",
      roles,
      params: RoomParams,
      responses: { 200: { description: "Counts and messages", schema: RoomVoicemail } },
      handler: async ({ params }) => ({ body: await roomVoicemail(ctx, params.room) }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/voicemail/archive",
      operationId: "listVoicemailArchive",
      summary: "Voicemail of departed stays, by room and check-out time",
      description:
        "Archived messages are never reachable from a phone. They are kept `voicemail.archiveDays` days " +
        "after the check-out, then purged.",
      tag: "voicemail",
      roles,
      query: ArchiveQuery,
      responses: { 200: { description: "Stays, by room then check-out", schema: VoicemailArchive } },
      handler: async ({ query }) => {
        const from = bound(query.checkedOutFrom, "from", ctx.timezone);
        const to = bound(query.checkedOutTo, "to", ctx.timezone);
        if (from !== undefined && to !== undefined && from > to) {
          throw new AppError("INVALID", "query.checkedOutFrom: after checkedOutTo");
        }
        return { body: await voicemailArchive(ctx, { room: query.room, from, to }) };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/voicemail/messages/{id}/audio",
      operationId: "getVoicemailAudio",
      summary: "An archived message's audio as a WAV file (G.711 as recorded, 8 kHz mono); audited",
      tag: "voicemail",
      roles,
      params: MessageParams,
      responses: {
        200: { description: "The recording", mediaType: "audio/wav" },
        404: { description: "No such message, or its audio is missing (NOT_FOUND)" },
        409: { description: "The message belongs to a current stay or is still being recorded (CONFLICT)" },
      },
      handler: async ({ params, actor }) => {
        const audio = await archivedAudio(ctx, actor, params.id);
        return {
          bytes: audio.bytes,
          contentType: "audio/wav",
          headers: { "Content-Disposition": `inline; filename="voicemail-${params.id}.wav"` },
        };
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/voicemail/messages/{id}",
      operationId: "deleteVoicemailMessage",
      summary: "Delete a message for good (row and audio; GDPR Art. 17); audited",
      description:
        "Archived or of a current stay. A current stay's counts, lamp and PMS count (RE VM) follow. " +
        "A guest's own deletion from the phone only marks the message deleted; this removes it.",
      tag: "voicemail",
      roles,
      params: MessageParams,
      responses: {
        200: { description: "Deleted", schema: VoicemailDeleted },
        404: { description: "No such message (NOT_FOUND)" },
        409: { description: "The message is still being recorded (CONFLICT)" },
      },
      handler: async ({ params, actor }) => ({ body: await eraseVoicemail(ctx, actor, params.id) }),
    }),
  ];
}
