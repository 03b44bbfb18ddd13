/**
 * @module store/metrics-counts
 * What GET /metrics reads from the database, in one pass per scrape. Each count runs on an index
 * (pms_outbox_state, pbx_jobs_link, wakeups_state_due); records in is the inbox's last sequence
 * number, since the inbox only grows, rather than a count over all of it.
 */
import { and, count, inArray, lte, max, sql } from "drizzle-orm";
import type { Queryable } from "./db.ts";
import { pbxJobs, pmsInbox, pmsOutbox, wakeups } from "./schema/index.ts";

export interface StoreCounts {
  /** Records received from the PMS, ever (the inbox's last sequence number). */
  pmsRecordsIn: number;
  /** Records sent to the PMS, ever. */
  pmsRecordsOut: number;
  /** Records waiting to go to the PMS (pending or being sent). */
  pmsOutboxDepth: number;
  pbxJobs: { link: string; state: string; count: number }[];
  wakeups: { state: string; count: number }[];
  /** Open wake-ups whose next call is due now or overdue. */
  wakeupsDue: number;
}

export async function storeCounts(db: Queryable, now: number): Promise<StoreCounts> {
  const [inbox] = await db.select({ last: max(pmsInbox.seq) }).from(pmsInbox);
  const outbox = await db.select({ state: pmsOutbox.state, n: count() }).from(pmsOutbox).groupBy(pmsOutbox.state);
  const jobs = await db
    .select({ link: pbxJobs.link, state: pbxJobs.state, n: count() })
    .from(pbxJobs)
    .groupBy(pbxJobs.link, pbxJobs.state);
  const wake = await db.select({ state: wakeups.state, n: count() }).from(wakeups).groupBy(wakeups.state);
  const [due] = await db
    .select({ n: count() })
    .from(wakeups)
    .where(
      and(
        inArray(wakeups.state, ["pending", "calling"]),
        lte(sql`coalesce(${wakeups.nextAttemptAt}, ${wakeups.dueAt})`, now),
      ),
    );
  const outboxIn = (states: string[]) =>
    outbox.filter((r) => states.includes(r.state)).reduce((sum, r) => sum + r.n, 0);
  return {
    pmsRecordsIn: inbox?.last ?? 0,
    pmsRecordsOut: outboxIn(["sent"]),
    pmsOutboxDepth: outboxIn(["pending", "sending"]),
    pbxJobs: jobs.map((j) => ({ link: j.link, state: j.state, count: j.n })),
    wakeups: wake.map((w) => ({ state: w.state, count: w.n })),
    wakeupsDue: due?.n ?? 0,
  };
}
