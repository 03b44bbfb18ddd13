import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const jobStates = ["pending", "done", "dead", "skipped"] as const;

/** Outgoing actions for the PBX links; one row per link and action. */
export const pbxJobs = sqliteTable(
  "pbx_jobs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    link: text("link").notNull(),
    op: text("op").notNull(),
    room: text("room"),
    payload: text("payload", { mode: "json" }).notNull(),
    state: text("state", { enum: jobStates }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("pbx_jobs_due").on(t.state, t.nextAttemptAt), index("pbx_jobs_link").on(t.link, t.state)],
);
