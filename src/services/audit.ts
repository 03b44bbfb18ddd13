/** @module services/audit */
import { isoWithOffset } from "../lib/zoned-time.ts";
import { listAudit } from "../store/audit.ts";
import type { ServiceContext } from "./context.ts";

export async function getAudit(ctx: ServiceContext, q: { room?: string; before?: number; limit?: number }) {
  const rows = await ctx.store.read((db) => listAudit(db, { ...q, limit: Math.min(q.limit ?? 100, 1000) }));
  return rows.map((r) => ({ ...r, at: isoWithOffset(r.at, ctx.timezone) }));
}
