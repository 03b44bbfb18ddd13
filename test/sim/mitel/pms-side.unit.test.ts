import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock } from "../../../src/lib/clock.ts";
import { ACK, ENQ, MitelReader, NAK, wrapMessage } from "../../../src/pms/mitel/codec.ts";
import type { MitelMessage } from "../../../src/pms/mitel/messages.ts";
import { MITEL_PROFILES } from "../../../src/pms/mitel/profiles.ts";
import { PmsSide } from "../../../src/sim/mitel/pms-side.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function side() {
  const clock = new FakeClock();
  const reader = new MitelReader();
  const wire: string[] = [];
  const got: (MitelMessage | string)[] = [];
  const discarded: string[] = [];
  const s = new PmsSide({
    clock,
    profile: MITEL_PROFILES.sx2000,
    charset: "latin1",
    write: (b) => {
      for (const ev of reader.push(b))
        wire.push(ev.kind === "frame" ? String.fromCharCode(...ev.bytes) : ev.kind.toUpperCase());
    },
    received: (_raw, m, error) => got.push(m ?? `!${error}`),
    sent: () => {},
    discarded: (t) => discarded.push(t),
    garbage: () => {},
  });
  const take = () => wire.splice(0);
  const from = (...b: number[]) => s.onData(Uint8Array.from(b));
  return { clock, s, take, got, discarded, from };
}

describe("simulated PMS: its side of the link procedure", () => {
  test("bids, sends on ACK, next message after the ACK", async () => {
    const h = side();
    let acked = 0;
    h.s.send("CHK1   101", bytes("CHK1   101")).then(() => acked++);
    h.s.send("CHK0   102", bytes("CHK0   102"));
    assert.deepEqual(h.take(), ["ENQ"]);
    h.from(ACK);
    assert.deepEqual(h.take(), ["CHK1   101"]);
    h.from(ACK);
    await Promise.resolve();
    assert.equal(acked, 1);
    assert.deepEqual(h.take(), ["ENQ"]);
  });

  test("NAK to the frame: the frame alone 3 more times, then discarded", () => {
    const h = side();
    h.s.send("CHK1   101", bytes("CHK1   101"));
    h.from(ACK);
    for (let i = 0; i < 3; i++) h.from(NAK);
    assert.deepEqual(h.take(), ["ENQ", "CHK1   101", "CHK1   101", "CHK1   101", "CHK1   101"]);
    h.from(NAK);
    assert.deepEqual(h.discarded, ["CHK1   101"]);
  });

  test("no answer to ENQ or to the frame: again from ENQ after 3 s", () => {
    const h = side();
    h.s.send("CHK1   101", bytes("CHK1   101"));
    h.clock.advance(3000);
    assert.deepEqual(h.take(), ["ENQ", "ENQ"]);
    h.from(ACK);
    h.clock.advance(3000);
    assert.deepEqual(h.take(), ["CHK1   101", "ENQ"]);
  });

  test("glare: the system's ENQ while ours waits is ACKed, and we wait 6 s before bidding again", () => {
    const h = side();
    h.s.send("CHK1   101", bytes("CHK1   101"));
    h.take();
    h.from(ENQ);
    assert.deepEqual(h.take(), ["ACK"]);
    h.s.onData(wrapMessage(bytes("STS2 101  ")));
    assert.deepEqual(h.take(), ["ACK"]);
    assert.deepEqual(h.got, [{ type: "STS", room: "101", status: 2 }]);
    h.clock.advance(5999);
    assert.deepEqual(h.take(), []);
    h.clock.advance(1);
    assert.deepEqual(h.take(), ["ENQ"]);
    assert.equal(h.s.stats.glare, 1);
  });

  test("the system's messages: valid ones ACKed, others NAKed; test hooks", () => {
    const h = side();
    h.from(ENQ);
    h.s.onData(wrapMessage(bytes("CHK1   101")));
    assert.deepEqual(h.take(), ["ACK", "NAK"]);
    h.s.nakEnqs = 1;
    h.s.ignoreEnqs = 1;
    h.from(ENQ);
    h.from(ENQ);
    assert.deepEqual(h.take(), ["NAK"]);
    h.s.nakMessages = 1;
    h.from(ENQ);
    h.s.onData(wrapMessage(bytes("MW 1 101  ")));
    assert.deepEqual(h.take(), ["ACK", "NAK"]);
  });
});
