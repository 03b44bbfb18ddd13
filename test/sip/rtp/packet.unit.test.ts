import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildRtp, parseRtp, type RtpPacket } from "../../../src/sip/rtp/packet.ts";

function parsed(bytes: Uint8Array): RtpPacket {
  const r = parseRtp(bytes);
  if (!r.ok) assert.fail(`unexpected ${r.reason}: ${r.detail}`);
  return r.packet;
}

function reason(bytes: Uint8Array): string {
  const r = parseRtp(bytes);
  assert.equal(r.ok, false);
  return r.ok ? "" : r.reason;
}

const payload = Uint8Array.from({ length: 160 }, (_, i) => i);

describe("RTP packet", () => {
  test("round trip of every header field", () => {
    const bytes = buildRtp(
      {
        marker: true,
        payloadType: 8,
        sequence: 65535,
        timestamp: 0xfffffff0,
        ssrc: 0xdeadbeef,
        csrcs: [1, 0xffffffff],
      },
      payload,
    );
    assert.equal(bytes.length, 12 + 8 + 160);
    assert.equal(bytes[0], 0x82);
    assert.equal(bytes[1], 0x88);
    const p = parsed(bytes);
    assert.equal(p.version, 2);
    assert.equal(p.marker, true);
    assert.equal(p.payloadType, 8);
    assert.equal(p.sequence, 65535);
    assert.equal(p.timestamp, 0xfffffff0);
    assert.equal(p.ssrc, 0xdeadbeef);
    assert.deepEqual(p.csrcs, [1, 0xffffffff]);
    assert.equal(p.padding, false);
    assert.equal(p.extension, false);
    assert.deepEqual([...p.payload], [...payload]);
  });

  test("the fixed header is laid out as RFC 3550 §5.1", () => {
    const bytes = buildRtp(
      { payloadType: 0, sequence: 0x1234, timestamp: 0x01020304, ssrc: 0x0a0b0c0d },
      new Uint8Array(0),
    );
    assert.deepEqual([...bytes], [0x80, 0x00, 0x12, 0x34, 1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d]);
    const p = parsed(bytes);
    assert.equal(p.marker, false);
    assert.equal(p.payload.length, 0);
  });

  test("out-of-range numbers wrap to their field", () => {
    const p = parsed(buildRtp({ payloadType: 96, sequence: 65536 + 5, timestamp: 2 ** 32 + 7, ssrc: -1 }, payload));
    assert.equal(p.sequence, 5);
    assert.equal(p.timestamp, 7);
    assert.equal(p.ssrc, 0xffffffff);
  });

  test("padding is stripped", () => {
    const bytes = buildRtp({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3, padding: 4 }, payload);
    assert.equal(bytes.length, 12 + 160 + 4);
    assert.equal(bytes[0] & 0x20, 0x20);
    const p = parsed(bytes);
    assert.equal(p.padding, true);
    assert.deepEqual([...p.payload], [...payload]);
  });

  test("a header extension is skipped", () => {
    const ext = { profile: 0xbede, data: Uint8Array.of(0x10, 0xaa, 0, 0, 0x21, 1, 2, 0) };
    const bytes = buildRtp({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3, csrcs: [9], extension: ext }, payload);
    const p = parsed(bytes);
    assert.equal(p.extension, true);
    assert.deepEqual(p.csrcs, [9]);
    assert.deepEqual([...p.payload], [...payload]);
  });

  test("a packet at an offset inside a larger buffer parses", () => {
    const bytes = buildRtp({ payloadType: 0, sequence: 7, timestamp: 8, ssrc: 9 }, payload);
    const big = new Uint8Array(bytes.length + 10);
    big.set(bytes, 5);
    const p = parsed(big.subarray(5, 5 + bytes.length));
    assert.equal(p.sequence, 7);
    assert.equal(p.ssrc, 9);
    assert.deepEqual([...p.payload], [...payload]);
  });

  describe("malformed input gives a reason and never throws", () => {
    const good = () => buildRtp({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3 }, payload);

    test("short", () => {
      assert.equal(reason(new Uint8Array(0)), "too-short");
      assert.equal(reason(good().subarray(0, 11)), "too-short");
    });

    test("version 1 (and 0, 3)", () => {
      for (const v of [0, 1, 3]) {
        const b = good();
        b[0] = (b[0] & 0x3f) | (v << 6);
        assert.equal(reason(b), "bad-version");
      }
    });

    test("padding length too big or zero", () => {
      const b = good();
      b[0] |= 0x20;
      b[b.length - 1] = 161;
      assert.equal(reason(b), "bad-padding");
      b[b.length - 1] = 0;
      assert.equal(reason(b), "bad-padding");
      b[b.length - 1] = 160;
      assert.equal(parsed(b).payload.length, 0, "padding may fill the whole payload");
      const headerOnly = buildRtp({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3 }, new Uint8Array(0));
      headerOnly[0] |= 0x20;
      assert.equal(reason(headerOnly), "bad-padding");
    });

    test("CSRC count overflowing the packet", () => {
      const b = buildRtp({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3 }, new Uint8Array(8));
      b[0] |= 0x0f;
      assert.equal(reason(b), "csrc-overflow");
      const ok = buildRtp({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3 }, new Uint8Array(8));
      ok[0] |= 2;
      assert.deepEqual(parsed(ok).csrcs, [0, 0]);
    });

    test("extension overflowing the packet", () => {
      const b = buildRtp({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3 }, Uint8Array.of(0xbe, 0xde, 0, 5));
      b[0] |= 0x10;
      assert.equal(reason(b), "extension-overflow");
      const cut = buildRtp({ payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3 }, Uint8Array.of(0xbe));
      cut[0] |= 0x10;
      assert.equal(reason(cut), "extension-overflow");
    });

    test("RTCP on a muxed port", () => {
      const rr = Uint8Array.of(0x80, 201, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0);
      assert.equal(reason(rr), "rtcp");
    });

    test("random bytes never throw", () => {
      let seed = 12345;
      const rand = () => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed;
      };
      for (let i = 0; i < 5000; i++) {
        const b = Uint8Array.from({ length: rand() % 40 }, () => rand() & 0xff);
        const r = parseRtp(b);
        if (r.ok) assert.ok(r.packet.payload.length <= b.length);
        else assert.equal(typeof r.reason, "string");
      }
    });
  });
});
