/**
 * SDES a=crypto (RFC 4568): parse/format round trips, the lines we cannot use and why, our pick
 * among an offer's lines, our offer and the check of its answer, and that keys never print.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, test } from "node:test";
import { inspect } from "node:util";
import {
  acceptCryptoAnswer,
  answerCrypto,
  type CryptoLine,
  classifyCrypto,
  cryptoAttributes,
  cryptoValues,
  formatCrypto,
  maskSdpKeys,
  offerCrypto,
  parseCrypto,
  SDES_SUITES,
  SdesKey,
  SUITE_PREFERENCE,
} from "../../../src/sip/sdp/crypto.ts";
import { formatSdp } from "../../../src/sip/sdp/format.ts";
import { parseSdp } from "../../../src/sip/sdp/parse.ts";

const K30 = "4fl6DT4Bi+DWT6MsBt5BOQ7Gda1Jiv7rtpYLOqvm"; // RFC 3711 B.3 master key ‖ salt
const K46 = Buffer.alloc(46, 7).toString("base64");
const K28 = Buffer.alloc(28, 5).toString("base64"); // AEAD_AES_128_GCM: ends in "="
const K44 = Buffer.alloc(44, 3).toString("base64");

function line(value: string): CryptoLine {
  const r = parseCrypto(value);
  if (!r.ok) assert.fail(r.reason);
  return r.line;
}

const why = (value: string) => {
  const c = classifyCrypto(line(value));
  return c.usable ? "usable" : c.reason;
};

/** Zoom's SBC offer (KB0073073), with keys of the right lengths. */
const ZOOM = [
  `1 AEAD_AES_256_GCM inline:${K44}`,
  `2 AES_256_CM_HMAC_SHA1_80 inline:${K46}`,
  `3 AES_CM_128_HMAC_SHA1_80 inline:${K30}`,
  `4 AES_CM_128_HMAC_SHA1_32 inline:${K30}`,
];

