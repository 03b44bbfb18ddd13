/** @module store/audit: who changed what, with the state before and after. */
import { and, desc, eq, isNull, lt, type SQL } from "drizzle-orm";
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

/**
 * Audits an event that changed nothing and that a peer can repeat at will (a refused phone claim),
 * keeping only the newest `keep` of its action per room (or per no-room): a repeat of one of those
 * (same actor and `after`) replaces it with its `count` raised, so retries and floods cost no space.
 */
export async function writeBoundedAudit(
  db: Queryable,
  e: { actor: string; action: string; room: string | null; after: Record<string, unknown> },
  now: number,
  keep: number,
): Promise<void> {
  const same = and(eq(audit.action, e.action), e.room === null ? isNull(audit.room) : eq(audit.room, e.room));
  const kept = await db.select().from(audit).where(same).orderBy(desc(audit.id)).limit(keep);
  const repeat = kept.find((r) => r.actor === e.actor && sameFields(r.after, e.after));
  const count = repeat ? Number((repeat.after as { count?: number }).count ?? 1) + 1 : 1;
  if (repeat) await db.delete(audit).where(eq(audit.id, repeat.id));
  await writeAudit(db, { ...e, after: { ...e.after, count } }, now);
  const [oldest] = await db
    .select({ id: audit.id })
    .from(audit)
    .where(same)
    .orderBy(desc(audit.id))
    .limit(1)
    .offset(keep - 1);
  if (oldest) await db.delete(audit).where(and(same, lt(audit.id, oldest.id)));
}

function sameFields(stored: unknown, fields: Record<string, unknown>): boolean {
  if (typeof stored !== "object" || stored === null) return false;
  const s = stored as Record<string, unknown>;
  return Object.keys(fields).every((k) => s[k] === fields[k]);
}

/** The newest entries of one action for one room, newest first. */
export async function listAuditOf(db: Queryable, action: string, room: string, limit: number) {
  return db
    .select()
    .from(audit)
    .where(and(eq(audit.action, action), eq(audit.room, room)))
    .orderBy(desc(audit.id))
    .limit(limit);
}
