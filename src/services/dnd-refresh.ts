/**
 * @module services/dnd-refresh
 * DND set on a phone system can lapse (Zoom presence lasts at most 24 h and is re-asserted by the
 * driver from memory). After a restart that memory is gone: every room still in DND gets its DND op
 * again, for each link that handles DND.
 */
import { insertJobs } from "../store/pbx-jobs.ts";
import { dndRooms } from "../store/rooms.ts";
import type { ServiceContext } from "./context.ts";

export async function reassertDnd(ctx: ServiceContext): Promise<{ queued: number }> {
  const links = ctx.pbxLinks().filter((l) => l.capabilities.includes("dnd"));
  if (!links.length) return { queued: 0 };
  const queued = await ctx.store.tx(async (tx) => {
    const rooms = await dndRooms(tx);
    const jobs = links.flatMap((l) =>
      rooms.map((room) => ({
        link: l.name,
        op: "dnd",
        room: room.number,
        payload: { op: "dnd", room: room.number, extension: room.extension, dnd: true },
      })),
    );
    await insertJobs(tx, jobs, ctx.clock.now());
    return jobs.length;
  });
  if (queued) ctx.hooks.pbxJobsQueued();
  return { queued };
}
