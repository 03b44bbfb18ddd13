import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const wakeupStates = ["pending", "calling", "done", "failed", "cancelled"] as const;
export const wakeupSources = ["pms", "api", "phone"] as const;
export const wakeupRecurrences = ["once", "daily", "weekdays"] as const;

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
    /** What happens when this occurrence ends: nothing, or the next one is created. */
    recurrence: text("recurrence", { enum: wakeupRecurrences }).notNull().default("once"),
    /** `weekdays` only: the ISO days it rings on, 1 = Monday … 7 = Sunday, ascending. */
    weekdays: text("weekdays", { mode: "json" }).$type<number[]>(),
    /** Last hotel-local date (YYYY-MM-DD, inclusive) a recurring wake-up may ring on; null = no end. */
    until: text("until"),
    /**
     * The series ends with the departure of the room's guests, looked up each time the next
     * occurrence is made (a stay extended at the desk moves the end with it).
     */
    untilDeparture: integer("until_departure", { mode: "boolean" }).notNull().default(false),
    source: text("source", { enum: wakeupSources }).notNull(),
    state: text("state", { enum: wakeupStates }).notNull().default("pending"),
    /** Calls placed to the guest (escalation calls not included). */
    attempts: integer("attempts").notNull().default(0),
    /**
     * Calls in the current series: since the due time or the last snooze, or, while escalating,
     * calls to the front desk. Retries are counted from it.
     */
    tries: integer("tries").notNull().default(0),
    snoozes: integer("snoozes").notNull().default(0),
    /**
     * When the next call is due: the due time, then a retry or a snooze. Persisted so a restart
     * keeps the planned time. Null only on rows written before it existed (read as `dueAt`).
     */
    nextAttemptAt: integer("next_attempt_at"),
    /**
     * The result the guest calls ended with (NR, BY, UR) while the front desk is being called
     * about it; reported once that escalation has ended. Null = not escalating.
     */
    pendingResult: text("pending_result"),
    /** FIAS AS code of the final result (OK, NR, BY, …). */
    result: text("result"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("wakeups_state_due").on(t.state, t.dueAt), index("wakeups_room").on(t.room)],
);

export const wakeupEventTypes = [
  "scheduled",
  "placed",
  "ringing",
  "answered",
  "key",
  "confirmed",
  "snoozed",
  /** Answered, but no key was pressed before the menu ran out or the guest hung up. */
  "no-key",
  "no-answer",
  "busy",
  "failed",
  "retry-scheduled",
  "escalated",
  "escalation-answered",
  "escalation-failed",
  /** A call cut short by a stop of the appliance; it is placed again. */
  "interrupted",
  "missed",
  "moved",
  "reported",
  "cancelled",
] as const;

/** Everything that happened to a wake-up, in order: the front desk's view of each attempt. */
export const wakeupEvents = sqliteTable(
  "wakeup_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    wakeupId: integer("wakeup_id")
      .notNull()
      .references(() => wakeups.id),
    at: integer("at").notNull(),
    event: text("event", { enum: wakeupEventTypes }).notNull(),
    /** The call the event belongs to: the guest attempt, or the escalation call (detail.escalation). */
    attempt: integer("attempt"),
    /** Port, digit, SIP status, planned time… */
    detail: text("detail", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (t) => [index("wakeup_events_wakeup").on(t.wakeupId, t.id)],
);
