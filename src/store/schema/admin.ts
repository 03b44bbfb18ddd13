import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const audit = sqliteTable(
  "audit",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
    /** pms, api:<token name>, system, phone. */
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    room: text("room"),
    before: text("before", { mode: "json" }),
    after: text("after", { mode: "json" }),
  },
  (t) => [index("audit_room").on(t.room), index("audit_at").on(t.at)],
);

export const roles = ["admin", "frontdesk", "housekeeping", "installer"] as const;

export const tokens = sqliteTable("tokens", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  role: text("role", { enum: roles }).notNull(),
  /** SHA-256 of the token; the token itself is shown once and never stored. */
  hash: text("hash").notNull().unique(),
  createdAt: integer("created_at").notNull(),
  revokedAt: integer("revoked_at"),
});

/** Small facts that must survive a restart: clean shutdown flag, pending resync, last resync id. */
export const meta = sqliteTable("meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});
