/** @module services/audit */
import { isoWithOffset } from "../lib/zoned-time.ts";
import { listAudit, writeAudit } from "../store/audit.ts";
import type { ServiceContext } from "./context.ts";

export async function getAudit(ctx: ServiceContext, q: { room?: string; before?: number; limit?: number }) {
  const rows = await ctx.store.read((db) => listAudit(db, { ...q, limit: Math.min(q.limit ?? 100, 1000) }));
  return rows.map((r) => ({ ...r, at: isoWithOffset(r.at, ctx.timezone) }));
}

/** Records a staff action that changes no room (link settings, refreshes). */
export async function writeAuditEntry(ctx: ServiceContext, e: { actor: string; action: string; after?: unknown }) {
  await ctx.store.tx((tx) => writeAudit(tx, e, ctx.clock.now()));
}
