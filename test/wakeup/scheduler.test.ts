import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { asc, eq } from "drizzle-orm";
import { FakeClock, type TimerHandle } from "../../src/lib/clock.ts";
import { memoryLogger } from "../../src/lib/logger.ts";
import { toWallTime } from "../../src/lib/zoned-time.ts";
import { fiasDate, fiasTime } from "../../src/pms/fias/datetime.ts";
import { checkInRoom } from "../../src/services/rooms.ts";
import { cancelWakeup, createWakeup } from "../../src/services/wakeups.ts";
import type { Store } from "../../src/store/db.ts";
import { pmsOutbox, wakeups } from "../../src/store/schema/index.ts";
import { wakeupHistory } from "../../src/store/wakeup-history.ts";
import { getWakeup, insertWakeup, openWakeups, updateWakeup, type WakeupRow } from "../../src/store/wakeups.ts";
import type { WakeupCall, WakeupCallOutcome, WakeupDialer } from "../../src/wakeup/dialer.ts";
import { nextDailyOccurrence, nextOccurrence } from "../../src/wakeup/recurrence.ts";
import { WakeupScheduler, type WakeupSchedulerConfig } from "../../src/wakeup/scheduler.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

type Script = (w: WakeupCall, attempt: number) => WakeupCallOutcome;
type Placed = WakeupCall & { at: number; attempt: number; endedAt?: number };

/**
 * Plays each call for `durationMs` of fake time and ends it as the script says, reporting progress
 * like the SIP dialer: placed, ringing, and answered + key for an answered call. Attempts are
 * counted per wake-up and kind. A key 2 without snooze offered is a confirmation, as the menu says.
 */
class FakeDialer implements WakeupDialer {
  busy = 0;
  maxBusy = 0;
  overbooked = 0;
  calls: Placed[] = [];
  /** Calls that never end (the appliance stops while they ring). */
  hang: (w: WakeupCall) => boolean = () => false;
  private attempts = new Map<string, number>();
  constructor(
    private readonly clock: FakeClock,
    public ports: number,
    public script: Script = () => "confirmed",
    public durationMs = 30_000,
  ) {}
  freePorts(): number {
    return this.ports - this.busy;
  }
  call(w: WakeupCall): Promise<{ outcome: WakeupCallOutcome }> {
    if (this.busy >= this.ports) this.overbooked++;
    this.busy++;
    this.maxBusy = Math.max(this.maxBusy, this.busy);
    const key = `${w.kind}:${w.id}`;
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    const placed: Placed = { ...w, at: this.clock.now(), attempt };
    this.calls.push(placed);
    let outcome = this.script(w, attempt);
    if (outcome === "snoozed" && !w.snoozeAllowed) outcome = "confirmed";
    w.onEvent?.({ type: "placed", port: `p${this.busy}` });
    w.onEvent?.({ type: "ringing" });
    if (this.hang(w)) return new Promise(() => {});
    return new Promise((resolve) =>
      this.clock.setTimeout(() => {
        if (outcome === "confirmed" || outcome === "snoozed" || outcome === "answered") {
          w.onEvent?.({ type: "answered" });
          if (outcome !== "answered") w.onEvent?.({ type: "key", digit: outcome === "snoozed" ? "2" : "1" });
        }
        this.busy--;
        placed.endedAt = this.clock.now();
        resolve({ outcome });
      }, this.durationMs),
    );
  }
  guestCalls(): Placed[] {
    return this.calls.filter((c) => c.kind === "wakeup");
  }
  escalations(): Placed[] {
    return this.calls.filter((c) => c.kind === "escalation");
  }
}

/** A FakeClock that knows when its next timer is due, so a test can jump from event to event. */
class SteppingClock extends FakeClock {
  private readonly due = new Map<number, number>();
  override setTimeout(fn: () => void, ms: number): TimerHandle {
    const h = super.setTimeout(() => {
      this.due.delete(h.id);
      fn();
    }, ms);
    this.due.set(h.id, this.now() + Math.max(0, ms));
    return h;
  }
  override clearTimeout(h: TimerHandle | undefined): void {
    if (h) this.due.delete(h.id);
    super.clearTimeout(h);
  }
  nextTimer(): number | undefined {
    return this.due.size ? Math.min(...this.due.values()) : undefined;
  }
}

let store: Store;
let cleanup: () => void;
let ctx: TestContext & { clock: SteppingClock };
let sched: WakeupScheduler | undefined;

function setClock(start: number): void {
  ctx.clock = new SteppingClock(start);
}

beforeEach(async () => {
  ({ store, cleanup } = await tempStore());
  ctx = { ...testContext(store), clock: new SteppingClock(Date.UTC(2026, 10, 22, 9, 0, 0)) };
});
afterEach(async () => {
  await sched?.stop();
  sched = undefined;
  cleanup();
});

async function settle(): Promise<void> {
  for (let idle = 0; idle < 2; ) {
    await new Promise((r) => setImmediate(r));
    idle = sched && !(await sched.whenIdle()) ? 0 : idle + 1;
  }
}

