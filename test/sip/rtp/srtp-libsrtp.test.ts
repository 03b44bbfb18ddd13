/**
 * Our SRTP against libsrtp itself (libsrtp2 2.5 through Debian's python3-pylibsrtp, run by the system
 * python): both directions, SRTP and SRTCP, a stream starting at sequence 65,500 so it wraps into
 * ROC 1, packets reordered around the wrap, and a replayed packet each side must refuse.
 * pylibsrtp has no AES-256-CM; RFC 6188's vector covers that suite.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { describe, test } from "node:test";
import { buildRtp } from "../../../src/sip/rtp/packet.ts";
import { SRTP_SUITES, SrtpContext, type SrtpSuite } from "../../../src/sip/rtp/srtp/index.ts";
import { PEER_FIXTURES, peerSkip, SYSTEM_PYTHON } from "../../peers/available.ts";

const PROFILES: Array<[SrtpSuite, string]> = [
  ["AES_CM_128_HMAC_SHA1_80", "AES128_CM_SHA1_80"],
  ["AES_CM_128_HMAC_SHA1_32", "AES128_CM_SHA1_32"],
  ["AEAD_AES_128_GCM", "AEAD_AES_128_GCM"],
  ["AEAD_AES_256_GCM", "AEAD_AES_256_GCM"],
];

type Op = "protect" | "protect_rtcp" | "unprotect" | "unprotect_rtcp";
type Outcome = { ok: string } | { error: string };

/** Runs one job through libsrtp; one outcome per op, in order. */
function libsrtp(profile: string, key: Uint8Array, ops: Array<[Op, Uint8Array]>): Outcome[] {
  const job = { profile, key: hex(key), ops: ops.map(([op, p]) => [op, hex(p)]) };
  const r = spawnSync(SYSTEM_PYTHON, [join(PEER_FIXTURES, "pylibsrtp/oracle.py")], {
    input: JSON.stringify(job),
    encoding: "utf8",
    timeout: 15_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Outcome[];
  assert.equal(out.length, ops.length);
  return out;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytes = (o: Outcome) => {
  if (!("ok" in o)) assert.fail(`libsrtp: ${o.error}`);
  return Uint8Array.from(Buffer.from(o.ok, "hex"));
};
const error = (o: Outcome) => ("error" in o ? o.error : "accepted");

const FIRST = 65_500;
const COUNT = 120; // 65,500 … 65,619: 36 before the wrap, 84 after
const SSRC = 0x5eed_1234;
const rtp = (n: number) =>
  buildRtp(
    { payloadType: 0, sequence: (FIRST + n) & 0xffff, timestamp: n * 160, ssrc: SSRC, marker: n === 0 },
    Uint8Array.from({ length: 160 }, (_, i) => (n * 7 + i) & 0xff),
  );
/** An RTCP APP packet "BHOP" from SSRC carrying n, so each report differs. */
const rtcp = (n: number) =>
  Uint8Array.from(Buffer.from(`80cc0003${SSRC.toString(16)}42484f50${n.toString(16).padStart(8, "0")}`, "hex"));

/** Delivery order: in order, except that packets around the wrap (n 30..41) arrive shuffled. */
const ORDER = (() => {
  const order = Array.from({ length: COUNT }, (_, n) => n);
  const around = [33, 36, 31, 35, 30, 37, 34, 41, 32, 39, 38, 40]; // 65,530 … 65,535 | 0 … 5
  order.splice(30, around.length, ...around);
  return order;
})();

describe("SRTP against libsrtp (python3-pylibsrtp)", { skip: peerSkip("pylibsrtp") }, () => {
  for (const [suite, profile] of PROFILES) {
    test(`${suite}: ours → libsrtp across the ROC wrap, reordered, one replay`, () => {
      const s = SRTP_SUITES[suite];
      const key = Uint8Array.from(randomBytes(s.keyLength + s.saltLength));
      const tx = new SrtpContext(suite, key);
      const sent = Array.from({ length: COUNT }, (_, n) => tx.protectRtp(rtp(n)));
      const reports = [1, 2, 3].map((n) => tx.protectRtcp(rtcp(n)));
      const ops: Array<[Op, Uint8Array]> = [
        ...ORDER.map((n): [Op, Uint8Array] => ["unprotect", sent[n]]),
        ["unprotect", sent[COUNT - 3]], // replayed
        ...reports.map((p): [Op, Uint8Array] => ["unprotect_rtcp", p]),
        ["unprotect_rtcp", reports[1]], // replayed
      ];
      const out = libsrtp(profile, key, ops);
      for (const [i, n] of ORDER.entries()) assert.deepEqual(bytes(out[i]), rtp(n), `packet ${n}`);
      assert.match(error(out[COUNT]), /replay/);
      for (let i = 0; i < 3; i++) assert.deepEqual(bytes(out[COUNT + 1 + i]), rtcp(i + 1));
      assert.match(error(out[COUNT + 4]), /replay/);
    });

    test(`${suite}: libsrtp → ours across the ROC wrap, reordered, one replay`, () => {
      const s = SRTP_SUITES[suite];
      const key = Uint8Array.from(randomBytes(s.keyLength + s.saltLength));
      const out = libsrtp(profile, key, [
        ...Array.from({ length: COUNT + 1 }, (_, n): [Op, Uint8Array] => ["protect", rtp(n)]),
        ...[1, 2, 3].map((n): [Op, Uint8Array] => ["protect_rtcp", rtcp(n)]),
      ]);
      const rx = new SrtpContext(suite, key);
      for (const n of ORDER) {
        assert.deepEqual(rx.unprotectRtp(bytes(out[n])), { ok: true, packet: rtp(n) }, `packet ${n}`);
      }
      assert.deepEqual(rx.unprotectRtp(bytes(out[COUNT - 3])), { ok: false, reason: "replay" });
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(rx.unprotectRtcp(bytes(out[COUNT + 1 + i])), { ok: true, packet: rtcp(i + 1) });
      }
      assert.deepEqual(rx.unprotectRtcp(bytes(out[COUNT + 2])), { ok: false, reason: "replay" });
      // libsrtp's next packet, tampered, is refused and moves nothing; then the real one passes.
      const next = bytes(out[COUNT]);
      const forged = next.slice();
      forged[40] ^= 4;
      assert.deepEqual(rx.unprotectRtp(forged), { ok: false, reason: "auth" });
      assert.deepEqual(rx.unprotectRtp(next), { ok: true, packet: rtp(COUNT) });
      assert.deepEqual(rx.counters.dropped, { auth: 1, replay: 2, short: 0, "not-rtp": 0 });
      assert.equal(rx.counters.unprotectedRtp, COUNT + 1);
      assert.equal(rx.counters.unprotectedRtcp, 3);
    });
  }
});
