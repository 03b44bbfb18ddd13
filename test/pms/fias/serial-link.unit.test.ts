import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { encode } from "../../../src/lib/charset.ts";
import { FakeClock } from "../../../src/lib/clock.ts";
import { wrapFrame } from "../../../src/pms/fias/frame.ts";
import { frameLrc, lrc } from "../../../src/pms/fias/lrc.ts";
import { ACK, ENQ, FiasSerialLayer, NAK } from "../../../src/pms/fias/serial-link.ts";

const latin = (s: string) => encode(s, "latin1");
const body = (s: string) => latin(`${s}\x03`);
const frame = (s: string) => wrapFrame(latin(s));
const withLrc = (s: string, bad = false) => {
  const f = frame(s);
  const out = new Uint8Array(f.length + 1);
  out.set(f);
  out[f.length] = frameLrc(f) ^ (bad ? 0x40 : 0);
  return out;
};

function layer(opts: { maxFrameBytes?: number } = {}) {
  const clock = new FakeClock();
  const wire: number[][] = [];
  const up: string[] = [];
  const gaveUp: string[] = [];
  const l = new FiasSerialLayer({
    clock,
    toWire: (b) => wire.push([...b]),
    up: (b) => up.push(new TextDecoder("latin1").decode(b)),
    onGiveUp: (r) => gaveUp.push(r),
    ...opts,
  });
  return { clock, wire, up, gaveUp, l };
}

describe("LRC (Spec ch.7 example and ch.8 log)", () => {
  test("<STX>12345<ETX> → '2' (0x32)", () => {
    assert.equal(lrc(body("12345")), 0x32);
    assert.equal(frameLrc(frame("12345")), 0x32);
  });
  test("the spec's serial log", () => {
    assert.equal(lrc(body("LS|DA161117|TI102926|")), "w".charCodeAt(0));
    assert.equal(lrc(body("LA|DA161117|TI102111|")), "i".charCodeAt(0));
    assert.equal(lrc(body("LD|DA161117|TI102203|V#1.0|IFWW|")), "9".charCodeAt(0));
    assert.equal(lrc(body("LS|DA161117|TI102107|")), 0x7c);
  });
  test("the worked posting: PS → 0x69, PA → 'E'", () => {
    const ps = withLrc("PS|RN101|PTC|TA1250|DA250301|TI101500|P#42|");
    assert.equal(ps[0], 0x02);
    assert.equal(ps.at(-2), 0x03);
    assert.equal(ps.at(-1), 0x69);
    assert.equal(lrc(body("PA|RN101|ASOK|P#42|DA250301|TI101500|")), 0x45);
  });
});

describe("FiasSerialLayer receiving", () => {
  test("a good frame: ACK, and the frame goes up without its LRC", () => {
    const { l, wire, up } = layer();
    l.fromWire(withLrc("GI|RN101|"));
    assert.deepEqual(wire, [[ACK]]);
    assert.deepEqual(up, ["\x02GI|RN101|\x03"]);
  });
  test("split across reads, LRC equal to STX taken by position", () => {
    // find a record whose LRC is STX
    let s = "";
    for (let i = 0; i < 1000; i++) {
      s = `XL|RN${i}|`;
      if (frameLrc(frame(s)) === 0x02) break;
    }
    assert.equal(frameLrc(frame(s)), 0x02);
    const { l, wire, up } = layer();
    const b = withLrc(s);
    for (const byte of b) l.fromWire(Uint8Array.of(byte));
    assert.deepEqual(wire, [[ACK]]);
    assert.equal(up.length, 1);
  });
  test("bad LRC: NAK, nothing goes up", () => {
    const { l, wire, up } = layer();
    l.fromWire(withLrc("GO|RN101|", true));
    assert.deepEqual(wire, [[NAK]]);
    assert.deepEqual(up, []);
    assert.equal(l.stats.naksSent, 1);
  });
  test("oversized frame: NAK", () => {
    const { l, wire, up } = layer({ maxFrameBytes: 10 });
    l.fromWire(withLrc("GI|RN101|GNVeryLongName|"));
    assert.deepEqual(wire, [[NAK]]);
    assert.deepEqual(up, []);
  });
  test("noise between frames goes up as it is; ACK/NAK/ENQ do not", () => {
    const { l, up } = layer();
    l.fromWire(Uint8Array.of(0x41, 0x42, ...withLrc("GI|RN1|"), 0x0d, 0x0a));
    assert.deepEqual(up, ["AB", "\x02GI|RN1|\x03", "\r\n"]);
  });
  test("ENQ: our last answer repeated; NAK after timer 2 or after another byte; NAK at start-up", () => {
    const { l, wire, clock } = layer();
    l.fromWire(Uint8Array.of(ENQ));
    assert.deepEqual(wire.pop(), [NAK]);
    l.fromWire(withLrc("GI|RN1|"));
    assert.deepEqual(wire.pop(), [ACK]);
    l.fromWire(Uint8Array.of(ENQ));
    assert.deepEqual(wire.pop(), [ACK]);
    clock.advance(3001);
    l.fromWire(Uint8Array.of(ENQ));
    assert.deepEqual(wire.pop(), [NAK]);
    l.fromWire(withLrc("GI|RN2|"));
    assert.deepEqual(wire.pop(), [ACK]);
    l.fromWire(Uint8Array.of(0x20, ENQ));
    assert.deepEqual(wire.pop(), [NAK]);
  });
  test("a stalled frame is dropped after the frame timeout; a new STX restarts", () => {
    const { l, wire, up, clock } = layer();
    l.fromWire(latin("\x02GI|RN1"));
    clock.advance(3001);
    l.fromWire(latin("|\x03"));
    l.fromWire(Uint8Array.of(0x41)); // would have been the LRC
    assert.deepEqual(up, ["|\x03", "A"]);
    assert.equal(l.stats.framesAbandoned, 1);
    l.fromWire(latin("\x02GI|R"));
    l.fromWire(withLrc("GO|RN5|"));
    assert.deepEqual(up.at(-1), "\x02GO|RN5|\x03");
    assert.deepEqual(wire, [[ACK]]);
  });
});

