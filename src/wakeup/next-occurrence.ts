/**
 * @module wakeup/next-occurrence
 * Storing the next occurrence of a recurring wake-up when one ends. It is inserted before the ended
 * one reports, so a crash between the two cannot lose the series (the insert is idempotent).
 */
import type { Logger } from "../lib/logger.ts";
import { fiasDate, fiasTime } from "../pms/fias/datetime.ts";
import type { ServiceContext } from "../services/context.ts";
import { departureOf } from "../services/wakeups.ts";
import { loadRoom } from "../store/rooms.ts";
import { insertWakeup, type WakeupRow } from "../store/wakeups.ts";
import { nextOccurrence } from "./recurrence.ts";

/** The next occurrence of a recurring wake-up; false when the series has ended. */
export async function scheduleNextOccurrence(
  ctx: ServiceContext,
  cur: WakeupRow,
  now: number,
  log: Logger,
): Promise<boolean> {
  return ctx.store.tx(async (tx) => {
    let last = cur.until ?? undefined;
    if (cur.untilDeparture) {
      // A guest gone or a departure no longer known ends the series: no one to wake.
      const room = await loadRoom(tx, cur.room);
      const departure = room ? departureOf(room.room.guests) : undefined;
      if (!departure) return false;
      if (last === undefined || departure < last) last = departure;
    }
    const next = nextOccurrence(cur, ctx.timezone, now, last);
    if (!next) {
      log.info("recurring wake-up ended", { id: cur.id, room: cur.room, until: last });
      return false;
    }
    await insertWakeup(
      tx,
      {
        room: cur.room,
        dueAt: next.dueAt,
        fiasDate: fiasDate(next.wall),
        fiasTime: fiasTime(next.wall),
        recurrence: cur.recurrence,
        source: cur.source,
        weekdays: cur.weekdays,
        until: cur.until,
        untilDeparture: cur.untilDeparture,
      },
      now,
      { after: cur.id },
    );
    return true;
  });
}
