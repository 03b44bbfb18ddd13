/** @module store/tokens: API bearer tokens, stored as SHA-256 hashes. */
import { createHash, randomBytes } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import type { Queryable } from "./db.ts";
import { type roles, tokens } from "./schema/index.ts";

export type Role = (typeof roles)[number];

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Returns the token in clear: the only time it exists outside the caller's hands. */
export async function createToken(db: Queryable, name: string, role: Role, now: number): Promise<string> {
  const token = `bh_${randomBytes(24).toString("base64url")}`;
  await db.insert(tokens).values({ name, role, hash: hashToken(token), createdAt: now });
  return token;
}

export async function findToken(db: Queryable, token: string): Promise<{ name: string; role: Role } | undefined> {
  const [r] = await db
    .select({ name: tokens.name, role: tokens.role })
    .from(tokens)
    .where(and(eq(tokens.hash, hashToken(token)), isNull(tokens.revokedAt)));
  return r;
}
