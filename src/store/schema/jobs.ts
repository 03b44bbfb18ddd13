import { isNotNull } from "drizzle-orm";
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
    /**
     * The far end's reference for an op it accepted to carry out later (VOIspeed's `request_id`): a
     * failure it reports afterwards names this, and reopens the job (services/pbx-async.ts). Null
     * for ops done at once, and once a late failure has been applied.
     */
    externalRef: text("external_ref"),
    /**
     * What a late failure of this attempt means, by the link's retry policy when it ran: retry after
     * this many ms, or null = the retries are used up (a dead letter).
     */
    lateRetryMs: integer("late_retry_ms"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("pbx_jobs_due").on(t.state, t.nextAttemptAt),
    index("pbx_jobs_link").on(t.link, t.state),
    index("pbx_jobs_external_ref").on(t.link, t.externalRef).where(isNotNull(t.externalRef)),
  ],
);
