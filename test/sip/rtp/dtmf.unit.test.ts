import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock } from "../../../src/lib/clock.ts";
import {
  buildDtmfPackets,
  buildTelephoneEvent,
  type DtmfPress,
  DtmfReceiver,
  parseTelephoneEvent,
} from "../../../src/sip/rtp/dtmf.ts";
import { parseRtp, type RtpPacket } from "../../../src/sip/rtp/packet.ts";

const PT = 101;

function rtp(bytes: Uint8Array): RtpPacket {
  const r = parseRtp(bytes);
  if (!r.ok) assert.fail(r.reason);
  return r.packet;
}

function setup(timeoutMs?: number) {
  const clock = new FakeClock();
  const presses: DtmfPress[] = [];
  const rx = new DtmfReceiver({ clock, payloadType: PT, timeoutMs, onDigit: (p) => presses.push(p) });
  return { clock, presses, rx, digits: () => presses.map((p) => p.digit).join("") };
}

describe("telephone-event payload", () => {
  test("parses event, end bit, volume and duration", () => {
    const r = parseTelephoneEvent(Uint8Array.of(11, 0x8a, 0x03, 0x20));
    assert.deepEqual(r, { ok: true, event: { event: 11, digit: "#", end: true, volume: 10, duration: 800 } });
  });

  test("maps codes 0–15 to the keypad and others to null", () => {
    const digits = Array.from({ length: 17 }, (_, e) => {
      const r = parseTelephoneEvent(buildTelephoneEvent({ event: e, end: false, volume: 0, duration: 0 }));
      return r.ok ? r.event.digit : "?";
    });
    assert.deepEqual(digits, [..."0123456789*#ABCD", null]);
  });

  test("a short payload is a reason, not a throw", () => {
    assert.equal(parseTelephoneEvent(Uint8Array.of(1, 2, 3)).ok, false);
  });
});

describe("buildDtmfPackets", () => {
  test("the sipp pattern: non-end packets every 50 ms, then three end packets, one timestamp", () => {
    const bytes = buildDtmfPackets("5", { pt: PT, ssrc: 42, seq: 65533, timestamp: 8000, durationMs: 400 });
    assert.equal(bytes.length, 10);
    const packets = bytes.map(rtp);
    assert.deepEqual(
      packets.map((p) => p.sequence),
      [65533, 65534, 65535, 0, 1, 2, 3, 4, 5, 6],
    );
    assert.ok(packets.every((p) => p.timestamp === 8000 && p.ssrc === 42 && p.payloadType === PT));
    assert.deepEqual(
      packets.map((p) => p.marker),
      [true, ...Array(9).fill(false)],
    );
    const events = packets.map((p) => {
      const e = parseTelephoneEvent(p.payload);
      assert.ok(e.ok);
      return e.event;
    });
    assert.deepEqual(
      events.map((e) => e.end),
      [...Array(7).fill(false), true, true, true],
    );
    assert.deepEqual(
      events.map((e) => e.duration),
      [400, 800, 1200, 1600, 2000, 2400, 2800, 3200, 3200, 3200],
    );
    assert.ok(events.every((e) => e.digit === "5"));
  });

  test("rejects a non-digit", () => {
    assert.throws(() => buildDtmfPackets("x", { pt: PT, ssrc: 1, seq: 0, timestamp: 0, durationMs: 100 }), RangeError);
  });
});

