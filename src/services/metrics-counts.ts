/** @module services/metrics-counts: the database's share of GET /metrics (store/metrics-counts.ts). */
import { type StoreCounts, storeCounts } from "../store/metrics-counts.ts";
import type { ServiceContext } from "./context.ts";

export type { StoreCounts };

export function readStoreCounts(ctx: Pick<ServiceContext, "store" | "clock">): Promise<StoreCounts> {
  return ctx.store.read((db) => storeCounts(db, ctx.clock.now()));
}
