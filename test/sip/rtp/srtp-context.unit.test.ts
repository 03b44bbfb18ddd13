/**
 * SRTP context behaviour: ROC across the 16-bit wrap (in order and reordered), the replay window,
 * forged packets leaving no state, what is not SRTP, header extensions and CSRCs, SRTCP tags of 80
 * and 32 bits, counters, and that no key shows through JSON or inspect.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHmac, randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { inspect } from "node:util";
import { buildRtp } from "../../../src/sip/rtp/packet.ts";
import { estimateIndex, SRTP_SUITES, SrtpContext, type SrtpSuite } from "../../../src/sip/rtp/srtp/index.ts";
import { deriveSessionKeys } from "../../../src/sip/rtp/srtp/kdf.ts";
import { ReplayWindow } from "../../../src/sip/rtp/srtp/replay.ts";
import { SDES_SUITES, SUITE_PREFERENCE } from "../../../src/sip/sdp/crypto.ts";

const SUITES = Object.keys(SRTP_SUITES) as SrtpSuite[];
const SSRC = 0x1234abcd;
const payload = (seq: number) => Uint8Array.from({ length: 160 }, (_, i) => (seq + i) & 0xff);
const rtp = (seq: number, extra: Partial<Parameters<typeof buildRtp>[0]> = {}) =>
  buildRtp({ payloadType: 0, sequence: seq & 0xffff, timestamp: seq * 160, ssrc: SSRC, ...extra }, payload(seq));
const RTCP_RR = Uint8Array.from(
  Buffer.from(`81c90007 1234abcd cafebabe ${"00".repeat(20)}`.replaceAll(" ", ""), "hex"),
);

function pair(suite: SrtpSuite): { tx: SrtpContext; rx: SrtpContext; master: Uint8Array } {
  const s = SRTP_SUITES[suite];
  const master = Uint8Array.from(randomBytes(s.keyLength + s.saltLength));
  return { tx: new SrtpContext(suite, master), rx: new SrtpContext(suite, master), master };
}

function ok(ctx: SrtpContext, srtp: Uint8Array, plain: Uint8Array, rtcp = false): void {
  assert.deepEqual(rtcp ? ctx.unprotectRtcp(srtp) : ctx.unprotectRtp(srtp), { ok: true, packet: plain });
}

function dropped(ctx: SrtpContext, srtp: Uint8Array, reason: string, rtcp = false): void {
  assert.deepEqual(rtcp ? ctx.unprotectRtcp(srtp) : ctx.unprotectRtp(srtp), { ok: false, reason });
}

describe("RFC 3711 Appendix A index estimation", () => {
  test("first packet, same ROC, wrap forward, late packet from before the wrap", () => {
    assert.equal(estimateIndex(65500, -1), 65500);
    assert.equal(estimateIndex(100, 50), 100);
    assert.equal(estimateIndex(5, 65530), 65536 + 5);
    assert.equal(estimateIndex(65530, 65536 + 5), 65530);
    assert.equal(estimateIndex(40000, 10), -1); // before ROC 0: cannot be ours
    assert.equal(estimateIndex(32768 + 10, 10), 32778); // exactly half way still counts as ahead
  });
});

describe("replay window", () => {
  test("128 packets: inside and unseen passes, seen or older fails, jumps clear the bitmap", () => {
    const w = new ReplayWindow();
    assert.equal(w.size, 128);
    w.commit(1000);
    assert.equal(w.accepts(1000), false);
    assert.equal(w.accepts(1000 - 127), true);
    assert.equal(w.accepts(1000 - 128), false);
    w.commit(1000 - 127);
    assert.equal(w.accepts(1000 - 127), false);
    w.commit(1001);
    assert.equal(w.accepts(1000 - 127), false); // now outside
    w.commit(5000); // a jump past the window forgets everything
    assert.equal(w.accepts(4999), true);
    assert.equal(w.accepts(5000 - 127), true);
    assert.equal(w.accepts(5000 - 128), false);
    // A short jump clears only the slots it passes over: 0..127 all seen, then 200.
    const v = new ReplayWindow();
    for (let i = 0; i < 128; i++) v.commit(i);
    v.commit(200);
    assert.equal(v.accepts(199), true); // its slot held index 71
    assert.equal(v.accepts(128), true);
    assert.equal(v.accepts(127), false); // seen, still inside
    assert.equal(v.accepts(72), false); // outside
    assert.throws(() => new ReplayWindow(48), RangeError);
  });
});

describe("SRTP context", () => {
  for (const suite of SUITES) {
    test(`${suite}: first sequence 65,500 through the wrap, in order`, () => {
      const { tx, rx } = pair(suite);
      for (let n = 0; n < 200; n++) {
        const plain = rtp(65500 + n);
        const srtp = tx.protectRtp(plain);
        assert.equal(srtp.length, plain.length + SRTP_SUITES[suite].rtpTagLength);
        ok(rx, srtp, plain);
      }
      assert.equal(rx.counters.unprotectedRtp, 200);
      assert.equal(tx.counters.protectedRtp, 200);
    });
  }

  test("reordering around the wrap, then replays and too-old packets", () => {
    const { tx, rx } = pair("AES_CM_128_HMAC_SHA1_80");
    const sent = new Map<number, Uint8Array>();
    for (let seq = 65500; seq < 65536 + 300; seq++) sent.set(seq, tx.protectRtp(rtp(seq)));
    const get = (seq: number) => sent.get(seq) as Uint8Array;
    const order = [65500, 65533, 65535, 65536 + 1, 65534, 65536, 65536 + 3, 65536 + 2, 65532];
    for (const seq of order) ok(rx, get(seq), rtp(seq));
    // The same packet twice, before and after the wrap.
    dropped(rx, get(65535), "replay");
    dropped(rx, get(65536 + 1), "replay");
    // Move 200 on; 65536 + 50 is never delivered. One 128 back is still welcome, one further is not.
    for (let seq = 65536 + 4; seq <= 65536 + 200; seq++)
      if (seq !== 65536 + 150 && seq !== 65536 + 50) rx.unprotectRtp(get(seq));
    ok(rx, get(65536 + 150), rtp(65536 + 150));
    dropped(rx, get(65536 + 50), "replay");
    assert.deepEqual(rx.counters.dropped, { auth: 0, replay: 3, short: 0, "not-rtp": 0 });
  });

  for (const suite of ["AES_CM_128_HMAC_SHA1_80", "AEAD_AES_256_GCM"] as const) {
    test(`${suite}: a forged packet is "auth" and changes nothing (window, highest index, ROC)`, () => {
      const { tx, rx } = pair(suite);
      ok(rx, tx.protectRtp(rtp(10)), rtp(10));
      const far = tx.protectRtp(rtp(30000));
      const forged = far.slice();
      forged[20] ^= 1;
      dropped(rx, forged, "auth");
      const forgedTag = far.slice();
      forgedTag[forgedTag.length - 1] ^= 0x80;
      dropped(rx, forgedTag, "auth");
      // Had the forgery moved the top to 30000, seq 11 would now be too old.
      ok(rx, tx.protectRtp(rtp(11)), rtp(11));
      ok(rx, far, rtp(30000));
      // A packet from another key (another call) fails the same way.
      dropped(rx, pair(suite).tx.protectRtp(rtp(30001)), "auth");
      assert.equal(rx.counters.dropped.auth, 3);
      assert.equal(rx.counters.unprotectedRtp, 3);
    });
  }

  test("CSRCs and a header extension stay in clear and are authenticated", () => {
    const { tx, rx } = pair("AES_256_CM_HMAC_SHA1_80");
    const plain = rtp(7, { csrcs: [1, 2, 3], extension: { profile: 0xbede, data: new Uint8Array(8).fill(9) } });
    const hl = 12 + 12 + 4 + 8;
    const srtp = tx.protectRtp(plain);
    assert.deepEqual(srtp.subarray(0, hl), plain.subarray(0, hl));
    assert.notDeepEqual(srtp.subarray(hl, plain.length), plain.subarray(hl));
    ok(rx, srtp, plain);
    const tampered = tx.protectRtp(rtp(8, { csrcs: [1, 2, 3] }));
    tampered[13] ^= 1; // a CSRC
    dropped(rx, tampered, "auth");
  });

  test("what is not SRTP: STUN, RTCP on the RTP path, short and cut-off packets", () => {
    const { tx, rx } = pair("AES_CM_128_HMAC_SHA1_32");
    const stun = Uint8Array.from(Buffer.from(`000100002112a442${"00".repeat(12)}`, "hex"));
    dropped(rx, stun, "not-rtp");
    dropped(rx, tx.protectRtcp(RTCP_RR), "not-rtp");
    dropped(rx, new Uint8Array(0), "short");
    dropped(rx, Uint8Array.of(0x80, 0, 0, 1), "short");
    dropped(rx, tx.protectRtp(rtp(1)).subarray(0, 15), "short"); // no room for header and 4-byte tag
    const ext = rtp(2, { extension: { profile: 0xbede, data: new Uint8Array(4) } });
    ext[15] = 200; // the extension claims 200 words
    dropped(rx, ext, "short");
    dropped(rx, rtp(3), "auth"); // plain RTP: its last 4 bytes taken as a tag
    assert.deepEqual(rx.counters.dropped, { auth: 1, replay: 0, short: 4, "not-rtp": 2 });
    assert.throws(() => tx.protectRtp(stun), RangeError);
  });

  test("protect: sequence numbers continue across the wrap with ROC 1", () => {
    const { tx, rx, master } = pair("AEAD_AES_128_GCM");
    for (const seq of [65534, 65535, 65536, 65537]) ok(rx, tx.protectRtp(rtp(seq)), rtp(seq));
    // SDES has no ROC in the signalling: a receiver keyed after the sender wrapped assumes ROC 0
    // and cannot authenticate (RFC 3711 §3.3.1), which is why a re-INVITE keeps its contexts.
    const late = new SrtpContext("AEAD_AES_128_GCM", master);
    dropped(late, tx.protectRtp(rtp(65538)), "auth");
  });
});

describe("SRTCP", () => {
  for (const suite of SUITES) {
    test(`${suite}: round trip, index per SSRC from 1, replay, forged`, () => {
      const { tx, rx } = pair(suite);
      const first = tx.protectRtcp(RTCP_RR);
      const second = tx.protectRtcp(RTCP_RR);
      const trailerAt = SRTP_SUITES[suite].aead ? first.length - 4 : RTCP_RR.length;
      assert.equal(Buffer.from(first.subarray(trailerAt, trailerAt + 4)).toString("hex"), "80000001");
      assert.equal(first.length, RTCP_RR.length + 4 + (SRTP_SUITES[suite].aead ? 16 : 10));
      ok(rx, second, RTCP_RR, true);
      ok(rx, first, RTCP_RR, true);
      dropped(rx, first, "replay", true);
      const forged = tx.protectRtcp(RTCP_RR);
      forged[9] ^= 1;
      dropped(rx, forged, "auth", true);
      dropped(rx, RTCP_RR, "auth", true); // plain RTCP (baresip's ping before SRTP starts)
      dropped(rx, rtp(1), "not-rtp", true);
      assert.equal(rx.counters.unprotectedRtcp, 2);
    });
  }

  test("_32 suites also take a 32-bit SRTCP tag (baresip); _80 suites do not", () => {
    for (const [suite, accepted] of [
      ["AES_CM_128_HMAC_SHA1_32", true],
      ["AES_256_CM_HMAC_SHA1_32", true],
      ["AES_CM_128_HMAC_SHA1_80", false],
    ] as const) {
      const { tx, rx } = pair(suite);
      const full = tx.protectRtcp(RTCP_RR);
      const short = full.subarray(0, full.length - 6); // the same HMAC, cut to 4 octets
      if (accepted) {
        ok(rx, short, RTCP_RR, true);
        // This SSRC now speaks 32-bit tags: an 80-bit one no longer parses as such.
        dropped(rx, tx.protectRtcp(RTCP_RR), "auth", true);
        const next = tx.protectRtcp(RTCP_RR);
        ok(rx, next.subarray(0, next.length - 6), RTCP_RR, true);
      } else dropped(rx, short, "auth", true);
    }
  });

  test("E=0 (unencrypted, still authenticated) is taken as is", () => {
    const { rx, master } = pair("AES_CM_128_HMAC_SHA1_80");
    const keys = deriveSessionKeys("AES_CM_128_HMAC_SHA1_80", master.subarray(0, 16), master.subarray(16));
    const body = new Uint8Array([...RTCP_RR, 0, 0, 0, 7]);
    const tag = createHmac("sha1", keys.rtcp.auth).update(body).digest().subarray(0, 10);
    ok(rx, new Uint8Array([...body, ...tag]), RTCP_RR, true);
  });
});

describe("keys and suites", () => {
  test("no key in JSON or inspect of a context", () => {
    const { tx, master } = pair("AES_CM_128_HMAC_SHA1_80");
    const keyHex = Buffer.from(master).toString("hex").slice(0, 12);
    for (const text of [JSON.stringify(tx), inspect(tx, { showHidden: true, depth: 9 }), String(tx)]) {
      assert.ok(!text.includes(keyHex), text);
      assert.ok(!text.toLowerCase().includes("key"), text);
    }
    assert.match(JSON.stringify(tx), /"suite":"AES_CM_128_HMAC_SHA1_80"/);
    assert.throws(() => new SrtpContext("AES_CM_128_HMAC_SHA1_80", master.subarray(0, 29)), /29 octets, needs 30/);
  });

  test("the SDES table (sip/sdp/crypto.ts) names the same suites with the same lengths", () => {
    assert.deepEqual([...SUITE_PREFERENCE].sort(), [...SUITES].sort());
    for (const s of SUITES) {
      assert.deepEqual(SDES_SUITES[s], { keyLength: SRTP_SUITES[s].keyLength, saltLength: SRTP_SUITES[s].saltLength });
    }
  });

  test("per-SSRC state is kept for at most maxStreams SSRCs", () => {
    const s = SRTP_SUITES.AES_CM_128_HMAC_SHA1_80;
    const master = Uint8Array.from(randomBytes(s.keyLength + s.saltLength));
    const tx = new SrtpContext("AES_CM_128_HMAC_SHA1_80", master);
    const rx = new SrtpContext("AES_CM_128_HMAC_SHA1_80", master, { maxStreams: 2 });
    const a = tx.protectRtp(rtp(1, { ssrc: 1 }));
    ok(rx, a, rtp(1, { ssrc: 1 }));
    ok(rx, tx.protectRtp(rtp(1, { ssrc: 2 })), rtp(1, { ssrc: 2 }));
    dropped(rx, a, "replay");
    ok(rx, tx.protectRtp(rtp(1, { ssrc: 3 })), rtp(1, { ssrc: 3 })); // SSRC 1 forgotten
    ok(rx, a, rtp(1, { ssrc: 1 }));
  });
});
