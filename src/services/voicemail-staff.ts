/**
 * @module services/voicemail-staff
 * Guest voicemail for the staff API: the current stay's list (no audio), the archive of departed
 * stays and its audio, deletion for good (GDPR Art. 17) and the purge of expired archives. Every
 * listen, deletion and purge leaves an audit row (who, when, which message).
 */
import { readFile } from "node:fs/promises";
import { AppError } from "../lib/errors.ts";
import { isoWithOffset } from "../lib/zoned-time.ts";
import { writeAudit } from "../store/audit.ts";
import { loadRoom } from "../store/rooms.ts";
import type { VoicemailCodec, VoicemailState } from "../store/schema/index.ts";
import {
  type ArchiveQuery,
  archivedVoicemail,
  currentVoicemail,
  deleteVoicemail,
  expiredVoicemail,
  getVoicemail,
  type VoicemailRow,
} from "../store/voicemail.ts";
import type { ServiceContext } from "./context.ts";
import { inRoomTx } from "./room-change.ts";
import { syncVoiceCounts } from "./voicemail.ts";
import { absolutePath, isNotFound, unlinkMessageFiles } from "./voicemail-files.ts";

const DAY_MS = 86_400_000;

export interface StaffMessageView {
  id: string;
  /** ISO 8601 with the hotel's offset. */
  receivedAt: string;
  durationMs: number;
  caller: string;
  state: Exclude<VoicemailState, "recording">;
}

function view(ctx: ServiceContext, m: VoicemailRow): StaffMessageView {
  return {
    id: m.id,
    receivedAt: isoWithOffset(m.receivedAt, ctx.timezone),
    durationMs: m.durationMs,
    caller: m.caller,
    state: m.state as StaffMessageView["state"],
  };
}

/**
 * The room's current stay as the front desk sees it: counts and messages (deleted ones included, as
 * they will be archived; one still being recorded is no message yet).
 */
export async function roomVoicemail(ctx: ServiceContext, room: string) {
  return ctx.store.read(async (db) => {
    const s = await loadRoom(db, room);
    if (!s) throw new AppError("NOT_FOUND", `room ${room} is not defined`);
    const rows = (await currentVoicemail(db, room)).filter((m) => m.state !== "recording");
    return {
      new: rows.filter((m) => m.state === "new").length,
      saved: rows.filter((m) => m.state === "saved").length,
      messages: rows.map((m) => view(ctx, m)),
    };
  });
}

export interface ArchivedStay {
  room: string;
  /** The G#s in the room when its messages were left (comma-separated); "" for a room-based PMS. */
  reservation: string;
  checkedOutAt: string;
  messages: StaffMessageView[];
}

/** Departed stays with their messages, by room and check-out time (epoch ms bounds, inclusive). */
export async function voicemailArchive(ctx: ServiceContext, q: ArchiveQuery): Promise<{ stays: ArchivedStay[] }> {
  const rows = await ctx.store.read((db) => archivedVoicemail(db, q));
  // A stay is the messages one archiving moved out of a room: same room, same archived_at.
  const stays: { room: string; at: number; reservations: string[]; messages: StaffMessageView[] }[] = [];
  for (const m of rows) {
    let stay = stays.at(-1);
    const at = m.archivedAt ?? 0;
    if (!stay || stay.room !== m.room || stay.at !== at) {
      stay = { room: m.room, at, reservations: [], messages: [] };
      stays.push(stay);
    }
    for (const r of m.reservation.split(",")) if (r && !stay.reservations.includes(r)) stay.reservations.push(r);
    stay.messages.push(view(ctx, m));
  }
  return {
    stays: stays.map((s) => ({
      room: s.room,
      reservation: s.reservations.join(","),
      checkedOutAt: isoWithOffset(s.at, ctx.timezone),
      messages: s.messages,
    })),
  };
}

/**
 * An archived message's audio for staff, audited. A message of a current stay is the guest's to
 * hear, not the front desk's (409), as is one still being recorded.
 */
export async function archivedAudio(
  ctx: ServiceContext,
  actor: string,
  id: string,
): Promise<{ codec: VoicemailCodec; bytes: Uint8Array<ArrayBuffer> }> {
  const row = await ctx.store.read((db) => getVoicemail(db, id));
  if (!row) throw new AppError("NOT_FOUND", `no voicemail message ${id}`);
  if (row.state === "recording") throw new AppError("CONFLICT", `message ${id} is still being recorded`);
  if (row.archivedAt === null) {
    throw new AppError(
      "CONFLICT",
      `message ${id} belongs to the current stay in room ${row.room}; only archived messages can be played`,
    );
  }
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(await readFile(absolutePath(ctx, row.file)));
  } catch (err) {
    if (!isNotFound(err)) throw err;
    ctx.logger.warn("voicemail file missing", { id, file: row.file });
    throw new AppError("NOT_FOUND", `the audio of message ${id} is missing`);
  }
  await ctx.store.tx((tx) =>
    writeAudit(tx, { actor, action: "voicemail-listen", room: row.room, after: { messageId: id } }, ctx.clock.now()),
  );
  return { codec: row.codec, bytes };
}

/**
 * Staff deletion: row and file removed for good, audited. A message of the current stay may go too
 * (the counts, lamp and PMS follow); one still being recorded cannot (409).
 */
export async function eraseVoicemail(
  ctx: ServiceContext,
  actor: string,
  id: string,
): Promise<{ id: string; room: string; archived: boolean }> {
  const gone = await inRoomTx(ctx, async (u) => {
    const row = await getVoicemail(u.tx, id);
    if (!row) throw new AppError("NOT_FOUND", `no voicemail message ${id}`);
    if (row.state === "recording") throw new AppError("CONFLICT", `message ${id} is still being recorded`);
    await deleteVoicemail(u.tx, [id]);
    const archived = row.archivedAt !== null;
    u.audit({
      actor,
      action: "voicemail-erase",
      room: row.room,
      before: { messageId: id, state: row.state, archived, receivedAt: row.receivedAt },
    });
    // The room's own audit row (counts before/after) names who made the change as well.
    if (!archived) await syncVoiceCounts(ctx, u, row.room, "voicemail-counts", actor);
    return { id, room: row.room, archived, file: row.file };
  });
  await unlinkMessageFiles(ctx, [gone.file]);
  ctx.hooks.pbxJobsQueued();
  return { id, room: gone.room, archived: gone.archived };
}

/**
 * Deletes archived messages whose stay ended `voicemail.archiveDays` or more ago: rows in one
 * transaction with one audit row, then the files. Returns how many went.
 */
export async function purgeExpiredVoicemail(ctx: ServiceContext, actor = "system"): Promise<number> {
  const now = ctx.clock.now();
  const cutoff = now - ctx.voicemail.archiveDays * DAY_MS;
  const rows = await ctx.store.tx(async (tx) => {
    const due = await expiredVoicemail(tx, cutoff);
    if (!due.length) return due;
    await deleteVoicemail(
      tx,
      due.map((m) => m.id),
    );
    await writeAudit(
      tx,
      {
        actor,
        action: "voicemail-purge",
        after: {
          messages: due.length,
          archivedUpTo: isoWithOffset(cutoff, ctx.timezone),
          archiveDays: ctx.voicemail.archiveDays,
          ids: due.map((m) => m.id),
        },
      },
      now,
    );
    return due;
  });
  if (rows.length) {
    await unlinkMessageFiles(
      ctx,
      rows.map((m) => m.file),
    );
    ctx.logger.info("expired voicemail purged", { messages: rows.length, archiveDays: ctx.voicemail.archiveDays });
  }
  return rows.length;
}