describe("a=crypto parse and format", () => {
  test("a plain line round-trips", () => {
    const l = line(`1 AES_CM_128_HMAC_SHA1_80 inline:${K30}`);
    assert.equal(l.tag, 1);
    assert.equal(l.suite, "AES_CM_128_HMAC_SHA1_80");
    assert.equal(l.keyParams.length, 1);
    assert.equal(l.keyParams[0].key?.base64(), K30);
    const c = classifyCrypto(l);
    assert.ok(c.usable);
    assert.equal(formatCrypto(c), `1 AES_CM_128_HMAC_SHA1_80 inline:${K30}`);
  });

  test("the RFC 4568 example with lifetime and MKI: parsed, unusable for its MKI", () => {
    const l = line("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32");
    assert.equal(l.keyParams[0].lifetime, "2^20");
    assert.deepEqual(l.keyParams[0].mki, { value: "1", length: 32 });
    assert.equal(l.keyParams[0].key?.length, 30);
    assert.equal(why("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32"), "mki");
    // Lifetime alone is accepted (not enforced), in either notation.
    assert.equal(why(`1 AES_CM_128_HMAC_SHA1_80 inline:${K30}|2^31`), "usable");
    assert.equal(why(`1 AES_CM_128_HMAC_SHA1_80 inline:${K30}|1048576`), "usable");
  });

  test("every suite's key length, with and without base64 padding", () => {
    assert.equal(why(`1 AES_256_CM_HMAC_SHA1_80 inline:${K46}`), "usable");
    assert.equal(why(`1 AES_256_CM_HMAC_SHA1_32 inline:${K46}`), "usable");
    assert.equal(why(`1 AEAD_AES_128_GCM inline:${K28}`), "usable");
    assert.equal(why(`1 AEAD_AES_128_GCM inline:${K28.replace(/=+$/, "")}`), "usable");
    assert.equal(why(`1 AEAD_AES_256_GCM inline:${K44}`), "usable");
    assert.equal(why(`1 AES_256_CM_HMAC_SHA1_80 inline:${K30}`), "key-length");
    assert.equal(why(`1 AES_CM_128_HMAC_SHA1_80 inline:${K46}`), "key-length");
  });

  test("lines we cannot use, with the reason", () => {
    assert.equal(why(`1 F8_128_HMAC_SHA1_80 inline:${K30}`), "unknown-suite");
    assert.equal(why(`1 AEAD_AES_128_GCM_8 inline:${K28}`), "unknown-suite");
    assert.equal(why(`1 AES_CM_128_HMAC_SHA1_80 inline:${K30}|2^20|1:4;inline:${K30}|2^20|2:4`), "multiple-keys");
    assert.equal(why("1 AES_CM_128_HMAC_SHA1_80 uri:https://keys.example/k"), "key-method");
    assert.equal(why(`1 AES_CM_128_HMAC_SHA1_80 inline:${K30} KDR=1`), "kdr");
    assert.equal(why(`1 AES_CM_128_HMAC_SHA1_80 inline:${K30} KDR=0`), "usable");
    assert.equal(why(`1 AES_CM_128_HMAC_SHA1_80 inline:${K30} UNENCRYPTED_SRTP`), "unencrypted");
    assert.equal(why(`1 AES_CM_128_HMAC_SHA1_80 inline:${K30} UNENCRYPTED_SRTCP`), "unencrypted");
    assert.equal(why(`1 AES_CM_128_HMAC_SHA1_80 inline:${K30} UNAUTHENTICATED_SRTP`), "unauthenticated");
    assert.equal(why(`1 AES_CM_128_HMAC_SHA1_80 inline:${K30} FEC_ORDER=FEC_SRTP`), "fec");
    assert.equal(why(`1 AES_CM_128_HMAC_SHA1_80 inline:${K30} FEC_KEY=inline:${K30}`), "fec");
    assert.equal(why(`1 AES_CM_128_HMAC_SHA1_80 inline:${K30} WSH=128`), "usable");
    assert.equal(why(`1 AES_CM_128_HMAC_SHA1_80 inline:${K30} -X_VENDOR=1`), "usable");
    assert.equal(why(`1 AES_CM_128_HMAC_SHA1_80 inline:${K30} X_VENDOR=1`), "session-param");
  });

  test("malformed lines fail without quoting the key", () => {
    for (const [value, reason] of [
      ["1 AES_CM_128_HMAC_SHA1_80", "a=crypto needs a tag, a suite and key parameters"],
      [`x AES_CM_128_HMAC_SHA1_80 inline:${K30}`, "a=crypto tag is not 1–9 digits"],
      [`1234567890 AES_CM_128_HMAC_SHA1_80 inline:${K30}`, "a=crypto tag is not 1–9 digits"],
      [`1 AES-CM inline:${K30}`, "a=crypto suite is not a name"],
      [`1 AES_CM_128_HMAC_SHA1_80 inline:${K30.slice(0, 20)}!${K30.slice(21)}`, "inline key is not base64"],
      [`1 AES_CM_128_HMAC_SHA1_80 inline:${K30}=`, "inline key is not base64"],
      [`1 AES_CM_128_HMAC_SHA1_80 inline:${K30}|2^x`, "bad lifetime"],
      [`1 AES_CM_128_HMAC_SHA1_80 inline:${K30}|1:0`, "bad MKI"],
      [`1 AES_CM_128_HMAC_SHA1_80 inline:${K30}|1:4|2^20`, "bad lifetime"],
      [`1 AES_CM_128_HMAC_SHA1_80 ${K30}`, "key parameter without a method"],
    ]) {
      const r = parseCrypto(value);
      assert.equal(r.ok, false, value);
      if (!r.ok) {
        assert.ok(r.reason.endsWith(reason), `${value}: ${r.reason}`);
        assert.ok(!r.reason.includes(K30.slice(0, 12)), r.reason);
      }
    }
  });

  test("through the SDP parser and formatter", () => {
    const offer = offerCrypto(["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"]);
    const text = [
      "v=0",
      "o=- 1 1 IN IP4 127.0.0.1",
      "s=-",
      "c=IN IP4 127.0.0.1",
      "t=0 0",
      "m=audio 4000 RTP/SAVP 0",
      ...cryptoAttributes(offer).map((a) => `a=${a.name}:${a.value}`),
      "",
    ].join("\r\n");
    const r = parseSdp(text);
    assert.ok(r.ok);
    assert.deepEqual(cryptoValues(r.sdp.media[0]), offer.map(formatCrypto));
    assert.equal(formatSdp(r.sdp), text);
  });
});

