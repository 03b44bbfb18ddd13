import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Clock, FakeClock } from "../../../src/lib/clock.ts";
import { RtpSender } from "../../../src/sip/rtp/pacer.ts";
import { parseRtp, type RtpPacket } from "../../../src/sip/rtp/packet.ts";

/** A FakeClock whose `now` can jump ahead without firing timers (a stalled event loop). */
function laggyClock() {
  const fake = new FakeClock(1_000_000);
  let lag = 0;
  const clock: Clock = {
    now: () => fake.now() + lag,
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
    clearTimeout: (h) => fake.clearTimeout(h),
  };
  return { fake, clock, stall: (ms: number) => (lag += ms) };
}

function recorder(clock: Clock) {
  const sent: { at: number; p: RtpPacket }[] = [];
  const send = (b: Uint8Array) => {
    const r = parseRtp(b);
    if (!r.ok) assert.fail(r.reason);
    sent.push({ at: clock.now(), p: r.packet });
  };
  return { sent, send };
}

describe("RtpSender", () => {
  test("packet k goes out at start + 20k ms with timestamps stepping 160 and a first-packet marker", async () => {
    const clock = new FakeClock(1_000_000);
    const { sent, send } = recorder(clock);
    const samples = Uint8Array.from({ length: 160 * 50 }, (_, i) => i & 0xff);
    const s = new RtpSender({ clock, send, samples, codec: "PCMU", ssrc: 7, sequence: 100, timestamp: 5000 });
    const done = s.start();
    assert.equal(sent.length, 1, "first frame at once");
    clock.advance(19);
    assert.equal(sent.length, 1);
    clock.advance(1);
    assert.equal(sent.length, 2);
    clock.advance(2000);
    assert.deepEqual(await done, { packets: 50, stopped: false });
    assert.equal(sent.length, 50);
    sent.forEach(({ at, p }, k) => {
      assert.equal(at, 1_000_000 + 20 * k, `send time of packet ${k}`);
      assert.equal(p.sequence, 100 + k);
      assert.equal(p.timestamp, 5000 + 160 * k);
      assert.equal(p.marker, k === 0);
      assert.equal(p.payloadType, 0);
      assert.equal(p.ssrc, 7);
      assert.deepEqual([...p.payload], [...samples.subarray(160 * k, 160 * (k + 1))]);
    });
    assert.equal(s.nextSequence, 150);
    assert.equal(s.nextTimestamp, 5000 + 160 * 50);
    assert.equal(clock.pendingTimers(), 0);
  });

  test("no drift: deadlines are absolute even when each timer fires a little late", async () => {
    const { fake, clock, stall } = laggyClock();
    const { sent, send } = recorder(clock);
    const s = new RtpSender({ clock, send, samples: new Uint8Array(160 * 100), codec: "PCMU", ssrc: 1 });
    const done = s.start();
    while (sent.length < 100) {
      fake.advance(1);
      if (fake.now() % 20 === 0) stall(3); // every tick lands 3 ms late
      if (fake.now() > 1_010_000) break;
    }
    await done;
    // With 3 ms lateness per frame a relative scheduler would end ~300 ms late; this one stays on the grid.
    const last = sent[99].at;
    assert.ok(last - (1_000_000 + 99 * 20) < 20 + 3 * 100, "sanity");
    const start = sent[0].at;
    for (let k = 1; k < 100; k++) {
      const late = sent[k].at - (start + 20 * k);
      assert.ok(late < 20, `packet ${k} ${late} ms behind its deadline`);
    }
  });

  test("sequence wraps at 65536 and timestamp at 2^32", async () => {
    const clock = new FakeClock();
    const { sent, send } = recorder(clock);
    const s = new RtpSender({
      clock,
      send,
      samples: new Uint8Array(160 * 4),
      codec: "PCMA",
      ssrc: 1,
      sequence: 65534,
      timestamp: 2 ** 32 - 320,
    });
    s.start();
    clock.advance(100);
    await s.done;
    assert.deepEqual(
      sent.map(({ p }) => p.sequence),
      [65534, 65535, 0, 1],
    );
    assert.deepEqual(
      sent.map(({ p }) => p.timestamp),
      [2 ** 32 - 320, 2 ** 32 - 160, 0, 160],
    );
    assert.ok(sent.every(({ p }) => p.payloadType === 8));
  });

  test("the last partial frame is padded with the codec's silence", async () => {
    for (const [codec, silence] of [
      ["PCMU", 0xff],
      ["PCMA", 0xd5],
    ] as const) {
      const clock = new FakeClock();
      const { sent, send } = recorder(clock);
      const s = new RtpSender({ clock, send, samples: new Uint8Array(200).fill(0x11), codec, ssrc: 1 });
      s.start();
      clock.advance(40);
      assert.deepEqual(await s.done, { packets: 2, stopped: false });
      const last = sent[1].p.payload;
      assert.equal(last.length, 160);
      assert.deepEqual([...last.subarray(0, 40)], Array(40).fill(0x11));
      assert.deepEqual([...last.subarray(40)], Array(120).fill(silence));
    }
  });

  test("a late clock catches up without bursting more than maxBurst frames, and loses none", async () => {
    const { fake, clock, stall } = laggyClock();
    const { sent, send } = recorder(clock);
    const s = new RtpSender({ clock, send, samples: new Uint8Array(160 * 30), codec: "PCMU", ssrc: 1, maxBurst: 3 });
    s.start();
    fake.advance(100); // frames 0–5 on time
    assert.equal(sent.length, 6);
    stall(200); // the loop stalls: 10 frames overdue when the next timer fires
    fake.advance(20);
    assert.equal(sent.length, 9, "three frames at once, not ten");
    const burstAt = sent[8].at;
    assert.ok(sent.slice(6).every((x) => x.at === burstAt));
    fake.advance(1000);
    assert.deepEqual(await s.done, { packets: 30, stopped: false });
    const seqs = sent.map(({ p }) => p.sequence);
    assert.deepEqual(
      seqs,
      Array.from({ length: 30 }, (_, i) => i),
    );
    const perInstant = new Map<number, number>();
    for (const { at } of sent) perInstant.set(at, (perInstant.get(at) ?? 0) + 1);
    assert.ok(Math.max(...perInstant.values()) <= 3, "never more than three frames at one instant");
    for (let k = 10; k < 30; k++) assert.equal(sent[k].at - sent[k - 1].at, 20, `packet ${k} back on a 20 ms grid`);
  });

  test("a frame late by less than a burst is caught up on the original grid", async () => {
    const { fake, clock, stall } = laggyClock();
    const { sent, send } = recorder(clock);
    const s = new RtpSender({ clock, send, samples: new Uint8Array(160 * 10), codec: "PCMU", ssrc: 1 });
    s.start();
    stall(30); // frame 1 fires 30 ms late, at +50: frames 1 and 2 are due
    fake.advance(20);
    assert.equal(sent.length, 3);
    assert.equal(sent[2].at, sent[0].at + 50);
    fake.advance(10);
    assert.equal(sent.length, 4, "frame 3 back on its absolute deadline");
    assert.equal(sent[3].at, sent[0].at + 60);
    fake.advance(200);
    await s.done;
    for (let k = 4; k < 10; k++) assert.equal(sent[k].at, sent[0].at + 20 * k);
  });

  test("stop ends early and resolves done", async () => {
    const clock = new FakeClock();
    const { sent, send } = recorder(clock);
    const s = new RtpSender({ clock, send, samples: new Uint8Array(160 * 10), codec: "PCMU", ssrc: 1 });
    s.start();
    clock.advance(40);
    s.stop();
    clock.advance(1000);
    assert.deepEqual(await s.done, { packets: 3, stopped: true });
    assert.equal(sent.length, 3);
    assert.equal(clock.pendingTimers(), 0);
  });

  test("a throwing send rejects done and stops", async () => {
    const clock = new FakeClock();
    let n = 0;
    const s = new RtpSender({
      clock,
      send: () => {
        if (++n === 2) throw new Error("EHOSTUNREACH");
      },
      samples: new Uint8Array(160 * 10),
      codec: "PCMU",
      ssrc: 1,
    });
    s.start();
    clock.advance(1000);
    await assert.rejects(s.done, /EHOSTUNREACH/);
    assert.equal(n, 2);
  });

  test("empty audio finishes at once", async () => {
    const clock = new FakeClock();
    const s = new RtpSender({
      clock,
      send: () => assert.fail("nothing to send"),
      samples: new Uint8Array(0),
      codec: "PCMU",
      ssrc: 1,
    });
    assert.deepEqual(await s.start(), { packets: 0, stopped: false });
  });
});