describe("DtmfReceiver", () => {
  test("7 non-end + 3 end packets of one press give one digit", () => {
    const { rx, presses, clock } = setup();
    for (const b of buildDtmfPackets("7", { pt: PT, ssrc: 1, seq: 10, timestamp: 1600, durationMs: 400 })) {
      rx.receive(rtp(b));
    }
    assert.equal(presses.length, 1);
    assert.equal(presses[0].digit, "7");
    assert.equal(presses[0].durationMs, 400);
    assert.equal(presses[0].closedBy, "end");
    clock.advance(5000);
    assert.equal(presses.length, 1, "no second report on timeout");
    assert.equal(clock.pendingTimers(), 0);
  });

  test('"1" then "#" in order, each once', () => {
    const { rx, digits } = setup();
    const a = buildDtmfPackets("1", { pt: PT, ssrc: 1, seq: 0, timestamp: 1000, durationMs: 400 });
    const b = buildDtmfPackets("#", { pt: PT, ssrc: 1, seq: 10, timestamp: 5000, durationMs: 400 });
    for (const p of [...a, ...b]) rx.receive(rtp(p));
    assert.equal(digits(), "1#");
  });

  test("the same key pressed twice is two presses (new timestamp)", () => {
    const { rx, digits } = setup();
    const a = buildDtmfPackets("2", { pt: PT, ssrc: 1, seq: 0, timestamp: 1000, durationMs: 200 });
    const b = buildDtmfPackets("2", { pt: PT, ssrc: 1, seq: 10, timestamp: 4000, durationMs: 200 });
    for (const p of [...a, ...b]) rx.receive(rtp(p));
    assert.equal(digits(), "22");
  });

  test("late or duplicated end packets of a reported press are ignored", () => {
    const { rx, digits } = setup();
    const a = buildDtmfPackets("3", { pt: PT, ssrc: 1, seq: 0, timestamp: 1000, durationMs: 200 });
    const b = buildDtmfPackets("4", { pt: PT, ssrc: 1, seq: 10, timestamp: 4000, durationMs: 200 });
    for (const p of [...a, ...b.slice(0, 2), a[a.length - 1], ...b.slice(2), ...a]) rx.receive(rtp(p));
    assert.equal(digits(), "34");
  });

  test("a press whose end packets were all lost counts when the next press starts", () => {
    const { rx, presses } = setup();
    const a = buildDtmfPackets("8", { pt: PT, ssrc: 1, seq: 0, timestamp: 1000, durationMs: 400 }).slice(0, 7);
    const b = buildDtmfPackets("9", { pt: PT, ssrc: 1, seq: 10, timestamp: 5000, durationMs: 400 });
    for (const p of a) rx.receive(rtp(p));
    assert.equal(presses.length, 0, "not yet: the key may still be held");
    rx.receive(rtp(b[0]));
    assert.deepEqual(
      presses.map((p) => [p.digit, p.closedBy, p.durationMs]),
      [["8", "next", 350]],
    );
    for (const p of b.slice(1)) rx.receive(rtp(p));
    assert.deepEqual(
      presses.map((p) => p.digit),
      ["8", "9"],
    );
  });

  test("a press whose end packets were all lost counts after the timeout, once", () => {
    const { rx, presses, clock } = setup(1000);
    const a = buildDtmfPackets("*", { pt: PT, ssrc: 1, seq: 0, timestamp: 1000, durationMs: 400 }).slice(0, 7);
    for (const p of a) {
      rx.receive(rtp(p));
      clock.advance(50);
    }
    clock.advance(900);
    assert.equal(presses.length, 0, "a held key keeps re-arming the timeout");
    clock.advance(100);
    assert.deepEqual(
      presses.map((p) => [p.digit, p.closedBy]),
      [["*", "timeout"]],
    );
    rx.receive(rtp(buildDtmfPackets("*", { pt: PT, ssrc: 1, seq: 7, timestamp: 1000, durationMs: 400 })[9]));
    assert.equal(presses.length, 1, "an end packet arriving after the timeout does not count again");
  });

  test("packets of another payload type and non-DTMF events are ignored", () => {
    const { rx, presses } = setup();
    for (const b of buildDtmfPackets("1", { pt: 0, ssrc: 1, seq: 0, timestamp: 1000, durationMs: 200 })) {
      rx.receive(rtp(b));
    }
    rx.receiveEvent({ event: 16, digit: null, end: true, volume: 0, duration: 800 }, 2000, 1);
    assert.equal(presses.length, 0);
  });

  test("flush reports an open press, dispose drops it", () => {
    const { rx, presses, clock } = setup();
    const open = buildDtmfPackets("A", { pt: PT, ssrc: 1, seq: 0, timestamp: 1000, durationMs: 400 }).slice(0, 3);
    for (const p of open) rx.receive(rtp(p));
    rx.flush();
    assert.deepEqual(
      presses.map((p) => [p.digit, p.closedBy]),
      [["A", "flush"]],
    );
    const other = buildDtmfPackets("B", { pt: PT, ssrc: 1, seq: 5, timestamp: 9000, durationMs: 400 }).slice(0, 3);
    for (const p of other) rx.receive(rtp(p));
    rx.dispose();
    clock.advance(5000);
    assert.equal(presses.length, 1);
    assert.equal(clock.pendingTimers(), 0);
  });
});
