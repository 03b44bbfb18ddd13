/**
 * Test helpers for guest voicemail: message WAV files as the recorder leaves them, deposits through
 * the service, FIAS records through the ingest path, and what went to the PMS and the PBX links.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { asc, eq } from "drizzle-orm";
import { recordFromText, serializeRecord } from "../../src/pms/fias/record.ts";
import type { ServiceContext } from "../../src/services/context.ts";
import type { PmsIngest } from "../../src/services/pms-ingest.ts";
import { finishDeposit, openDeposit } from "../../src/services/voicemail.ts";
import { loadRoom } from "../../src/store/rooms.ts";
import { audit, pbxJobs, pmsOutbox, voicemailMessages } from "../../src/store/schema/index.ts";

/** A G.711 WAV of `seconds` of a tone (format 7 μ-law or 6 A-law, 8 kHz mono, with a fact chunk). */
export function messageWav(seconds: number, codec: "PCMU" | "PCMA" = "PCMU"): Uint8Array {
  const n = Math.round(seconds * 8000);
  const out = new Uint8Array(58 + n + (n % 2));
  const v = new DataView(out.buffer);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  ascii(0, "RIFF");
  v.setUint32(4, out.length - 8, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  v.setUint32(16, 18, true);
  v.setUint16(20, codec === "PCMU" ? 7 : 6, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, 8000, true);
  v.setUint32(28, 8000, true);
  v.setUint16(32, 1, true);
  v.setUint16(34, 8, true);
  v.setUint16(36, 0, true);
  ascii(38, "fact");
  v.setUint32(42, 4, true);
  v.setUint32(46, n, true);
  ascii(50, "data");
  v.setUint32(54, n, true);
  for (let i = 0; i < n; i++) out[58 + i] = i % 8 < 4 ? 0x20 : 0xa0;
  return out;
}

export function writeMessageFile(path: string, seconds: number, codec: "PCMU" | "PCMA" = "PCMU"): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, messageWav(seconds, codec));
}

/** A whole deposit as a call flow makes it: open, the recorder's file, finish. Returns the id. */
export async function deposit(
  ctx: ServiceContext,
  room: string,
  opts: { seconds?: number; soundSeconds?: number; caller?: string; codec?: "PCMU" | "PCMA" } = {},
): Promise<string> {
  const seconds = opts.seconds ?? 5;
  const opened = await openDeposit(ctx, room, { caller: opts.caller ?? "+390612345" });
  assert.ok(opened.ok, `deposit for room ${room} opened`);
  writeMessageFile(opened.path, seconds, opts.codec);
  const soundMs = (opts.soundSeconds ?? seconds) * 1000;
  const r = await finishDeposit(ctx, opened.messageId, {
    durationMs: seconds * 1000,
    soundMs,
    codec: opts.codec ?? "PCMU",
  });
  assert.equal(r.kept, soundMs >= ctx.voicemail.minSeconds * 1000);
  return opened.messageId;
}

/** Feeds FIAS records as the link would and waits until they are applied. */
export async function feed(ingest: PmsIngest, ...texts: string[]): Promise<void> {
  for (const text of texts) {
    const rec = recordFromText(text);
    ingest.receive(rec, serializeRecord(rec));
  }
  await ingest.idle();
}

export async function roomOf(ctx: ServiceContext, number: string) {
  const s = await ctx.store.read((db) => loadRoom(db, number));
  assert.ok(s, `room ${number} exists`);
  return s.room;
}

/** Records queued for the PMS, oldest first. */
export async function outbox(ctx: ServiceContext): Promise<string[]> {
  const rows = await ctx.store.read((db) => db.select().from(pmsOutbox).orderBy(asc(pmsOutbox.id)));
  return rows.map((r) => r.record);
}

/** RE VM records queued for the PMS (the voice counts), oldest first. */
export async function voiceReports(ctx: ServiceContext): Promise<string[]> {
  return (await outbox(ctx)).filter((r) => r.startsWith("RE|") && r.includes("|VM"));
}

/** Lamp ops queued for a link, oldest first, as [room, count, old]. */
export async function lampJobs(ctx: ServiceContext, link = "sip-mwi"): Promise<[string, number, number][]> {
  const rows = await ctx.store.read((db) =>
    db.select().from(pbxJobs).where(eq(pbxJobs.link, link)).orderBy(asc(pbxJobs.id)),
  );
  return rows
    .filter((j) => j.op === "lamp")
    .map((j) => {
      const p = j.payload as { room: string; count: number; old?: number };
      return [p.room, p.count, p.old ?? 0];
    });
}

export async function messageRows(ctx: ServiceContext) {
  return ctx.store.read((db) => db.select().from(voicemailMessages).orderBy(asc(voicemailMessages.receivedAt)));
}

export async function auditOf(ctx: ServiceContext, action: string) {
  return ctx.store.read((db) => db.select().from(audit).where(eq(audit.action, action)).orderBy(asc(audit.id)));
}
