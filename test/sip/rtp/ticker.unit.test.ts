import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Clock, FakeClock } from "../../../src/lib/clock.ts";
import { RtpSender } from "../../../src/sip/rtp/pacer.ts";
import { parseRtp } from "../../../src/sip/rtp/packet.ts";
import { ALIGN_MS, PREWAKE_MS, tickerFor } from "../../../src/sip/rtp/ticker.ts";

/** A FakeClock that notes each timer set and each packet sent, in order. */
function tracedClock() {
  const fake = new FakeClock(1_000_000);
  const events: string[] = [];
  const clock: Clock = {
    now: () => fake.now(),
    setTimeout: (fn, ms) => {
      events.push(`timer +${ms}`);
      return fake.setTimeout(fn, ms);
    },
    clearTimeout: (h) => fake.clearTimeout(h),
  };
  return { fake, clock, events };
}

/** A sender of `frames` frames whose packets are noted as `name@time#sequence`. */
function stream(clock: Clock, name: string, sent: string[], frames = 10, ssrc = 1) {
  return new RtpSender({
    clock,
    samples: new Uint8Array(160 * frames),
    codec: "PCMU",
    ssrc,
    send: (b) => {
      const r = parseRtp(b);
      if (!r.ok) assert.fail(r.reason);
      sent.push(`${name}@${clock.now() - 1_000_000}#${r.packet.sequence}`);
    },
  });
}

