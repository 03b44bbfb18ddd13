/**
 * @module services/voicemail-recovery
 * The store side of the start-up reconcile (voicemail/reconcile.ts looks at the files): rows whose
 * file is gone and recordings too short are deleted, recordings a crash cut off are kept as new
 * messages, and every room's voice counts are brought in line with its rows (lamp and RE VM follow).
 */
import type { VoicemailCodec } from "../store/schema/index.ts";
import {
  allVoicemail,
  deleteVoicemail,
  roomsWithWrongVoiceCounts,
  updateVoicemail,
  type VoicemailRow,
} from "../store/voicemail.ts";
import type { ServiceContext } from "./context.ts";
import { inRoomTx } from "./room-change.ts";
import { syncVoiceCounts } from "./voicemail.ts";

export function voicemailRows(ctx: ServiceContext): Promise<VoicemailRow[]> {
  return ctx.store.read((db) => allVoicemail(db));
}

export interface RecoveryPlan {
  /** Rows to delete (their files are the caller's to remove, after this commits). */
  drop: readonly string[];
  /** Recordings cut off by a crash that hold enough sound: now new messages. */
  keep: readonly { id: string; durationMs: number; soundMs: number; codec: VoicemailCodec }[];
}

/** Applies the plan and repairs every room's counts, in one transaction. Returns the rooms corrected. */
export async function applyVoicemailRecovery(ctx: ServiceContext, plan: RecoveryPlan): Promise<string[]> {
  const corrected = await inRoomTx(ctx, async (u) => {
    await deleteVoicemail(u.tx, plan.drop);
    for (const k of plan.keep) {
      await updateVoicemail(u.tx, k.id, {
        state: "new",
        durationMs: k.durationMs,
        soundMs: k.soundMs,
        codec: k.codec,
      });
    }
    const wrong = await roomsWithWrongVoiceCounts(u.tx);
    await u.prefetch(wrong);
    for (const room of wrong) await syncVoiceCounts(ctx, u, room, "voicemail-recovered");
    return wrong;
  });
  if (corrected.length) ctx.hooks.pbxJobsQueued();
  return corrected;
}