describe("offer and answer", () => {
  test("our offer: one line per suite, strongest first, a fresh key each", () => {
    const a = offerCrypto();
    const b = offerCrypto();
    assert.deepEqual(
      a.map((l) => `${l.tag} ${l.suite}`),
      SUITE_PREFERENCE.map((s, i) => `${i + 1} ${s}`),
    );
    for (const l of a) assert.equal(l.key.length, SDES_SUITES[l.suite].keyLength + SDES_SUITES[l.suite].saltLength);
    assert.equal(new Set(a.map((l) => l.key.base64())).size, a.length);
    for (let i = 0; i < a.length; i++) assert.equal(a[i].key.equals(b[i].key), false);
    assert.ok(a[0].key.equals(new SdesKey(a[0].key.bytes)));
  });

  test("answering Zoom's offer takes its first line, AEAD_AES_256_GCM, with our own key", () => {
    const r = answerCrypto(ZOOM);
    assert.ok(r.ok);
    assert.equal(r.suite, "AEAD_AES_256_GCM");
    assert.equal(r.local.tag, 1);
    assert.equal(r.remote.base64(), K44);
    assert.notEqual(r.local.key.base64(), K44);
    assert.match(formatCrypto(r.local), /^1 AEAD_AES_256_GCM inline:[A-Za-z0-9+/]{59}=$/);
  });

  test("the strongest usable suite wins whatever the offer's order; unusable lines are skipped", () => {
    const r = answerCrypto([
      `1 AES_CM_128_HMAC_SHA1_32 inline:${K30}`,
      `2 AES_CM_128_HMAC_SHA1_80 inline:${K30}`,
      `3 AES_256_CM_HMAC_SHA1_80 inline:${K46}|2^20|1:4`,
      "garbage",
    ]);
    assert.ok(r.ok);
    assert.equal(r.local.tag, 2);
    assert.equal(r.suite, "AES_CM_128_HMAC_SHA1_80");
    // baresip srtp-mand and linphone: AES_CM_128_HMAC_SHA1_80 first.
    const linphone = answerCrypto([
      `1 AES_CM_128_HMAC_SHA1_80 inline:${K30}`,
      `2 AES_CM_128_HMAC_SHA1_32 inline:${K30}`,
      `3 AES_256_CM_HMAC_SHA1_80 inline:${K46}`,
      `4 AES_256_CM_HMAC_SHA1_32 inline:${K46}`,
    ]);
    assert.ok(linphone.ok);
    assert.equal(linphone.local.tag, 3);
    // A narrower preference (a port configured for AES-128 only).
    const only128 = answerCrypto(ZOOM, ["AES_CM_128_HMAC_SHA1_80"]);
    assert.ok(only128.ok);
    assert.equal(only128.local.tag, 3);
  });

  test("nothing usable: every line's reason (for 488 with Warning 305), no key in it", () => {
    const r = answerCrypto([
      `1 F8_128_HMAC_SHA1_80 inline:${K30}`,
      `2 AES_CM_128_HMAC_SHA1_80 inline:${K30}|2^20|1:4`,
      `3 AES_CM_128_HMAC_SHA1_80 inline:${K30} KDR=2`,
      `4 AES_CM_128_HMAC_SHA1_80 inline:${K30} UNENCRYPTED_SRTP`,
      `5 AES_CM_128_HMAC_SHA1_80 inline:${K30.slice(2)}`,
    ]);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(
        r.reason,
        "no usable a=crypto (1 F8_128_HMAC_SHA1_80: unknown-suite; 2 AES_CM_128_HMAC_SHA1_80: mki; " +
          "3 AES_CM_128_HMAC_SHA1_80: kdr; 4 AES_CM_128_HMAC_SHA1_80: unencrypted; " +
          "5 AES_CM_128_HMAC_SHA1_80: key-length)",
      );
      assert.ok(!JSON.stringify(r).includes(K30.slice(3, 15)));
    }
    assert.deepEqual(answerCrypto([]), { ok: false, reason: "no a=crypto", lines: [] });
    const dup = answerCrypto([`1 AES_CM_128_HMAC_SHA1_32 inline:${K30}`, `1 AES_CM_128_HMAC_SHA1_80 inline:${K30}`]);
    assert.ok(dup.ok);
    assert.equal(dup.suite, "AES_CM_128_HMAC_SHA1_32"); // the second tag 1 is not taken
  });

  test("the answer to our offer: one line, a tag we offered, that tag's suite", () => {
    const ours = offerCrypto();
    const good = acceptCryptoAnswer(ours, [`4 AES_CM_128_HMAC_SHA1_80 inline:${K30}`]);
    assert.ok(good.ok);
    assert.equal(good.local, ours[3]);
    assert.equal(good.remote.base64(), K30);
    const bad = (answered: string[]) => {
      const r = acceptCryptoAnswer(ours, answered);
      return r.ok ? "ok" : r.reason;
    };
    assert.equal(bad([]), "0 a=crypto lines in the answer, one expected");
    assert.equal(
      bad([`4 AES_CM_128_HMAC_SHA1_80 inline:${K30}`, `1 AEAD_AES_256_GCM inline:${K44}`]),
      "2 a=crypto lines in the answer, one expected",
    );
    assert.equal(bad([`9 AES_CM_128_HMAC_SHA1_80 inline:${K30}`]), "answered tag 9 was not offered");
    // baresip 1.0 answering an F8 offer with AES_CM_128_HMAC_SHA1_80 under the offered tag.
    assert.equal(
      bad([`1 AES_CM_128_HMAC_SHA1_80 inline:${K30}`]),
      "answered tag 1 with AES_CM_128_HMAC_SHA1_80, offered AEAD_AES_256_GCM",
    );
    assert.equal(bad([`4 AES_CM_128_HMAC_SHA1_80 inline:${K30}|2^20|1:4`]), "answered 4 AES_CM_128_HMAC_SHA1_80: mki");
  });
});