describe("shared pacing ticker", () => {
  test("streams on one clock share one timer and send in the order they started, each tick", async () => {
    const { fake, clock } = tracedClock();
    const sent: string[] = [];
    const a = stream(clock, "a", sent, 3);
    const b = stream(clock, "b", sent, 3);
    const c = stream(clock, "c", sent, 3);
    const done = [a.start(), b.start(), c.start()];
    assert.equal(fake.pendingTimers(), 2, "one timer for three streams, and its pre-wake");
    assert.equal(tickerFor(clock).size, 3);
    fake.advance(40);
    await Promise.all(done);
    assert.deepEqual(sent, ["a@0#0", "b@0#0", "c@0#0", "a@20#1", "b@20#1", "c@20#1", "a@40#2", "b@40#2", "c@40#2"]);
    assert.equal(fake.pendingTimers(), 0, "the timer goes with the last stream");
    assert.equal(tickerFor(clock).size, 0);
  });

  test("the next tick's timer is set before the tick sends, so sending time never delays it", () => {
    const { fake, clock, events } = tracedClock();
    const sent: string[] = [];
    const a = stream(clock, "a", sent, 5);
    a.start();
    events.length = 0;
    sent.length = 0;
    const log = events;
    // Interleave: every send records its place among the timer events.
    const sends: number[] = [];
    const orig = sent.push.bind(sent);
    sent.push = (...x: string[]) => {
      sends.push(log.length);
      return orig(...x);
    };
    fake.advance(20);
    assert.deepEqual(events, ["timer +20", `timer +${20 - PREWAKE_MS}`]);
    assert.deepEqual(sends, [2], "the frame went out after the next timer was set");
    a.stop();
  });

  test("a stream starting just after another's deadline takes it: its second frame goes early, then they tick together", async () => {
    const { fake, clock } = tracedClock();
    const sent: string[] = [];
    const a = stream(clock, "a", sent, 4);
    const b = stream(clock, "b", sent, 4);
    const pa = a.start();
    fake.advance(3);
    const pb = b.start(); // its own schedule would be 3, 23, 43 …; a's is 0, 20, 40 …
    assert.equal(fake.pendingTimers(), 2, "still the one timer and its pre-wake");
    fake.advance(100);
    await Promise.all([pa, pb]);
    assert.deepEqual(sent, ["a@0#0", "b@3#0", "a@20#1", "b@20#1", "a@40#2", "b@40#2", "a@60#3", "b@60#3"]);
  });

  test(`a stream more than ${ALIGN_MS} ms off every other keeps its own schedule, and they take turns on the one timer`, async () => {
    const { fake, clock } = tracedClock();
    const sent: string[] = [];
    const a = stream(clock, "a", sent, 3);
    const b = stream(clock, "b", sent, 3);
    const pa = a.start();
    fake.advance(10);
    const pb = b.start();
    fake.advance(100);
    await Promise.all([pa, pb]);
    assert.deepEqual(sent, ["a@0#0", "b@10#0", "a@20#1", "b@30#1", "a@40#2", "b@50#2"]);
    assert.equal(fake.pendingTimers(), 0);
  });

  test("a stream that joins keeps the shared deadlines after the stream it joined stops", async () => {
    const { fake, clock } = tracedClock();
    const sent: string[] = [];
    const a = stream(clock, "a", sent, 10);
    const b = stream(clock, "b", sent, 4);
    a.start();
    fake.advance(2);
    const pb = b.start();
    fake.advance(25); // a@20 and b@20 went out together
    a.stop();
    fake.advance(100);
    await pb;
    assert.deepEqual(
      sent.filter((s) => s.startsWith("b")),
      ["b@2#0", "b@20#1", "b@40#2", "b@60#3"],
    );
  });

  test("a stream whose send throws stops alone; the others keep their ticks", async () => {
    const { fake, clock } = tracedClock();
    const sent: string[] = [];
    const a = stream(clock, "a", sent, 4);
    let n = 0;
    const bad = new RtpSender({
      clock,
      samples: new Uint8Array(160 * 4),
      codec: "PCMU",
      ssrc: 2,
      send: () => {
        if (++n === 2) throw new Error("EHOSTUNREACH");
      },
    });
    const pa = a.start();
    const pbad = bad.start();
    fake.advance(100);
    await assert.rejects(pbad, /EHOSTUNREACH/);
    assert.deepEqual(await pa, { packets: 4, stopped: false });
    assert.deepEqual(sent, ["a@0#0", "a@20#1", "a@40#2", "a@60#3"]);
  });

  test(`the loop is woken ${PREWAKE_MS} ms before each tick, and that wake-up sends nothing`, () => {
    const { fake, clock } = tracedClock();
    const sent: string[] = [];
    const a = stream(clock, "a", sent, 3);
    a.start();
    fake.advance(20 - PREWAKE_MS);
    assert.deepEqual(sent, ["a@0#0"]);
    assert.equal(fake.pendingTimers(), 1, "the pre-wake has fired; the tick's timer waits");
    fake.advance(PREWAKE_MS);
    assert.deepEqual(sent, ["a@0#0", "a@20#1"]);
    a.stop();
    assert.equal(fake.pendingTimers(), 0);
  });

  test("a FakeClock stream is paced only by that clock: another clock's ticks do not move it", () => {
    const one = tracedClock();
    const two = tracedClock();
    const sent: string[] = [];
    const a = stream(one.clock, "a", sent, 3);
    const b = stream(two.clock, "b", sent, 3);
    a.start();
    b.start();
    one.fake.advance(40);
    assert.deepEqual(sent, ["a@0#0", "b@0#0", "a@20#1", "a@40#2"]);
    two.fake.advance(20);
    assert.deepEqual(sent.at(-1), "b@20#1");
    b.stop();
  });

  test("a stalled loop: the burst and the slip of each stream, still on one timer", async () => {
    const fake = new FakeClock(1_000_000);
    let lag = 0;
    const clock: Clock = {
      now: () => fake.now() + lag,
      setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
      clearTimeout: (h) => fake.clearTimeout(h),
    };
    const sent: string[] = [];
    const a = stream(clock, "a", sent, 20);
    const b = stream(clock, "b", sent, 20);
    const done = [a.start(), b.start()];
    fake.advance(40);
    lag += 200; // ten frames overdue when the next timer fires
    fake.advance(20);
    const burst = sent.filter((s) => s.includes(`@${260}#`));
    assert.equal(burst.length, 6, "three frames each at once, not ten");
    fake.advance(1000);
    for (const r of await Promise.all(done)) assert.deepEqual(r, { packets: 20, stopped: false });
    assert.equal(fake.pendingTimers(), 0);
  });
});
