import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** posted: a posting was made (or existed already); free: the tariff charges nothing; skipped: not charged for another reason. */
export const callChargeOutcomes = ["posted", "free", "skipped"] as const;

/**
 * Which completed call records call charging has considered, and what it decided: one row per call
 * record, written once the posting is stored (the posting is unique by its call record, so a crash in
 * between finds the same posting again). The sweep after a restart takes the done records without a
 * row, so a call is neither charged twice nor forgotten, and staff can see why a call was not charged.
 */
export const callCharges = sqliteTable("call_charges", {
  /** The call record (call_records.id). */
  callRecordId: integer("call_record_id").primaryKey(),
  outcome: text("outcome", { enum: callChargeOutcomes }).notNull(),
  /** Why a call was free or skipped (`internal`, `no-tariff-line`, `vacant`, …); null when posted. */
  reason: text("reason"),
  postingId: integer("posting_id"),
  decidedAt: integer("decided_at").notNull(),
});
