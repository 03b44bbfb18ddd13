/**
 * @module services/resync
 * FIAS database swap: DS opens a resync, every guest record inside it marks its stay as listed, and
 * DE checks out the stays the PMS no longer lists (a guest missing from a resync has left).
 */
import { and, eq, isNull, ne, or } from "drizzle-orm";
import { checkOut } from "../domain/room.ts";
import type { Tx } from "../store/db.ts";
import { getMeta, setMeta } from "../store/meta.ts";
import type { RoomUnit } from "../store/room-unit.ts";
import { stays } from "../store/schema/index.ts";
import type { ServiceContext } from "./context.ts";
import { changeRoom } from "./room-change.ts";

export interface ResyncState {
  active: boolean;
  id: number;
}

export async function loadResyncState(tx: Tx): Promise<ResyncState> {
  return {
    active: (await getMeta(tx, "resync.active")) === "1",
    id: Number((await getMeta(tx, "resync.id")) ?? "0"),
  };
}

export async function startResync(tx: Tx): Promise<ResyncState> {
  const id = Number((await getMeta(tx, "resync.id")) ?? "0") + 1;
  await setMeta(tx, "resync.id", String(id));
  await setMeta(tx, "resync.active", "1");
  return { active: true, id };
}

/** Returns the number of PBX ops queued by the check-outs. */
export async function finishResync(ctx: ServiceContext, u: RoomUnit, state: ResyncState): Promise<number> {
  if (!state.active) return 0;
  const tx = u.tx;
  // The "listed" marks of this batch are still staged; the query below must see them.
  await u.flush();
  const missing = await tx
    .select({ room: stays.room, reservation: stays.reservation })
    .from(stays)
    .where(and(eq(stays.active, true), or(isNull(stays.resyncSeen), ne(stays.resyncSeen, state.id))));
  await u.prefetch(missing.map((m) => m.room));
  let ops = 0;
  for (const m of missing) {
    const r = await changeRoom(
      ctx,
      u,
      { room: m.room, actor: "pms", action: "checkout-by-resync", create: false },
      (room) => checkOut(room, m.reservation || undefined, ctx.rooms),
    );
    ops += r.ops.length;
  }
  await setMeta(tx, "resync.active", "0");
  await setMeta(tx, "pms.resyncWanted", "0");
  return ops;
}
