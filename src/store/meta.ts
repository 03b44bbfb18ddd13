/** @module store/meta: small persisted facts (clean-shutdown flag, resync bookkeeping). */
import { eq } from "drizzle-orm";
import type { Queryable } from "./db.ts";
import { meta } from "./schema/index.ts";

export async function getMeta(db: Queryable, key: string): Promise<string | undefined> {
  const rows = await db.select().from(meta).where(eq(meta.key, key));
  return rows[0]?.value;
}

export async function setMeta(db: Queryable, key: string, value: string): Promise<void> {
  await db.insert(meta).values({ key, value }).onConflictDoUpdate({ target: meta.key, set: { value } });
}
