import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { FakeClock } from "../../src/lib/clock.ts";
import { toWallTime } from "../../src/lib/zoned-time.ts";
import { fiasDate, fiasTime } from "../../src/pms/fias/datetime.ts";
import { cancelWakeup } from "../../src/services/wakeups.ts";
import type { Store } from "../../src/store/db.ts";
import { pmsOutbox, wakeups } from "../../src/store/schema/index.ts";
import { getWakeup, insertWakeup, openWakeups, type WakeupRow } from "../../src/store/wakeups.ts";
import type { WakeupCall, WakeupCallOutcome, WakeupDialer } from "../../src/wakeup/dialer.ts";
import { nextDailyOccurrence, WakeupScheduler } from "../../src/wakeup/scheduler.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";

const MIN = 60_000;

class FakeDialer implements WakeupDialer {
  busy = 0;
  maxBusy = 0;
  overbooked = 0;
  calls: (WakeupCall & { at: number; attempt: number })[] = [];
  private attempts = new Map<number, number>();
  constructor(
    private readonly clock: FakeClock,
    public ports: number,
    public script: (w: WakeupCall, attempt: number) => WakeupCallOutcome = () => "answered",
    public durationMs = 30_000,
  ) {}
  freePorts(): number {
    return this.ports - this.busy;
  }
  call(w: WakeupCall): Promise<{ outcome: WakeupCallOutcome }> {
    if (this.busy >= this.ports) this.overbooked++;
    this.busy++;
    this.maxBusy = Math.max(this.maxBusy, this.busy);
    const attempt = (this.attempts.get(w.id) ?? 0) + 1;
    this.attempts.set(w.id, attempt);
    this.calls.push({ ...w, at: this.clock.now(), attempt });
    const outcome = this.script(w, attempt);
    return new Promise((resolve) =>
      this.clock.setTimeout(() => {
        this.busy--;
        resolve({ outcome });
      }, this.durationMs),
    );
  }
}

let store: Store;
let cleanup: () => void;
let ctx: TestContext;
let sched: WakeupScheduler | undefined;

beforeEach(async () => {
  ({ store, cleanup } = await tempStore());
  ctx = testContext(store);
});
afterEach(async () => {
  await sched?.stop();
  sched = undefined;
  cleanup();
});

async function settle(): Promise<void> {
  for (let idle = 0; idle < 2; ) {
    await new Promise((r) => setTimeout(r, 0));
    idle = sched && !(await sched.whenIdle()) ? 0 : idle + 1;
  }
}

async function run(ms: number, step = 1000): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    ctx.clock.advance(step);
    await settle();
  }
}

async function add(
  room: string,
  dueAt: number,
  opts: { recurrence?: "once" | "daily"; source?: "pms" | "api" } = {},
): Promise<WakeupRow> {
  const w = toWallTime(dueAt, ctx.timezone);
  const r = await store.tx((tx) =>
    insertWakeup(
      tx,
      {
        room,
        dueAt,
        fiasDate: fiasDate(w),
        fiasTime: fiasTime(w),
        recurrence: opts.recurrence ?? "once",
        source: opts.source ?? "api",
      },
      ctx.clock.now(),
    ),
  );
  return r.row;
}

async function start(dialer: FakeDialer, opts: { lateMinutes?: number; retries?: number } = {}) {
  sched = new WakeupScheduler({ ctx, dialer, pollMs: 5000, ...opts });
  await sched.start();
  await settle();
  return sched;
}

const row = (id: number) => store.read((db) => getWakeup(db, id));
const outbox = () => store.read((db) => db.select().from(pmsOutbox).where(eq(pmsOutbox.type, "WA")));

