/**
 * @module services/voicemail
 * The guest mailbox as the call flows use it: open a deposit (a `recording` row from the first byte,
 * so a crash leaves something the next start can finish), finish it, read the box, save and delete
 * messages, the PIN. Only the current stay is reachable here: archived messages never reach a phone.
 * Every change of the counts goes through the room change path, so the lamp (PBX jobs) and the PMS
 * (RE VM) follow in the same commit.
 */
import { AppError } from "../lib/errors.ts";
import type { RoomUnit } from "../store/room-unit.ts";
import { loadRoom } from "../store/rooms.ts";
import type { VoicemailCodec } from "../store/schema/index.ts";
import {
  currentVoicemail,
  deleteVoicemail,
  getVoicemail,
  insertVoicemail,
  pinHashOf,
  setPinHash,
  updateVoicemail,
  type VoicemailRow,
  voicemailCounts,
} from "../store/voicemail.ts";
import type { ServiceContext } from "./context.ts";
import { changeRoom, inRoomTx } from "./room-change.ts";
import {
  absolutePath,
  ensureMessagesDir,
  freeBytes,
  messageFile,
  newMessageId,
  unlinkMessageFiles,
} from "./voicemail-files.ts";
import { hashPin, PIN_PATTERN, verifyPin } from "./voicemail-pin.ts";

/** The actor of changes made from a phone (a caller leaving a message, the guest in the menu). */
const ACTOR = "voicemail";

export type DepositOpened =
  | { ok: true; messageId: string /** absolute; the recorder writes the WAV here */; path: string }
  | { ok: false; reason: "vacant" | "disk-full" };

/**
 * Starts a message for `room`. Refused for a room without a checked-in guest (nobody's box to fill)
 * and when the data folder has less than `voicemail.minFreeMb` free: another guest's messages are
 * never evicted to make room.
 */
export async function openDeposit(ctx: ServiceContext, room: string, opts: { caller: string }): Promise<DepositOpened> {
  // Vacant first: it is the more useful answer when both hold, and it needs no disk.
  if (!(await ctx.store.read((db) => loadRoom(db, room)))?.room.occupied) return { ok: false, reason: "vacant" };
  const dir = await ensureMessagesDir(ctx);
  let free: number | undefined;
  try {
    free = await freeBytes(dir);
  } catch (err) {
    // Not knowing is no reason to turn a caller away; the write itself fails if the disk is full.
    ctx.logger.warn("cannot read the free space of the voicemail folder", { error: String(err) });
  }
  if (free !== undefined && free < ctx.voicemail.minFreeMb * 1024 * 1024) {
    ctx.logger.warn("voicemail deposit refused: disk nearly full", {
      room,
      freeMb: Math.floor(free / 1024 / 1024),
      minFreeMb: ctx.voicemail.minFreeMb,
    });
    return { ok: false, reason: "disk-full" };
  }
  const id = newMessageId();
  const file = messageFile(id);
  const opened = await ctx.store.tx(async (tx) => {
    // Again inside the transaction: a check-out may have come in meanwhile.
    const s = await loadRoom(tx, room);
    if (!s?.room.occupied) return false;
    await insertVoicemail(tx, {
      id,
      room,
      state: "recording",
      reservation: s.room.guests.map((g) => g.reservation).join(","),
      receivedAt: ctx.clock.now(),
      caller: opts.caller,
      file,
    });
    return true;
  });
  if (!opened) return { ok: false, reason: "vacant" };
  return { ok: true, messageId: id, path: absolutePath(ctx, file) };
}

export interface RecordingFacts {
  durationMs: number;
  soundMs: number;
  codec: VoicemailCodec;
}

/**
 * The recording ended and its file is complete. Kept as a new message (counted: lamp, RE VM) when it
 * holds `voicemail.minSeconds` of sound, else row and file go. A room checked out meanwhile keeps it
 * in the archive with the stay it was left for; a message erased meanwhile (staff, purge) stays gone.
 */
export async function finishDeposit(
  ctx: ServiceContext,
  messageId: string,
  facts: RecordingFacts,
): Promise<{ kept: boolean }> {
  const keep = facts.soundMs >= ctx.voicemail.minSeconds * 1000;
  const r = await inRoomTx(ctx, async (u) => {
    const row = await getVoicemail(u.tx, messageId);
    if (!row) return { kept: false, unlink: messageFile(messageId) };
    if (row.state !== "recording") return { kept: true, unlink: undefined };
    if (!keep) {
      await deleteVoicemail(u.tx, [row.id]);
      return { kept: false, unlink: row.file };
    }
    const { durationMs, soundMs, codec } = facts;
    await updateVoicemail(u.tx, row.id, { state: "new", durationMs, soundMs, codec });
    if (row.archivedAt === null) await syncVoiceCounts(ctx, u, row.room, "voicemail-deposit");
    return { kept: true, unlink: undefined };
  });
  if (r.unlink) await unlinkMessageFiles(ctx, [r.unlink]);
  ctx.hooks.pbxJobsQueued();
  return { kept: r.kept };
}

export interface MailboxMessage {
  id: string;
  /** Epoch ms. */
  receivedAt: number;
  durationMs: number;
  caller: string;
  state: "new" | "saved";
}

