/**
 * @module services/mwi
 * Message-lamp refresh: a lamp job for every room whose phone is known, so phones that missed a
 * change (appliance restart, phone reboot) show the right lamp, with the voicemail counts the phone
 * shows (Voice-Message new/old). The `sip-mwi` link paces them.
 */
import { lampOf } from "../domain/pbx-ops.ts";
import { writeAudit } from "../store/audit.ts";
import { insertJobs } from "../store/pbx-jobs.ts";
import { listRooms } from "../store/rooms.ts";
import type { ServiceContext } from "./context.ts";
import { MWI_LINK } from "./mwi-link.ts";

export async function refreshMwi(ctx: ServiceContext, actor: string): Promise<{ queued: number }> {
  if (!ctx.pbxLinks().some((l) => l.name === MWI_LINK)) return { queued: 0 };
  const queued = await ctx.store.tx(async (tx) => {
    const rooms = (await listRooms(tx)).filter((r) => r.phone.address);
    const now = ctx.clock.now();
    await insertJobs(
      tx,
      rooms.map(({ room }) => ({
        link: MWI_LINK,
        op: "lamp",
        room: room.number,
        payload: { op: "lamp", room: room.number, extension: room.extension, ...lampOf(room) },
      })),
      now,
    );
    await writeAudit(tx, { actor, action: "mwi-refresh", after: { rooms: rooms.length } }, now);
    return rooms.length;
  });
  if (queued) ctx.hooks.pbxJobsQueued();
  return { queued };
}
