/**
 * SRTP reference vectors (every one of srtp.md §2.10): RFC 3711 B.2 keystream, B.3 key derivation,
 * libsrtp's srtp_validate() packets with _80 and _32 and SRTCP, RFC 6188 §7.2 AES-256, and
 * libsrtp 2.5.0's AEAD_AES_128_GCM output. Each packet is also taken back through unprotect.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createCipheriv } from "node:crypto";
import { describe, test } from "node:test";
import { SrtpContext } from "../../../src/sip/rtp/srtp/context.ts";
import { cmIv, deriveSessionKeys, prf } from "../../../src/sip/rtp/srtp/kdf.ts";
import { classifyCrypto, parseCrypto } from "../../../src/sip/sdp/crypto.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replaceAll(" ", ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** RFC 3711 B.3 master key and salt, also used by libsrtp's srtp_validate(). */
const KEY = hex("E1F97A0D3E018BE0D64FA32C06DE4139");
const SALT = hex("0EC675AD498AFEEBB6960B3AABE6");
const RTP = hex("800f1234decafbadcafebabe abababababababababababababababab");
const RTCP = hex("81c8000bcafebabe abababababababababababababababab");

function roundTrip(ctx: SrtpContext, rx: SrtpContext, plain: Uint8Array, expected: string, rtcp = false): void {
  const out = rtcp ? ctx.protectRtcp(plain) : ctx.protectRtp(plain);
  assert.equal(toHex(out), expected.replaceAll(" ", ""));
  const back = rtcp ? rx.unprotectRtcp(out) : rx.unprotectRtp(out);
  assert.deepEqual(back, { ok: true, packet: plain });
}

