import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const wakeupStates = ["pending", "calling", "done", "failed", "cancelled"] as const;
export const wakeupSources = ["pms", "api", "phone"] as const;

export const wakeups = sqliteTable(
  "wakeups",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    room: text("room").notNull(),
    /** Due time, ms since the epoch. */
    dueAt: integer("due_at").notNull(),
    /** Hotel-local due time as the PMS sent it (FIAS DA/TI), echoed exactly in WA. */
    fiasDate: text("fias_date").notNull(),
    fiasTime: text("fias_time").notNull(),
    recurrence: text("recurrence", { enum: ["once", "daily"] })
      .notNull()
      .default("once"),
    source: text("source", { enum: wakeupSources }).notNull(),
    state: text("state", { enum: wakeupStates }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    /** FIAS AS code of the final result (OK, NR, BY, …). */
    result: text("result"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("wakeups_state_due").on(t.state, t.dueAt), index("wakeups_room").on(t.room)],
);