export interface Mailbox {
  room: string;
  /** A guest is checked in (a vacant room's box takes no deposit: the caller goes to the operator). */
  occupied: boolean;
  /** FIAS GL of the first guest ("" when the PMS sent none). */
  language: string;
  new: number;
  saved: number;
  /** A PMS text message waits at the front desk (FIAS XL, RE ML). */
  textWaiting: boolean;
  hasPin: boolean;
  /** The current stay's messages: new first, then saved, oldest first within each. */
  messages: MailboxMessage[];
}

export async function mailboxOf(ctx: ServiceContext, room: string): Promise<Mailbox> {
  return ctx.store.read(async (db) => {
    const s = await loadRoom(db, room);
    if (!s) throw new AppError("NOT_FOUND", `room ${room} is not defined`);
    const messages = (await currentVoicemail(db, room)).filter(playable).map((m) => ({
      id: m.id,
      receivedAt: m.receivedAt,
      durationMs: m.durationMs,
      caller: m.caller,
      state: m.state as MailboxMessage["state"],
    }));
    return {
      room,
      occupied: s.room.occupied,
      language: s.room.guests[0]?.language ?? "",
      new: messages.filter((m) => m.state === "new").length,
      saved: messages.filter((m) => m.state === "saved").length,
      textWaiting: s.room.messageLamp > 0,
      hasPin: (await pinHashOf(db, room)) !== null,
      messages,
    };
  });
}

/** The file to play for a message of the room's current stay. */
export async function messageAudio(
  ctx: ServiceContext,
  room: string,
  id: string,
): Promise<{ codec: VoicemailCodec; path: string }> {
  const row = await ctx.store.read((db) => getVoicemail(db, id));
  const m = currentOf(row, room, id);
  return { codec: m.codec, path: absolutePath(ctx, m.file) };
}

/** The guest keeps the message: no longer new (the lamp counts down), still in the box. */
export function saveMessage(ctx: ServiceContext, room: string, id: string): Promise<void> {
  return guestChange(ctx, room, id, "saved", "voicemail-save");
}

/**
 * The guest deletes the message: never counted nor played again, but archived with the stay (staff
 * may still need it, as with DuVoice); staff deletion is what removes it for good.
 */
export function deleteMessage(ctx: ServiceContext, room: string, id: string): Promise<void> {
  return guestChange(ctx, room, id, "deleted", "voicemail-delete");
}

async function guestChange(
  ctx: ServiceContext,
  room: string,
  id: string,
  state: "saved" | "deleted",
  action: string,
): Promise<void> {
  await inRoomTx(ctx, async (u) => {
    const m = currentOf(await getVoicemail(u.tx, id), room, id);
    if (m.state === state) return;
    await updateVoicemail(u.tx, id, { state });
    await syncVoiceCounts(ctx, u, room, action);
  });
  ctx.hooks.pbxJobsQueued();
}

/** Sets the guest's PIN (4–10 digits) for the current stay; it is reset when the stay ends. */
export async function setPin(ctx: ServiceContext, room: string, pin: string): Promise<void> {
  if (!PIN_PATTERN.test(pin)) throw new AppError("INVALID", "a PIN is 4 to 10 digits");
  const hash = await hashPin(pin);
  await ctx.store.tx(async (tx) => {
    const s = await loadRoom(tx, room);
    if (!s) throw new AppError("NOT_FOUND", `room ${room} is not defined`);
    if (!s.room.occupied) throw new AppError("CONFLICT", `room ${room} has no guest checked in`);
    await setPinHash(tx, room, hash, ctx.clock.now());
  });
  // The PIN itself is never logged, not even as a hash.
  ctx.logger.info("voicemail PIN set", { room });
}

export async function checkPin(ctx: ServiceContext, room: string, pin: string): Promise<"ok" | "wrong" | "no-pin"> {
  const stored = await ctx.store.read((db) => pinHashOf(db, room));
  if (stored === null) return "no-pin";
  return (await verifyPin(pin, stored)) ? "ok" : "wrong";
}

/**
 * Brings the room's voice counts in line with its current-stay rows, through the room change path:
 * the lamp op and RE VM follow when they changed. For use inside a room transaction.
 */
export async function syncVoiceCounts(
  ctx: ServiceContext,
  u: RoomUnit,
  room: string,
  action: string,
  actor = ACTOR,
): Promise<void> {
  if (!(await u.get(room))) return;
  const c = await voicemailCounts(u.tx, room);
  await changeRoom(ctx, u, { room, actor, action, create: false }, (r) =>
    r.voiceNew === c.new && r.voiceSaved === c.saved ? r : { ...r, voiceNew: c.new, voiceSaved: c.saved },
  );
}

function playable(m: VoicemailRow): boolean {
  return m.state === "new" || m.state === "saved";
}

/** The message, if it is a new or saved one of the room's current stay; anything else is not found. */
function currentOf(row: VoicemailRow | undefined, room: string, id: string): VoicemailRow {
  if (!row || row.room !== room || row.archivedAt !== null || !playable(row)) {
    throw new AppError("NOT_FOUND", `no message ${id} in room ${room}'s mailbox`);
  }
  return row;
}
