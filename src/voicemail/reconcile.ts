/**
 * @module voicemail/reconcile
 * Start-up repair of the voicemail folder against its rows, before any call is answered. Rows are the
 * truth and are always deleted before their files, so a crash leaves at worst:
 * - a file without a row (a purge, an erase or a short recording between commit and unlink): removed;
 * - a row whose file is gone (a disk restored from an older backup, a hand-removed file): deleted;
 * - a row still `recording` (the appliance died mid-message): its WAV header is finalized by the
 *   recorder's `recoverRecording`, and the message kept as new (counted, lamp, RE VM) when it holds
 *   `voicemail.minSeconds` of sound, else deleted with its file.
 * Then every room's voice counts are set from its rows. Both kinds of repair are logged.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage } from "../lib/errors.ts";
import type { ServiceContext } from "../services/context.ts";
import { absolutePath, isNotFound, MESSAGES_DIR, unlinkMessageFiles } from "../services/voicemail-files.ts";
import { applyVoicemailRecovery, type RecoveryPlan, voicemailRows } from "../services/voicemail-recovery.ts";

/**
 * Finalizes the WAV header of a recording cut short (voice/recorder.ts); undefined = unreadable.
 * Injected so the store side does not depend on the recorder's module.
 */
export type RecoverRecording = (
  path: string,
) => { durationMs: number; soundMs: number; codec: "PCMU" | "PCMA" } | undefined;

export interface ReconcileReport {
  /** Files removed: no row named them. Paths relative to the voicemail folder. */
  orphanFiles: string[];
  /** Rows deleted: their file was gone. */
  missingFiles: string[];
  /** Recordings cut off by a crash and kept as new messages (ids). */
  recovered: string[];
  /** Recordings cut off by a crash and dropped: too little sound, or unreadable (ids). */
  discarded: string[];
  /** Rooms whose voice counts disagreed with their rows and were corrected. */
  roomsCorrected: string[];
}

export async function reconcileVoicemail(
  ctx: ServiceContext,
  recoverRecording: RecoverRecording,
): Promise<ReconcileReport> {
  const log = ctx.logger.child({ component: "voicemail" });
  const rows = await voicemailRows(ctx);
  const report: ReconcileReport = {
    orphanFiles: [],
    missingFiles: [],
    recovered: [],
    discarded: [],
    roomsCorrected: [],
  };

  const known = new Set(rows.map((r) => r.file));
  for (const name of await listMessageFiles(ctx)) {
    const file = `${MESSAGES_DIR}/${name}`;
    if (!known.has(file)) report.orphanFiles.push(file);
  }

  const drop: string[] = [];
  const dropFiles: string[] = [];
  const keep: RecoveryPlan["keep"][number][] = [];
  const minSoundMs = ctx.voicemail.minSeconds * 1000;
  for (const r of rows) {
    const path = absolutePath(ctx, r.file);
    if (!(await exists(path))) {
      drop.push(r.id);
      report.missingFiles.push(r.id);
      continue;
    }
    if (r.state !== "recording") continue;
    let facts: ReturnType<RecoverRecording>;
    try {
      facts = recoverRecording(path);
    } catch (err) {
      log.warn("interrupted voicemail recording unreadable", { id: r.id, error: errorMessage(err) });
      facts = undefined;
    }
    if (facts && facts.soundMs >= minSoundMs) {
      keep.push({ id: r.id, durationMs: facts.durationMs, soundMs: facts.soundMs, codec: facts.codec });
      report.recovered.push(r.id);
    } else {
      drop.push(r.id);
      dropFiles.push(r.file);
      report.discarded.push(r.id);
    }
  }

  report.roomsCorrected = await applyVoicemailRecovery(ctx, { drop, keep });
  // Files go only once their rows are committed away.
  await unlinkMessageFiles(ctx, [...report.orphanFiles, ...dropFiles]);

  if (report.orphanFiles.length) {
    log.warn("voicemail files without a message removed", { files: report.orphanFiles });
  }
  if (report.missingFiles.length) {
    log.warn("voicemail messages whose file is gone removed", { ids: report.missingFiles });
  }
  if (report.recovered.length) {
    log.info("voicemail recordings interrupted by a stop kept", { ids: report.recovered });
  }
  if (report.discarded.length) {
    log.info("voicemail recordings interrupted by a stop dropped (too short or unreadable)", {
      ids: report.discarded,
    });
  }
  if (report.roomsCorrected.length)
    log.warn("voice counts corrected from the messages", { rooms: report.roomsCorrected });
  return report;
}

async function listMessageFiles(ctx: ServiceContext): Promise<string[]> {
  const dir = join(ctx.voicemailDir, MESSAGES_DIR);
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => e.name);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
