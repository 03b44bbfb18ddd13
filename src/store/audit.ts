/** @module store/audit: who changed what, with the state before and after. */
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { Queryable } from "./db.ts";
import { audit } from "./schema/index.ts";

export interface AuditEntry {
  actor: string;
  action: string;
  room?: string | null;
  before?: unknown;
  after?: unknown;
}

export async function writeAudit(db: Queryable, e: AuditEntry, now: number): Promise<void> {
  await db.insert(audit).values({
    at: now,
    actor: e.actor,
    action: e.action,
    room: e.room ?? null,
    before: e.before ?? null,
    after: e.after ?? null,
  });
}

export async function listAudit(db: Queryable, q: { room?: string; before?: number; limit: number }) {
  const where: SQL[] = [];
  if (q.room) where.push(eq(audit.room, q.room));
  if (q.before) where.push(lt(audit.id, q.before));
  return db
    .select()
    .from(audit)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(audit.id))
    .limit(q.limit);
}