describe("keys never print", () => {
  test("SdesKey and parsed lines mask the key in JSON, inspect and strings", () => {
    const l = line(`1 AES_CM_128_HMAC_SHA1_80 inline:${K30}|2^20`);
    const key = l.keyParams[0].key as SdesKey;
    const hex = Buffer.from(key.bytes).toString("hex");
    for (const text of [
      JSON.stringify(l),
      JSON.stringify(offerCrypto()),
      inspect(l, { depth: 9, showHidden: true }),
      String(key),
      `${key}`,
    ]) {
      assert.ok(!text.includes(K30.slice(0, 10)), text);
      assert.ok(!text.includes(hex.slice(0, 10)), text);
      assert.ok(text.includes("[key masked]"), text);
    }
  });

  test("maskSdpKeys blanks every inline key, any case, keeps lifetime, MKI and the rest", () => {
    const sdp = [
      "m=audio 4000 RTP/SAVP 0",
      `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${K30}|2^20|1:4`,
      `a=crypto:2 AES_256_CM_HMAC_SHA1_80 INLINE:${K46} KDR=0`,
      `a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${K30};inline:${K30}`,
      `a=crypto:4 AEAD_AES_128_GCM inline:${K28}`,
      "",
    ].join("\r\n");
    assert.equal(
      maskSdpKeys(sdp),
      [
        "m=audio 4000 RTP/SAVP 0",
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[key masked]|2^20|1:4",
        "a=crypto:2 AES_256_CM_HMAC_SHA1_80 INLINE:[key masked] KDR=0",
        "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:[key masked];inline:[key masked]",
        "a=crypto:4 AEAD_AES_128_GCM inline:[key masked]",
        "",
      ].join("\r\n"),
    );
    const plain = "INVITE sip:a@b SIP/2.0\r\nSubject: inline: none here?\r\n";
    assert.equal(maskSdpKeys("no keys: here"), "no keys: here");
    assert.equal(maskSdpKeys(plain), "INVITE sip:a@b SIP/2.0\r\nSubject: inline:[key masked] none here?\r\n");
    assert.equal(maskSdpKeys(`x inline:${K30}`), "x inline:[key masked]");
    assert.equal(maskSdpKeys("inline:"), "inline:[key masked]");
  });
});
