import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { buildRtp } from "../../../src/sip/rtp/packet.ts";
import { SRTP_SUITES, SrtpContext, type SrtpSuite } from "../../../src/sip/rtp/srtp/index.ts";

const CM_SUITES = (Object.keys(SRTP_SUITES) as SrtpSuite[]).filter((s) => !SRTP_SUITES[s].aead);

function keyOf(suite: SrtpSuite): Uint8Array {
  const s = SRTP_SUITES[suite];
  return Uint8Array.from(randomBytes(s.keyLength + s.saltLength));
}

function rtp(seq: number, ssrc: number, payload: number): Uint8Array {
  return buildRtp(
    { payloadType: 0, sequence: seq & 0xffff, timestamp: seq * 160, ssrc },
    Uint8Array.from(randomBytes(payload)),
  );
}

/**
 * Our stream in order across the ROC wrap, with a lost stretch, frames of other sizes (smaller and
 * larger than the keystream computed ahead) and a packet of another SSRC in the middle.
 */
function traffic(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let seq = 65_500; seq < 65_536 + 40; seq++) {
    if (seq >= 65_520 && seq < 65_523) continue; // lost
    const size = seq === 65_510 ? 60 : seq === 65_511 ? 400 : 160;
    out.push(rtp(seq, 0x1234, size));
    if (seq === 65_530) out.push(rtp(7, 0x9999, 160));
  }
  return out;
}

describe("AES-CM keystream computed ahead", () => {
  for (const suite of CM_SUITES) {
    test(`${suite}: the same SRTP as with every packet's keystream computed alone, and it opens`, () => {
      const key = keyOf(suite);
      const packets = traffic();
      const ahead = new SrtpContext(suite, key);
      // A packet of another SSRC before each one breaks the sequence: nothing is computed ahead.
      const alone = new SrtpContext(suite, key);
      const wire: Uint8Array[] = [];
      let out: Uint8Array = new Uint8Array(0);
      packets.forEach((p, i) => {
        alone.protectRtp(rtp(i, 0x5555, 160));
        const want = alone.protectRtp(p);
        out = ahead.protectRtp(p, out);
        assert.deepEqual([...out], [...want], `packet ${i}`);
        wire.push(want);
      });
      // The receiving side computes ahead too: in order …
      const rx = new SrtpContext(suite, key);
      wire.forEach((w, i) => {
        const r = rx.unprotectRtp(w);
        assert.ok(r.ok, `in order ${i}`);
        assert.deepEqual([...r.packet], [...(packets[i] as Uint8Array)]);
      });
      // … and out of order.
      const late = new SrtpContext(suite, key);
      for (const i of [0, 3, 2, 1, 5, 4, 6, 7, 9, 8]) {
        const r = late.unprotectRtp(wire[i] as Uint8Array);
        assert.ok(r.ok, `out of order ${i}`);
        assert.deepEqual([...r.packet], [...(packets[i] as Uint8Array)]);
      }
    });
  }

  test("protect into a buffer of the wrong length makes a new one; of the right length, writes into it", () => {
    const suite: SrtpSuite = "AES_CM_128_HMAC_SHA1_80";
    const tx = new SrtpContext(suite, keyOf(suite));
    const wrong = new Uint8Array(5);
    const first = tx.protectRtp(rtp(1, 1, 160), wrong);
    assert.notEqual(first, wrong);
    assert.equal(first.length, 172 + 10);
    const second = tx.protectRtp(rtp(2, 1, 160), first);
    assert.equal(second, first, "the same buffer, written again");
  });
});