describe("WakeupScheduler", () => {
  test("places a wake-up when it is due, not before; calling while in flight; OK when answered", async () => {
    const dialer = new FakeDialer(ctx.clock, 4);
    const due = ctx.clock.now() + 10 * MIN;
    const w = await add("101", due);
    await start(dialer);
    await run(9 * MIN);
    expect(dialer.calls).toHaveLength(0);
    await run(MIN + 1000);
    expect(dialer.calls).toHaveLength(1);
    expect(dialer.calls[0].at).toBe(due);
    expect(dialer.calls[0].room).toBe("101");
    expect((await row(w.id))?.state).toBe("calling");
    await run(30_000);
    const done = await row(w.id);
    expect(done?.state).toBe("done");
    expect(done?.result).toBe("OK");
    expect(done?.attempts).toBe(1);
    expect(await outbox()).toHaveLength(0); // not from the PMS: no WA
  });

  test("picks up a wake-up created after start at the next poll", async () => {
    const dialer = new FakeDialer(ctx.clock, 2);
    await start(dialer);
    const w = await add("102", ctx.clock.now() + 2 * MIN);
    await run(3 * MIN);
    expect(dialer.calls.map((c) => c.id)).toEqual([w.id]);
  });

  test("dispatches in due order (ties by id), never more calls than free ports", async () => {
    const dialer = new FakeDialer(ctx.clock, 3);
    const base = ctx.clock.now() + 5 * MIN;
    const rows: WakeupRow[] = [];
    for (let i = 0; i < 10; i++) rows.push(await add(`2${i}`, base + (9 - i) * 1000));
    rows.push(await add("300", base + 9000)); // ties with rows[0], higher id
    rows.push(await add("301", base)); // ties with rows[9]
    await start(dialer);
    await run(10 * MIN);
    const expected = [...rows].sort((a, b) => a.dueAt - b.dueAt || a.id - b.id).map((r) => r.id);
    expect(dialer.calls.map((c) => c.id)).toEqual(expected);
    expect(dialer.maxBusy).toBe(3);
    expect(dialer.overbooked).toBe(0);
  });

  test("300 due in one minute over 24 ports: all placed in due order as ports free up", async () => {
    const dialer = new FakeDialer(ctx.clock, 24, () => "confirmed", 30_000);
    const base = ctx.clock.now() + 10 * MIN;
    const order = Array.from({ length: 300 }, (_, i) => i);
    // Insert in a scrambled order so ids are not due order.
    order.sort((a, b) => ((a * 7919) % 300) - ((b * 7919) % 300));
    const rows: WakeupRow[] = [];
    for (const i of order) rows.push(await add(`${1000 + i}`, base + Math.floor((i * 60_000) / 300)));
    await start(dialer);
    await run(10 * MIN + 8 * MIN);
    expect(dialer.calls).toHaveLength(300);
    const expected = [...rows].sort((a, b) => a.dueAt - b.dueAt || a.id - b.id).map((r) => r.id);
    expect(dialer.calls.map((c) => c.id)).toEqual(expected);
    expect(dialer.maxBusy).toBe(24);
    expect(dialer.overbooked).toBe(0);
    // 300 calls of 30 s over 24 ports: 13 rounds; the last goes within 13 × 30 s of the first due.
    expect(dialer.calls[299].at - base).toBeLessThanOrEqual(13 * 30_000 + 1000);
    const states = await store.read((db) => db.select({ s: wakeups.state, r: wakeups.result }).from(wakeups));
    expect(states.every((s) => s.s === "done" && s.r === "OK")).toBe(true);
  });

  for (const [outcome, code] of [
    ["no-answer", "NR"],
    ["busy", "BY"],
    ["failed", "UR"],
  ] as const) {
    test(`${outcome} is retried, then ends ${code} with exactly one WA for a PMS wake-up`, async () => {
      const dialer = new FakeDialer(ctx.clock, 4, () => outcome, 30_000);
      const due = ctx.clock.now() + MIN;
      const w = await add("110", due, { source: "pms" });
      await start(dialer, { retries: 2 });
      await run(MIN + 31_000);
      const between = await row(w.id);
      expect(between?.state).toBe("pending");
      expect(between?.attempts).toBe(1);
      await run(20 * MIN);
      expect(dialer.calls.map((c) => c.at - due)).toEqual([0, 30_000 + 5 * MIN, 2 * (30_000 + 5 * MIN)]);
      const end = await row(w.id);
      expect(end?.state).toBe("failed");
      expect(end?.result).toBe(code);
      expect(end?.attempts).toBe(3);
      const wa = await outbox();
      expect(wa).toHaveLength(1);
      expect(wa[0].record).toContain(`AS${code}`);
      expect(wa[0].record).toContain(`RN110`);
      expect(wa[0].record).toContain(`DA${w.fiasDate}`);
    });
  }

  test("confirmed after a no-answer ends OK with one WA", async () => {
    const dialer = new FakeDialer(ctx.clock, 1, (_w, n) => (n === 1 ? "no-answer" : "confirmed"));
    const w = await add("111", ctx.clock.now() + MIN, { source: "pms" });
    await start(dialer);
    await run(10 * MIN);
    expect(dialer.calls).toHaveLength(2);
    const end = await row(w.id);
    expect(end?.state).toBe("done");
    expect(end?.result).toBe("OK");
    expect(end?.attempts).toBe(2);
    const wa = await outbox();
    expect(wa).toHaveLength(1);
    expect(wa[0].record).toContain("ASOK");
  });

  test("missed while down: < lateMinutes late is called, more is ended NR (one WA)", async () => {
    const dialer = new FakeDialer(ctx.clock, 4);
    const now = ctx.clock.now();
    const recent = await add("120", now - 10 * MIN, { source: "pms" });
    const old = await add("121", now - 45 * MIN, { source: "pms" });
    // A call in flight when the appliance stopped is pending again.
    const interrupted = await add("122", now - 2 * MIN);
    await store.tx((tx) => tx.update(wakeups).set({ state: "calling" }).where(eq(wakeups.id, interrupted.id)));
    await start(dialer, { lateMinutes: 30 });
    expect(dialer.calls.map((c) => c.id).sort()).toEqual([recent.id, interrupted.id].sort());
    const missed = await row(old.id);
    expect(missed?.state).toBe("failed");
    expect(missed?.result).toBe("NR");
    expect(missed?.attempts).toBe(0);
    await run(MIN);
    expect((await row(recent.id))?.result).toBe("OK");
    expect((await row(interrupted.id))?.result).toBe("OK");
    const wa = await outbox();
    expect(wa.map((r) => r.record.match(/AS(\w+)/)?.[1]).sort()).toEqual(["NR", "OK"]);
  });

  test("daily: the next occurrence is created 24 h later at the same local time", async () => {
    const dialer = new FakeDialer(ctx.clock, 2);
    const due = Date.UTC(2026, 10, 23, 6, 0, 0); // 07:00 in Rome (CET)
    const w = await add("130", due, { recurrence: "daily" });
    expect(w.fiasTime).toBe("070000");
    await start(dialer);
    await run(due - ctx.clock.now() + MIN, 60_000);
    expect((await row(w.id))?.result).toBe("OK");
    const open = await store.read((db) => openWakeups(db, "130"));
    expect(open).toHaveLength(1);
    expect(open[0].dueAt).toBe(due + 86_400_000);
    expect(open[0].recurrence).toBe("daily");
    expect(open[0].fiasDate).toBe("261124");
    expect(open[0].fiasTime).toBe("070000");
    await run(86_400_000, 60_000);
    expect(dialer.calls.map((c) => c.at)).toEqual([due, due + 86_400_000]);
  });

  test("daily across the DST change stays at 07:00 local", async () => {
    ctx.clock = new FakeClock(Date.UTC(2027, 2, 27, 5, 0, 0)); // Sat 27 Mar 2027, 06:00 CET
    const dialer = new FakeDialer(ctx.clock, 1, (_w, n) => (n === 1 ? "no-answer" : "busy"));
    const due = Date.UTC(2027, 2, 27, 6, 0, 0); // 07:00 CET
    const w = await add("131", due, { recurrence: "daily" });
    await start(dialer, { retries: 1 });
    await run(2 * 3_600_000, 60_000);
    expect((await row(w.id))?.result).toBe("BY");
    const open = await store.read((db) => openWakeups(db, "131"));
    expect(open).toHaveLength(1);
    expect(open[0].dueAt).toBe(Date.UTC(2027, 2, 28, 5, 0, 0)); // 07:00 CEST, 23 h later
    expect(toWallTime(open[0].dueAt, "Europe/Rome").hour).toBe(7);
    expect(open[0].fiasDate).toBe("270328");
    expect(open[0].fiasTime).toBe("070000");
  });

  test("nextDailyOccurrence skips days already past", () => {
    const r = { dueAt: Date.UTC(2026, 9, 24, 5, 0), fiasDate: "261024", fiasTime: "070000" };
    // Autumn change on 25 Oct 2026: 07:00 CET is 06:00 UTC.
    expect(nextDailyOccurrence(r, "Europe/Rome", r.dueAt).dueAt).toBe(Date.UTC(2026, 9, 25, 6, 0));
    expect(nextDailyOccurrence(r, "Europe/Rome", Date.UTC(2026, 9, 26, 12, 0)).dueAt).toBe(Date.UTC(2026, 9, 27, 6, 0));
  });

  test("a cancelled wake-up is not called (cancelled before start and while queued)", async () => {
    const dialer = new FakeDialer(ctx.clock, 2);
    const a = await add("140", ctx.clock.now() + 5 * MIN);
    const b = await add("141", ctx.clock.now() + 5 * MIN);
    const c = await add("142", ctx.clock.now() + 5 * MIN);
    await cancelWakeup(ctx, "desk", a.id);
    await start(dialer);
    await run(MIN);
    await cancelWakeup(ctx, "desk", b.id); // the scheduler already holds it
    await run(6 * MIN);
    expect(dialer.calls.map((x) => x.id)).toEqual([c.id]);
    expect((await row(a.id))?.state).toBe("cancelled");
    expect((await row(b.id))?.state).toBe("cancelled");
  });

  test("a room the store does not know is still called, without an extension", async () => {
    const dialer = new FakeDialer(ctx.clock, 1);
    await add("150", ctx.clock.now() + MIN);
    await start(dialer);
    await run(2 * MIN);
    expect(dialer.calls[0].room).toBe("150");
    expect(dialer.calls[0].extension).toBeUndefined();
  });
});