describe("FiasSerialLayer sending", () => {
  test("one frame in flight; ACK sends the next", () => {
    const { l, wire } = layer();
    l.send(frame("GI|RN1|"));
    l.send(frame("GI|RN2|"));
    assert.equal(wire.length, 1);
    assert.deepEqual(wire[0], [...withLrc("GI|RN1|")]);
    l.fromWire(Uint8Array.of(ACK));
    assert.deepEqual(wire[1], [...withLrc("GI|RN2|")]);
    l.fromWire(Uint8Array.of(ACK));
    assert.equal(l.pending, 0);
  });
  test("several frames in one write are queued one by one", () => {
    const { l, wire } = layer();
    l.send(Uint8Array.of(...frame("A|"), ...frame("B|")));
    assert.equal(wire.length, 1);
    l.fromWire(Uint8Array.of(ACK));
    assert.equal(wire.length, 2);
  });
  test("NAK: resent, 3 retries, then the line is given up", () => {
    const { l, wire, gaveUp } = layer();
    l.send(frame("GI|RN1|"));
    for (let i = 0; i < 3; i++) l.fromWire(Uint8Array.of(NAK));
    assert.equal(wire.length, 4);
    for (const w of wire) assert.deepEqual(w, [...withLrc("GI|RN1|")]);
    assert.deepEqual(gaveUp, []);
    l.fromWire(Uint8Array.of(NAK));
    assert.equal(gaveUp.length, 1);
    assert.equal(l.stats.resent, 3);
  });
  test("delivery: done(true) on the ACK; the frame given up and those queued behind it hear false", () => {
    const { l, clock } = layer();
    const heard: string[] = [];
    l.send(frame("GI|RN1|"), { done: (ok) => heard.push(`1:${ok}`) });
    assert.equal(heard.length, 0);
    l.fromWire(Uint8Array.of(ACK));
    assert.deepEqual(heard, ["1:true"]);
    l.send(frame("GI|RN2|"), { done: (ok, why) => heard.push(`2:${ok}:${why}`) });
    l.send(frame("GI|RN3|"), { done: (ok) => heard.push(`3:${ok}`) });
    for (let i = 0; i < 4; i++) l.fromWire(Uint8Array.of(NAK));
    assert.deepEqual(heard, ["1:true", "2:false:NAK after 4 attempts", "3:false"]);
    l.send(frame("GI|RN4|"), { done: (ok, why) => heard.push(`4:${ok}:${why}`) });
    assert.equal(heard.at(-1), "4:false:line closed");
    clock.advance(60_000);
    assert.equal(heard.length, 4, "each told once");
  });
  test("delivery: closing the line tells the frame in flight", () => {
    const { l } = layer();
    const heard: string[] = [];
    l.send(frame("GI|RN1|"), { done: (ok, why) => heard.push(`${ok}:${why}`) });
    l.close("device gone");
    assert.deepEqual(heard, ["false:device gone"]);
  });
  test("bad LRC once (test hook) → NAK → resent once with the right LRC", () => {
    const a = layer();
    const b = layer();
    a.l = new FiasSerialLayer({
      clock: a.clock,
      toWire: (x) => b.l.fromWire(x),
      up: () => {},
      onGiveUp: () => {},
    });
    b.l = new FiasSerialLayer({
      clock: b.clock,
      toWire: (x) => a.l.fromWire(x),
      up: (x) => b.up.push(String(x.length)),
      onGiveUp: () => {},
    });
    a.l.send(frame("GI|RN1|"), { badLrcAttempts: 1 });
    assert.equal(b.l.stats.naksSent, 1);
    assert.equal(a.l.stats.resent, 1);
    assert.equal(b.up.length, 1);
    assert.equal(a.l.pending, 0);
  });
  test("no answer: ENQ every 3 s (never the frame), up to 3, then given up", () => {
    const { l, wire, clock, gaveUp } = layer();
    l.send(frame("GI|RN1|"));
    clock.advance(2999);
    assert.equal(wire.length, 1);
    clock.advance(1);
    assert.deepEqual(wire.at(-1), [ENQ]);
    clock.advance(3000);
    clock.advance(3000);
    assert.deepEqual(wire.slice(1), [[ENQ], [ENQ], [ENQ]]);
    assert.deepEqual(gaveUp, []);
    clock.advance(3000);
    assert.equal(gaveUp.length, 1);
  });
  test("ENQ answered with ACK completes the frame; with NAK resends it", () => {
    const { l, wire, clock } = layer();
    l.send(frame("GI|RN1|"));
    clock.advance(3000);
    l.fromWire(Uint8Array.of(NAK));
    assert.deepEqual(wire.at(-1), [...withLrc("GI|RN1|")]);
    clock.advance(3000);
    l.fromWire(Uint8Array.of(ACK));
    assert.equal(l.pending, 0);
  });
  test("a stray ACK is counted, not fatal", () => {
    const { l } = layer();
    l.fromWire(Uint8Array.of(ACK));
    assert.equal(l.stats.strayAnswers, 1);
  });
});