describe("SRTP vectors", () => {
  test("a) RFC 3711 B.2 AES-CM keystream, IV from salt, SSRC 0, index 0", () => {
    const iv = cmIv(hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"), 0, 0);
    assert.equal(toHex(iv), "f0f1f2f3f4f5f6f7f8f9fafbfcfd0000");
    const stream = createCipheriv("aes-128-ctr", hex("2B7E151628AED2A6ABF7158809CF4F3C"), iv).update(
      new Uint8Array(1044512),
    );
    const block = (n: number) => toHex(stream.subarray(16 * n, 16 * n + 16)).toUpperCase();
    assert.equal(stream.length / 16, 65282);
    assert.equal(block(0), "E03EAD0935C95E80E166B16DD92B4EB4");
    assert.equal(block(1), "D23513162B02D0F72A43A2FE4A5F97AB");
    assert.equal(block(2), "41E95B3BB0A2E8DD477901E4FCA894C0");
    assert.equal(block(0xfeff), "EC8CDF7398607CB0F2D21675EA9EA1E4");
    assert.equal(block(0xff00), "362B7C3C6773516318A077D7FC5073AE");
    assert.equal(block(0xff01), "6A2CC3787889374FBEB4C81B17BA6C44");
  });

  test("b) RFC 3711 B.3 key derivation", () => {
    assert.equal(toHex(prf(KEY, SALT, 0x00, 16)), "c61e7a93744f39ee10734afe3ff7a087");
    assert.equal(toHex(prf(KEY, SALT, 0x02, 14)), "30cbbc08863d8c85d49db34a9ae1");
    assert.equal(
      toHex(prf(KEY, SALT, 0x01, 94)).toUpperCase(),
      [
        "CEBE321F6FF7716B6FD4AB49AF256A15",
        "6D38BAA48F0A0ACF3C34E2359E6CDBCE",
        "E049646C43D9327AD175578EF7227098",
        "6371C10C9A369AC2F94A8C5FBCDDDC25",
        "6D6E919A48B610EF17C2041E47403576",
        "6B68642C59BBFC2F34DB60DBDFB2",
      ].join(""),
    );
    const keys = deriveSessionKeys("AES_CM_128_HMAC_SHA1_80", KEY, SALT);
    assert.equal(toHex(keys.rtp.key), "c61e7a93744f39ee10734afe3ff7a087");
    assert.equal(toHex(keys.rtp.salt), "30cbbc08863d8c85d49db34a9ae1");
    assert.equal(toHex(keys.rtp.auth), "cebe321f6ff7716b6fd4ab49af256a156d38baa4");
  });

  test("b) the same master as an SDES inline key", () => {
    const r = parseCrypto("1 AES_CM_128_HMAC_SHA1_80 inline:4fl6DT4Bi+DWT6MsBt5BOQ7Gda1Jiv7rtpYLOqvm");
    assert.ok(r.ok);
    const c = classifyCrypto(r.line);
    assert.ok(c.usable);
    assert.equal(toHex(c.key.bytes), toHex(KEY) + toHex(SALT));
  });

  const master = new Uint8Array([...KEY, ...SALT]);
  const c80 = "800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb";
  const srtcp = "81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798";

  test("c) libsrtp srtp_validate, AES_CM_128_HMAC_SHA1_80: SRTP and SRTCP (E=1, index 1)", () => {
    const tx = new SrtpContext("AES_CM_128_HMAC_SHA1_80", master);
    const rx = new SrtpContext("AES_CM_128_HMAC_SHA1_80", master);
    roundTrip(tx, rx, RTP, c80);
    roundTrip(tx, rx, RTCP, srtcp, true);
  });

  test("c) AES_CM_128_HMAC_SHA1_32: 32-bit SRTP tag, SRTCP still 80-bit", () => {
    const tx = new SrtpContext("AES_CM_128_HMAC_SHA1_32", master);
    const rx = new SrtpContext("AES_CM_128_HMAC_SHA1_32", master);
    roundTrip(tx, rx, RTP, "800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc");
    roundTrip(tx, rx, RTCP, srtcp, true);
  });

  test("d) RFC 6188 §7.2 AES_256_CM PRF and AES_256_CM_HMAC_SHA1_80", () => {
    const key = hex("f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6");
    const salt = hex("3b04803de51ee7c96423ab5b78d2");
    const keys = deriveSessionKeys("AES_256_CM_HMAC_SHA1_80", key, salt);
    assert.equal(toHex(keys.rtp.key), "5ba1064e30ec51613cad926c5a28ef731ec7fb397f70a960653caf06554cd8c4");
    assert.equal(toHex(keys.rtp.salt), "fa31791685ca444a9e07c6c64e93");
    assert.equal(toHex(keys.rtp.auth), "fd9c32d39ed5fbb5a9dc96b30818454d1313dc05");
    const m = new Uint8Array([...key, ...salt]);
    roundTrip(
      new SrtpContext("AES_256_CM_HMAC_SHA1_80", m),
      new SrtpContext("AES_256_CM_HMAC_SHA1_80", m),
      RTP,
      "800f1234decafbadcafebabe f1d9de17ff251ff1aa007774b0b4b40d a08d9d9a5b3a55d8873b",
    );
  });

  test("h) AEAD_AES_128_GCM as libsrtp 2.5.0 makes it: SRTP and SRTCP", () => {
    const m = hex("e1f97a0d3e018be0d64fa32c06de4139 0ec675ad498afeebb6960b3a");
    const tx = new SrtpContext("AEAD_AES_128_GCM", m);
    const rx = new SrtpContext("AEAD_AES_128_GCM", m);
    roundTrip(
      tx,
      rx,
      RTP,
      "800f1234decafbadcafebabe 0eca0cf95ee955b26cd3d288b49f6ca9 59171450975f4144da9cdd7ae989a277",
    );
    roundTrip(
      tx,
      rx,
      RTCP,
      "81c8000bcafebabe ea6e5eb3c75c462000f59ebf9e4ebd4e 934239488f02f9ca1580174557117e37 80000001",
      true,
    );
  });
});