/** Moves fake time on by `ms`, stopping at every timer on the way and letting what it started finish. */
async function run(ms: number): Promise<void> {
  const target = ctx.clock.now() + ms;
  for (;;) {
    const next = ctx.clock.nextTimer();
    const to = next === undefined || next > target ? target : next;
    ctx.clock.advance(to - ctx.clock.now());
    await settle();
    if (to === target && (next === undefined || next > target)) return;
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

async function start(dialer: FakeDialer, config: WakeupSchedulerConfig = {}) {
  sched = new WakeupScheduler({ ctx, dialer, config: { pollSeconds: 60, ...config } });
  await sched.start();
  await settle();
  return sched;
}

const row = async (id: number) => {
  const r = await store.read((db) => getWakeup(db, id));
  assert.ok(r, `wake-up ${id} exists`);
  return r;
};
const outbox = () =>
  store.read((db) => db.select().from(pmsOutbox).where(eq(pmsOutbox.type, "WA")).orderBy(asc(pmsOutbox.id)));
const history = (id: number) => store.read((db) => wakeupHistory(db, id));
const events = async (id: number) => (await history(id)).map((e) => e.event);
const asCode = (record: string) => record.match(/\|AS(\w+)\|/)?.[1];

describe("WakeupScheduler", () => {
  test("places a wake-up when it is due, not before; calling while in flight; OK when answered", async () => {
    const dialer = new FakeDialer(ctx.clock, 4);
    const due = ctx.clock.now() + 10 * MIN;
    const w = await add("101", due);
    await start(dialer);
    await run(9 * MIN);
    assert.equal(dialer.calls.length, 0);
    await run(MIN + 1000);
    assert.equal(dialer.calls.length, 1);
    assert.equal(dialer.calls[0].at, due);
    assert.equal(dialer.calls[0].room, "101");
    assert.equal(dialer.calls[0].kind, "wakeup");
    assert.equal((await row(w.id)).state, "calling");
    await run(30_000);
    const done = await row(w.id);
    assert.equal(done.state, "done");
    assert.equal(done.result, "OK");
    assert.equal(done.attempts, 1);
    assert.deepEqual(await outbox(), [], "not from the PMS: no WA");
  });

  test("picks up a wake-up created after start at the next poll", async () => {
    const dialer = new FakeDialer(ctx.clock, 2);
    await start(dialer);
    const w = await add("102", ctx.clock.now() + 2 * MIN);
    await run(3 * MIN);
    assert.deepEqual(
      dialer.calls.map((c) => c.id),
      [w.id],
    );
  });

  test("poke() reads the store at once", async () => {
    const dialer = new FakeDialer(ctx.clock, 2);
    await start(dialer, { pollSeconds: 3600 });
    const w = await add("103", ctx.clock.now() + 1000);
    await run(2000);
    assert.equal(dialer.calls.length, 0, "not polled yet");
    sched?.poke();
    await settle();
    assert.deepEqual(
      dialer.calls.map((c) => c.id),
      [w.id],
    );
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
    assert.deepEqual(
      dialer.calls.map((c) => c.id),
      expected,
    );
    assert.equal(dialer.maxBusy, 3);
    assert.equal(dialer.overbooked, 0);
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
    assert.equal(dialer.calls.length, 300);
    const expected = [...rows].sort((a, b) => a.dueAt - b.dueAt || a.id - b.id).map((r) => r.id);
    assert.deepEqual(
      dialer.calls.map((c) => c.id),
      expected,
    );
    assert.equal(dialer.maxBusy, 24);
    assert.equal(dialer.overbooked, 0);
    // 300 calls of 30 s over 24 ports: 13 rounds; the last goes within 13 × 30 s of the first due.
    assert.ok(dialer.calls[299].at - base <= 13 * 30_000 + 1000);
    const states = await store.read((db) => db.select({ s: wakeups.state, r: wakeups.result }).from(wakeups));
    assert.ok(states.every((s) => s.s === "done" && s.r === "OK"));
  });

  test("the queue waiting for ports is visible: due, pending, next attempt in the past", async () => {
    const dialer = new FakeDialer(ctx.clock, 1, () => "confirmed", 60_000);
    const due = ctx.clock.now() + MIN;
    const a = await add("400", due);
    const b = await add("401", due);
    await start(dialer);
    await run(MIN + 1000);
    assert.equal((await row(a.id)).state, "calling");
    const waiting = await row(b.id);
    assert.equal(waiting.state, "pending");
    assert.ok((waiting.nextAttemptAt ?? 0) <= ctx.clock.now());
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
      assert.equal(between.state, "pending");
      assert.equal(between.attempts, 1);
      assert.equal(between.nextAttemptAt, due + 30_000 + 5 * MIN, "the retry time is stored");
      await run(20 * MIN);
      assert.deepEqual(
        dialer.calls.map((c) => c.at - due),
        [0, 30_000 + 5 * MIN, 2 * (30_000 + 5 * MIN)],
      );
      const end = await row(w.id);
      assert.equal(end.state, "failed");
      assert.equal(end.result, code);
      assert.equal(end.attempts, 3);
      const wa = await outbox();
      assert.equal(wa.length, 1);
      assert.equal(wa[0].record, `WA|RN110|DA${w.fiasDate}|TI${w.fiasTime}|AS${code}|`);
    });
  }

  test("confirmed after a no-answer ends OK with one WA", async () => {
    const dialer = new FakeDialer(ctx.clock, 1, (_w, n) => (n === 1 ? "no-answer" : "confirmed"));
    const w = await add("111", ctx.clock.now() + MIN, { source: "pms" });
    await start(dialer);
    await run(10 * MIN);
    assert.equal(dialer.calls.length, 2);
    const end = await row(w.id);
    assert.equal(end.state, "done");
    assert.equal(end.result, "OK");
    assert.equal(end.attempts, 2);
    const wa = await outbox();
    assert.equal(wa.length, 1);
    assert.equal(asCode(wa[0].record), "OK");
  });

  test("the history tells every step: scheduled, each call's progress, retry, key, report", async () => {
    const dialer = new FakeDialer(ctx.clock, 1, (_w, n) => (n === 1 ? "no-answer" : "confirmed"));
    const due = ctx.clock.now() + MIN;
    const w = await add("112", due, { source: "pms" });
    await start(dialer);
    await run(10 * MIN);
    const h = await history(w.id);
    assert.deepEqual(
      h.map((e) => [e.event, e.attempt]),
      [
        ["scheduled", null],
        ["placed", 1],
        ["ringing", 1],
        ["no-answer", 1],
        ["retry-scheduled", 1],
        ["placed", 2],
        ["ringing", 2],
        ["answered", 2],
        ["key", 2],
        ["confirmed", 2],
        ["reported", null],
      ],
    );
    assert.deepEqual(h[0].detail, { source: "pms" });
    assert.equal(h[1].detail?.port, "p1");
    assert.equal(h[1].at, due);
    assert.deepEqual(h[4].detail, { retry: 1, next: "2026-11-22T10:06:30+01:00" });
    assert.equal(h[8].detail?.digit, "1");
    assert.deepEqual(h[10].detail, { result: "OK", wa: true });
  });

  describe("snooze", () => {
    test("snooze then confirm: called again after snoozeMinutes, not counted as a retry, ends OK", async () => {
      const dialer = new FakeDialer(ctx.clock, 1, (_w, n) => (n === 1 ? "snoozed" : "confirmed"));
      const due = ctx.clock.now() + MIN;
      const w = await add("120", due, { source: "pms" });
      await start(dialer, { snoozeMinutes: 7, retries: 0 });
      await run(MIN + 31_000);
      const snoozed = await row(w.id);
      assert.equal(snoozed.state, "pending");
      assert.equal(snoozed.snoozes, 1);
      assert.equal(snoozed.tries, 0, "a snooze is not a retry");
      assert.equal(snoozed.nextAttemptAt, due + 30_000 + 7 * MIN);
      await run(10 * MIN);
      assert.deepEqual(
        dialer.calls.map((c) => [c.at - due, c.snoozeAllowed]),
        [
          [0, true],
          [30_000 + 7 * MIN, true],
        ],
      );
      const end = await row(w.id);
      assert.equal(end.result, "OK");
      assert.equal(end.attempts, 2);
      assert.equal((await outbox()).length, 1);
      assert.ok((await events(w.id)).includes("snoozed"));
    });

    test("the snooze limit: the menu stops offering snooze, key 2 then confirms", async () => {
      const dialer = new FakeDialer(ctx.clock, 1, () => "snoozed");
      const w = await add("121", ctx.clock.now() + MIN, { source: "pms" });
      await start(dialer, { snoozeLimit: 2 });
      await run(30 * MIN);
      assert.deepEqual(
        dialer.calls.map((c) => c.snoozeAllowed),
        [true, true, false],
      );
      const end = await row(w.id);
      assert.equal(end.snoozes, 2);
      assert.equal(end.result, "OK");
      assert.equal((await outbox()).length, 1);
    });

    test("snoozeLimit 0: no snooze offered", async () => {
      const dialer = new FakeDialer(ctx.clock, 1, () => "snoozed");
      await add("122", ctx.clock.now() + MIN);
      await start(dialer, { snoozeLimit: 0 });
      await run(5 * MIN);
      assert.deepEqual(
        dialer.calls.map((c) => c.snoozeAllowed),
        [false],
      );
    });

    test("a snoozed call that is then not answered gets the full retries", async () => {
      const dialer = new FakeDialer(ctx.clock, 1, (_w, n) => (n === 2 ? "snoozed" : "no-answer"));
      const w = await add("123", ctx.clock.now() + MIN, { source: "pms" });
      await start(dialer, { retries: 1, snoozeMinutes: 5 });
      await run(60 * MIN);
      // no-answer, (retry) snoozed, (snooze) no-answer, (retry) no-answer → NR.
      assert.equal(dialer.calls.length, 4);
      const end = await row(w.id);
      assert.equal(end.result, "NR");
      assert.equal(end.attempts, 4);
      assert.equal(end.snoozes, 1);
    });
  });

  describe("answered without a key", () => {
    test('"answered": the guest is awake, OK after one call', async () => {
      const dialer = new FakeDialer(ctx.clock, 1, () => "answered");
      const w = await add("130", ctx.clock.now() + MIN, { source: "pms" });
      await start(dialer, { answeredWithoutKey: "answered", retries: 2 });
      await run(20 * MIN);
      assert.equal(dialer.calls.length, 1);
      assert.equal((await row(w.id)).result, "OK");
      assert.ok((await events(w.id)).includes("no-key"));
    });

    test('"retry": retried like a no-answer, then OK without escalation when the last call was answered', async () => {
      const dialer = new FakeDialer(ctx.clock, 1, () => "answered");
      const w = await add("131", ctx.clock.now() + MIN, { source: "pms" });
      await start(dialer, { answeredWithoutKey: "retry", retries: 2, escalation: { extension: "900" } });
      await run(30 * MIN);
      assert.equal(dialer.guestCalls().length, 3);
      assert.equal(dialer.escalations().length, 0);
      const end = await row(w.id);
      assert.equal(end.result, "OK");
      assert.equal(end.attempts, 3);
      const wa = await outbox();
      assert.deepEqual(
        wa.map((r) => asCode(r.record)),
        ["OK"],
      );
      assert.ok(!(await events(w.id)).includes("escalated"));
    });

    test('"retry": a key on a later call confirms', async () => {
      const dialer = new FakeDialer(ctx.clock, 1, (_w, n) => (n === 1 ? "answered" : "confirmed"));
      const w = await add("132", ctx.clock.now() + MIN);
      await start(dialer, { answeredWithoutKey: "retry" });
      await run(20 * MIN);
      assert.equal(dialer.calls.length, 2);
      assert.equal((await row(w.id)).result, "OK");
    });
  });

  describe("escalation", () => {
    const guestThen = (desk: (n: number) => WakeupCallOutcome, guest: WakeupCallOutcome = "no-answer"): Script => {
      return (w, n) => (w.kind === "escalation" ? desk(n) : guest);
    };

    test("after the last retry the front desk is called (retried), then exactly one WA NR after that call", async () => {
      const dialer = new FakeDialer(
        ctx.clock,
        2,
        guestThen((n) => (n === 1 ? "no-answer" : "answered")),
      );
      const due = ctx.clock.now() + MIN;
      const w = await add("140", due, { source: "pms" });
      await start(dialer, { retries: 2, escalation: { extension: "900", retries: 1, language: "it" } });
      const lastGuestEnd = due + 2 * (30_000 + 5 * MIN) + 30_000;
      await run(lastGuestEnd - ctx.clock.now() + 1000);
      assert.equal(dialer.guestCalls().length, 3);
      const esc = dialer.escalations();
      assert.equal(esc.length, 1, "the desk is called at once");
      assert.equal(esc[0].extension, "900");
      assert.equal(esc[0].room, "140");
      assert.equal(esc[0].snoozeAllowed, false);
      assert.equal(esc[0].language, "it", "the desk hears the configured language");
      const escalating = await row(w.id);
      assert.equal(escalating.state, "calling");
      assert.equal(escalating.pendingResult, "NR");
      assert.deepEqual(await outbox(), [], "no WA while the desk is being called");
      await run(40 * MIN);
      assert.equal(dialer.escalations().length, 2);
      const end = await row(w.id);
      assert.equal(end.state, "failed");
      assert.equal(end.result, "NR");
      assert.equal(end.attempts, 3, "escalation calls are not guest attempts");
      const wa = await outbox();
      assert.equal(wa.length, 1);
      assert.equal(wa[0].record, `WA|RN140|DA${w.fiasDate}|TI${w.fiasTime}|ASNR|`);
      const lastDesk = dialer.escalations()[1];
      assert.ok(lastDesk.endedAt !== undefined && wa[0].createdAt >= lastDesk.endedAt, "the WA follows the desk call");
      const h = await history(w.id);
      const tail = h.slice(h.findIndex((e) => e.event === "escalated"));
      assert.deepEqual(
        tail.map((e) => [e.event, e.attempt]),
        [
          ["escalated", 3],
          ["placed", 1],
          ["ringing", 1],
          ["escalation-failed", 1],
          ["retry-scheduled", 1],
          ["placed", 2],
          ["ringing", 2],
          ["answered", 2],
          ["escalation-answered", 2],
          ["reported", null],
        ],
      );
      assert.deepEqual(tail[0].detail, { extension: "900", result: "NR" });
      assert.equal(tail[1].detail?.escalation, true);
    });

    test("busy to the end ends BY, also after an unanswered escalation", async () => {
      const dialer = new FakeDialer(
        ctx.clock,
        1,
        guestThen(() => "no-answer", "busy"),
      );
      const w = await add("141", ctx.clock.now() + MIN, { source: "pms" });
      await start(dialer, { retries: 1, escalation: { extension: "900", retries: 0 } });
      await run(30 * MIN);
      assert.equal(dialer.guestCalls().length, 2);
      assert.equal(dialer.escalations().length, 1);
      assert.deepEqual(
        (await outbox()).map((r) => asCode(r.record)),
        ["BY"],
      );
      assert.equal((await row(w.id)).result, "BY");
      assert.ok((await events(w.id)).includes("escalation-failed"));
    });

    test("vipOnly: no desk call for an ordinary guest, a desk call for a VIP", async () => {
      await checkInRoom(ctx, "api:desk", "150", { reservation: "1", lastName: "Rossi", vip: "" });
      await checkInRoom(ctx, "api:desk", "151", { reservation: "2", lastName: "Bianchi", vip: "3" });
      const dialer = new FakeDialer(
        ctx.clock,
        2,
        guestThen(() => "answered"),
      );
      const plain = await add("150", ctx.clock.now() + MIN, { source: "pms" });
      const vip = await add("151", ctx.clock.now() + MIN, { source: "pms" });
      await start(dialer, { retries: 0, escalation: { extension: "900", vipOnly: true } });
      await run(5 * MIN);
      assert.deepEqual(
        dialer.escalations().map((c) => c.room),
        ["151"],
      );
      assert.equal((await row(plain.id)).result, "NR");
      assert.equal((await row(vip.id)).result, "NR");
      assert.equal((await outbox()).length, 2);
    });

    test("vipOnly off: every room is escalated; no extension: none is", async () => {
      const dialer = new FakeDialer(
        ctx.clock,
        2,
        guestThen(() => "answered"),
      );
      await add("152", ctx.clock.now() + MIN);
      await start(dialer, { retries: 0, escalation: { extension: "900", vipOnly: false } });
      await run(5 * MIN);
      assert.equal(dialer.escalations().length, 1);
      await sched?.stop();
      const none = new FakeDialer(
        ctx.clock,
        2,
        guestThen(() => "answered"),
      );
      await add("153", ctx.clock.now() + MIN);
      await start(none, { retries: 0 });
      await run(5 * MIN);
      assert.equal(none.guestCalls().length, 1);
      assert.equal(none.escalations().length, 0);
    });

    test("the desk call waits for a free port like any call", async () => {
      const dialer = new FakeDialer(ctx.clock, 1, (w) => (w.kind === "escalation" ? "answered" : "no-answer"), 60_000);
      const due = ctx.clock.now() + MIN;
      const a = await add("160", due);
      const b = await add("161", due + 30_000);
      await start(dialer, { retries: 0, escalation: { extension: "900" } });
      await run(10 * MIN);
      assert.deepEqual(
        dialer.calls.map((c) => [c.kind, c.room, c.at - due]),
        [
          ["wakeup", "160", 0],
          ["wakeup", "161", 60_000],
          ["escalation", "160", 120_000],
          ["escalation", "161", 180_000],
        ],
      );
      assert.equal(dialer.overbooked, 0);
      assert.equal((await row(a.id)).result, "NR");
      assert.equal((await row(b.id)).result, "NR");
    });
  });

  describe("restarts", () => {
    test("missed while down: < lateMinutes late is called, more is ended NR (one WA)", async () => {
      const dialer = new FakeDialer(ctx.clock, 4);
      const now = ctx.clock.now();
      const recent = await add("170", now - 10 * MIN, { source: "pms" });
      const old = await add("171", now - 45 * MIN, { source: "pms" });
      // A call in flight when the appliance stopped is pending again.
      const interrupted = await add("172", now - 2 * MIN);
      await store.tx((tx) => tx.update(wakeups).set({ state: "calling" }).where(eq(wakeups.id, interrupted.id)));
      await start(dialer, { lateMinutes: 30 });
      assert.deepEqual(dialer.calls.map((c) => c.id).sort(), [recent.id, interrupted.id].sort());
      const missed = await row(old.id);
      assert.equal(missed.state, "failed");
      assert.equal(missed.result, "NR");
      assert.equal(missed.attempts, 0);
      assert.deepEqual(await events(old.id), ["scheduled", "missed", "reported"]);
      await run(MIN);
      assert.equal((await row(recent.id)).result, "OK");
      assert.equal((await row(interrupted.id)).result, "OK");
      assert.deepEqual((await outbox()).map((r) => asCode(r.record)).sort(), ["NR", "OK"]);
    });

    test("late when first seen: set before the start it was missed while down, after it arrived late; both NR", async () => {
      const logger = memoryLogger();
      ctx.logger = logger;
      const dialer = new FakeDialer(ctx.clock, 4);
      const down = await add("173", ctx.clock.now() - 45 * MIN, { source: "pms" });
      await start(dialer, { lateMinutes: 30 });
      await run(MIN);
      // The appliance is running; the PMS sends a WR for a time 40 minutes ago.
      const late = await add("174", ctx.clock.now() - 40 * MIN, { source: "pms" });
      sched?.poke();
      await settle();
      assert.equal(dialer.calls.length, 0);
      for (const w of [down, late]) {
        const r = await row(w.id);
        assert.deepEqual([r.state, r.result], ["failed", "NR"]);
        assert.deepEqual(await events(w.id), ["scheduled", "missed", "reported"]);
      }
      const missed = async (id: number) => (await history(id)).find((e) => e.event === "missed")?.detail;
      assert.deepEqual(await missed(down.id), { reason: "appliance-down", minutesLate: 45 });
      assert.deepEqual(await missed(late.id), { reason: "arrived-late", minutesLate: 40 });
      const warns = logger.lines.filter((l) => l.level === "warn").map((l) => [l.msg, l.room, l.reason]);
      assert.deepEqual(warns, [
        ["wake-up missed while the appliance was down", "173", "appliance-down"],
        ["wake-up arrived too late to be called", "174", "arrived-late"],
      ]);
      assert.deepEqual(
        (await outbox()).map((r) => asCode(r.record)),
        ["NR", "NR"],
      );
    });

    test("no port ever free (SIP off): a wake-up set in time ends NR once lateMinutes late, one WA", async () => {
      const dialer = new FakeDialer(ctx.clock, 0);
      await start(dialer, { lateMinutes: 30 });
      const w = await add("175", ctx.clock.now() + 5 * MIN, { source: "pms" });
      sched?.poke();
      await settle();
      await run(34 * MIN);
      assert.equal((await row(w.id)).state, "pending", "not yet 30 minutes late");
      await run(2 * MIN);
      const r = await row(w.id);
      assert.deepEqual([r.state, r.result], ["failed", "NR"]);
      const missed = (await history(w.id)).find((e) => e.event === "missed")?.detail;
      assert.deepEqual(missed, { reason: "no-port", minutesLate: 30 });
      assert.equal(dialer.calls.length, 0);
      assert.deepEqual(
        (await outbox()).map((o) => asCode(o.record)),
        ["NR"],
      );
    });

    test("a restart mid-retry keeps the planned retry time", async () => {
      const dialer = new FakeDialer(ctx.clock, 1, (_w, n) => (n === 1 ? "no-answer" : "confirmed"));
      const due = ctx.clock.now() + MIN;
      const w = await add("180", due, { source: "pms" });
      await start(dialer, { retries: 2 });
      await run(2 * MIN);
      await sched?.stop();
      assert.equal(dialer.calls.length, 1);
      await run(MIN); // down for a minute
      const again = new FakeDialer(ctx.clock, 1, () => "confirmed");
      await start(again, { retries: 2 });
      assert.equal(again.calls.length, 0, "not placed at once");
      await run(10 * MIN);
      assert.deepEqual(
        again.calls.map((c) => c.at),
        [due + 30_000 + 5 * MIN],
      );
      const end = await row(w.id);
      assert.equal(end.result, "OK");
      assert.equal(end.attempts, 2);
      assert.equal((await outbox()).length, 1);
    });

    test("a restart mid-snooze keeps the snooze time and the snooze count", async () => {
      const dialer = new FakeDialer(ctx.clock, 1, () => "snoozed");
      const due = ctx.clock.now() + MIN;
      const w = await add("181", due);
      await start(dialer, { snoozeLimit: 1, snoozeMinutes: 10 });
      await run(2 * MIN);
      await sched?.stop();
      const again = new FakeDialer(ctx.clock, 1, () => "snoozed");
      await start(again, { snoozeLimit: 1, snoozeMinutes: 10 });
      await run(15 * MIN);
      assert.deepEqual(
        again.calls.map((c) => [c.at, c.snoozeAllowed]),
        [[due + 30_000 + 10 * MIN, false]],
      );
      assert.equal((await row(w.id)).result, "OK");
    });

    test("a restart while calling: called again exactly once, one WA", async () => {
      const dying = new FakeDialer(ctx.clock, 1);
      dying.hang = () => true;
      const due = ctx.clock.now() + MIN;
      const w = await add("190", due, { source: "pms" });
      await start(dying);
      await run(MIN + 1000);
      assert.equal(dying.calls.length, 1);
      assert.equal((await row(w.id)).state, "calling");
      await sched?.stop(); // the process dies with the call
      const dialer = new FakeDialer(ctx.clock, 1, () => "confirmed");
      await start(dialer);
      await run(10 * MIN);
      assert.equal(dialer.calls.length, 1);
      const end = await row(w.id);
      assert.equal(end.result, "OK");
      assert.equal(end.attempts, 1, "the cut call is not counted");
      assert.equal((await outbox()).length, 1);
      assert.deepEqual(
        (await history(w.id)).map((e) => [e.event, e.attempt]),
        [
          ["scheduled", null],
          ["placed", 1],
          ["ringing", 1],
          ["interrupted", 1],
          ["placed", 1],
          ["ringing", 1],
          ["answered", 1],
          ["key", 1],
          ["confirmed", 1],
          ["reported", null],
        ],
      );
    });

    test("a restart during the escalation resumes it; the WA still comes once, after it", async () => {
      const dying = new FakeDialer(ctx.clock, 1, () => "no-answer");
      const w = await add("191", ctx.clock.now() + MIN, { source: "pms" });
      const config = { retries: 0, escalation: { extension: "900", retries: 0 } };
      dying.hang = (c) => c.kind === "escalation";
      await start(dying, config);
      await run(MIN + 32_000);
      assert.equal(dying.escalations().length, 1);
      await sched?.stop();
      assert.deepEqual(await outbox(), []);
      const dialer = new FakeDialer(ctx.clock, 1, () => "answered");
      await start(dialer, config);
      await run(5 * MIN);
      assert.deepEqual(
        dialer.calls.map((c) => c.kind),
        ["escalation"],
      );
      assert.equal((await row(w.id)).result, "NR");
      assert.equal((await outbox()).length, 1);
    });
  });

  describe("cancellation", () => {
    test("a cancelled wake-up is not called (cancelled before start and while queued)", async () => {
      const dialer = new FakeDialer(ctx.clock, 2);
      const a = await add("200", ctx.clock.now() + 5 * MIN);
      const b = await add("201", ctx.clock.now() + 5 * MIN);
      const c = await add("202", ctx.clock.now() + 5 * MIN);
      await cancelWakeup(ctx, "desk", a.id);
      await start(dialer);
      await run(MIN);
      await cancelWakeup(ctx, "desk", b.id); // the scheduler already holds it
      await run(6 * MIN);
      assert.deepEqual(
        dialer.calls.map((x) => x.id),
        [c.id],
      );
      assert.equal((await row(a.id)).state, "cancelled");
      assert.equal((await row(b.id)).state, "cancelled");
      assert.deepEqual(await events(b.id), ["scheduled", "cancelled"]);
      assert.deepEqual((await history(b.id))[1].detail, { by: "desk" });
    });

    test("cancelled during its call (PMS WC): no WA, no retry", async () => {
      const dialer = new FakeDialer(ctx.clock, 1, () => "no-answer");
      const w = await add("203", ctx.clock.now() + MIN, { source: "pms" });
      await start(dialer);
      await run(MIN + 1000);
      await store.tx((tx) => updateWakeup(tx, w.id, { state: "cancelled" }, ctx.clock.now()));
      await run(20 * MIN);
      assert.equal(dialer.calls.length, 1);
      assert.equal((await row(w.id)).state, "cancelled");
      assert.deepEqual(await outbox(), []);
    });
  });

  test("a room the store does not know is still called, without an extension", async () => {
    const dialer = new FakeDialer(ctx.clock, 1);
    await add("210", ctx.clock.now() + MIN);
    await start(dialer);
    await run(2 * MIN);
    assert.equal(dialer.calls[0].room, "210");
    assert.equal(dialer.calls[0].extension, undefined);
  });

  test("the guest's room extension and language are on the call", async () => {
    await checkInRoom(ctx, "api:desk", "211", { reservation: "1", lastName: "Weber", language: "G" });
    const dialer = new FakeDialer(ctx.clock, 1);
    await add("211", ctx.clock.now() + MIN);
    await start(dialer);
    await run(2 * MIN);
    assert.equal(dialer.calls[0].extension, "211");
    assert.equal(dialer.calls[0].language, "G");
  });
});

/** Days of fake time: a new occurrence is read at once (poke after it is made), no need to poll. */
const LONG_POLL = { pollSeconds: 6 * 3600 };

describe("recurring wake-ups", () => {
  test("daily: the next occurrence is created 24 h later at the same local time", async () => {
    const dialer = new FakeDialer(ctx.clock, 2);
    const due = Date.UTC(2026, 10, 23, 6, 0, 0); // 07:00 in Rome (CET)
    const w = await add("300", due, { recurrence: "daily" });
    assert.equal(w.fiasTime, "070000");
    await start(dialer, LONG_POLL);
    await run(due - ctx.clock.now() + MIN);
    assert.equal((await row(w.id)).result, "OK");
    const open = await store.read((db) => openWakeups(db, "300"));
    assert.equal(open.length, 1);
    assert.equal(open[0].dueAt, due + DAY);
    assert.equal(open[0].nextAttemptAt, due + DAY);
    assert.equal(open[0].recurrence, "daily");
    assert.equal(open[0].fiasDate, "261124");
    assert.equal(open[0].fiasTime, "070000");
    assert.deepEqual((await history(open[0].id))[0].detail, { source: "api", after: w.id });
    await run(DAY);
    assert.deepEqual(
      dialer.calls.map((c) => c.at),
      [due, due + DAY],
    );
  });

  test("daily across the DST change stays at 07:00 local", async () => {
    setClock(Date.UTC(2027, 2, 27, 5, 0, 0)); // Sat 27 Mar 2027, 06:00 CET
    const dialer = new FakeDialer(ctx.clock, 1, (_w, n) => (n === 1 ? "no-answer" : "busy"));
    const due = Date.UTC(2027, 2, 27, 6, 0, 0); // 07:00 CET
    const w = await add("301", due, { recurrence: "daily" });
    await start(dialer, { ...LONG_POLL, retries: 1 });
    await run(2 * HOUR);
    assert.equal((await row(w.id)).result, "BY");
    const open = await store.read((db) => openWakeups(db, "301"));
    assert.equal(open.length, 1);
    assert.equal(open[0].dueAt, Date.UTC(2027, 2, 28, 5, 0, 0)); // 07:00 CEST, 23 h later
    assert.equal(toWallTime(open[0].dueAt, "Europe/Rome").hour, 7);
    assert.equal(open[0].fiasDate, "270328");
    assert.equal(open[0].fiasTime, "070000");
  });

  test("weekdays Mon-Fri across the spring change: Friday 07:00 CET, then Monday 07:00 CEST", async () => {
    setClock(Date.UTC(2027, 2, 26, 5, 0, 0)); // Fri 26 Mar 2027, 06:00 CET
    await checkInRoom(ctx, "api:desk", "310", { reservation: "1", lastName: "Rossi" });
    const { wakeup } = await createWakeup(ctx, "api:desk", {
      room: "310",
      at: Date.UTC(2027, 2, 26, 6, 0, 0),
      recurrence: "weekdays",
      weekdays: [1, 2, 3, 4, 5],
    });
    assert.equal(wakeup.at, "2027-03-26T07:00:00+01:00");
    const dialer = new FakeDialer(ctx.clock, 1, () => "confirmed");
    await start(dialer, LONG_POLL);
    await run(3 * DAY + HOUR);
    assert.deepEqual(
      dialer.calls.map((c) => new Date(c.at).toISOString()),
      ["2027-03-26T06:00:00.000Z", "2027-03-29T05:00:00.000Z"],
    );
    const open = await store.read((db) => openWakeups(db, "310"));
    assert.equal(open.length, 1);
    assert.equal(open[0].dueAt, Date.UTC(2027, 2, 30, 5, 0, 0), "Tuesday 07:00 CEST");
    assert.deepEqual(open[0].weekdays, [1, 2, 3, 4, 5]);
  });

  test("weekdays across the autumn change (Sundays only, last Sunday of October)", () => {
    const tz = "Europe/Rome";
    const sunday = { dueAt: Date.UTC(2026, 9, 18, 5, 0), fiasDate: "261018", fiasTime: "070000" };
    const next = nextOccurrence({ ...sunday, recurrence: "weekdays", weekdays: [7] }, tz, sunday.dueAt);
    assert.equal(next?.dueAt, Date.UTC(2026, 9, 25, 6, 0), "07:00 CET on 25 Oct 2026 is 06:00 UTC");
    const after = nextOccurrence(
      {
        dueAt: Date.UTC(2026, 9, 25, 6, 0),
        fiasDate: "261025",
        fiasTime: "070000",
        recurrence: "weekdays",
        weekdays: [7],
      },
      tz,
      Date.UTC(2026, 9, 25, 6, 0),
    );
    assert.equal(after?.dueAt, Date.UTC(2026, 10, 1, 6, 0));
    // The spring change, 28 Mar 2027: 02:30 does not exist that night and rings at 03:30 CEST.
    const night = nextOccurrence(
      {
        dueAt: Date.UTC(2027, 2, 21, 1, 30),
        fiasDate: "270321",
        fiasTime: "023000",
        recurrence: "weekdays",
        weekdays: [7],
      },
      tz,
      Date.UTC(2027, 2, 21, 1, 30),
    );
    assert.equal(night?.dueAt, Date.UTC(2027, 2, 28, 1, 30));
    assert.equal(toWallTime(night?.dueAt ?? 0, tz).hour, 3);
    assert.equal(fiasTime(night?.wall ?? toWallTime(0, tz)), "023000", "the series keeps its 02:30");
  });

  test("nextOccurrence: until is inclusive; once has none; days already past are skipped", () => {
    const tz = "Europe/Rome";
    const r = { dueAt: Date.UTC(2026, 10, 23, 6, 0), fiasDate: "261123", fiasTime: "070000" };
    assert.equal(nextOccurrence({ ...r, recurrence: "once", weekdays: null }, tz, r.dueAt), undefined);
    const daily = { ...r, recurrence: "daily" as const, weekdays: null };
    assert.equal(nextOccurrence(daily, tz, r.dueAt, "2026-11-24")?.dueAt, r.dueAt + DAY);
    assert.equal(nextOccurrence(daily, tz, r.dueAt, "2026-11-23"), undefined);
    // Mon 23 Nov; Wednesdays and Fridays only; until Thursday.
    const wf = { ...r, recurrence: "weekdays" as const, weekdays: [3, 5] };
    assert.equal(nextOccurrence(wf, tz, r.dueAt)?.dueAt, r.dueAt + 2 * DAY);
    assert.equal(nextOccurrence(wf, tz, r.dueAt, "2026-11-24"), undefined);
    const past = { dueAt: Date.UTC(2026, 9, 24, 5, 0), fiasDate: "261024", fiasTime: "070000" };
    // Autumn change on 25 Oct 2026: 07:00 CET is 06:00 UTC.
    assert.equal(nextDailyOccurrence(past, tz, past.dueAt).dueAt, Date.UTC(2026, 9, 25, 6, 0));
    assert.equal(nextDailyOccurrence(past, tz, Date.UTC(2026, 9, 26, 12, 0)).dueAt, Date.UTC(2026, 9, 27, 6, 0));
  });

  test("until departure: the departure morning still rings, then the series stops", async () => {
    await checkInRoom(ctx, "api:desk", "320", { reservation: "1", lastName: "Rossi", departure: "2026-11-24" });
    const { wakeup } = await createWakeup(ctx, "api:desk", {
      room: "320",
      at: Date.UTC(2026, 10, 23, 6, 0), // Mon 23 Nov 07:00
      recurrence: "daily",
      until: "departure",
    });
    assert.equal(wakeup.until, "departure");
    const dialer = new FakeDialer(ctx.clock, 1, () => "confirmed");
    await start(dialer, LONG_POLL);
    await run(4 * DAY);
    assert.deepEqual(
      dialer.calls.map((c) => new Date(c.at).toISOString()),
      ["2026-11-23T06:00:00.000Z", "2026-11-24T06:00:00.000Z"],
    );
    assert.deepEqual(await store.read((db) => openWakeups(db, "320")), []);
  });

  test("until departure follows a stay extended at the desk", async () => {
    await checkInRoom(ctx, "api:desk", "321", { reservation: "1", lastName: "Rossi", departure: "2026-11-23" });
    await createWakeup(ctx, "api:desk", {
      room: "321",
      at: Date.UTC(2026, 10, 23, 6, 0),
      recurrence: "daily",
      until: "departure",
    });
    await checkInRoom(ctx, "api:desk", "321", { reservation: "1", departure: "2026-11-25" });
    const dialer = new FakeDialer(ctx.clock, 1, () => "confirmed");
    await start(dialer, LONG_POLL);
    await run(4 * DAY);
    assert.equal(dialer.calls.length, 3);
  });

  test("until a date: the last day rings, then the series stops", async () => {
    await checkInRoom(ctx, "api:desk", "322", { reservation: "1", lastName: "Rossi" });
    await createWakeup(ctx, "api:desk", {
      room: "322",
      at: Date.UTC(2026, 10, 23, 6, 0),
      recurrence: "weekdays",
      weekdays: [1, 3],
      until: "2026-11-25",
    });
    const dialer = new FakeDialer(ctx.clock, 1, () => "confirmed");
    await start(dialer, LONG_POLL);
    await run(6 * DAY);
    assert.deepEqual(
      dialer.calls.map((c) => new Date(c.at).toISOString()),
      ["2026-11-23T06:00:00.000Z", "2026-11-25T06:00:00.000Z"],
    );
  });
});
