import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cryptoValues, offerCrypto, SdesKey } from "../../../src/sip/sdp/crypto.ts";
import {
  buildAnswer,
  buildOffer,
  formatSdp,
  maskSdpKeys,
  negotiate,
  parseSdp,
  type Sdp,
  sdesAnswer,
  sdesAnswerOffer,
  sdesOffer,
  sdesReoffer,
  sdesTransports,
  warningValue,
} from "../../../src/sip/sdp/index.ts";
import type { Media } from "../../../src/sip/sdp/types.ts";

const local = { address: "127.0.0.1", port: 20000, sessionId: 1, version: 1 };
const key30 = () => SdesKey.random("AES_CM_128_HMAC_SHA1_80").base64();

function offer(proto: string, crypto: string[], extra = ""): Sdp {
  const text = [
    "v=0",
    "o=- 1 1 IN IP4 127.0.0.1",
    "s=-",
    "c=IN IP4 127.0.0.1",
    "t=0 0",
    `m=audio 30000 ${proto} 0 101`,
    "a=rtpmap:101 telephone-event/8000",
    ...crypto.map((c) => `a=crypto:${c}`),
    ...(extra ? [extra] : []),
    "",
  ].join("\r\n");
  const r = parseSdp(text);
  assert.ok(r.ok);
  return r.sdp;
}
const audio = (s: Sdp) => s.media[0] as Media;

describe("SDES offer/answer rules", () => {
  test("our offer: mandatory RTP/SAVP with one a=crypto per suite, best first; optional RTP/AVP with them; off plain", () => {
    const m = sdesOffer("mandatory");
    assert.equal(m.proto, "RTP/SAVP");
    assert.deepEqual(
      m.crypto?.map((c) => [c.tag, c.suite]),
      [
        [1, "AEAD_AES_256_GCM"],
        [2, "AES_256_CM_HMAC_SHA1_80"],
        [3, "AEAD_AES_128_GCM"],
        [4, "AES_CM_128_HMAC_SHA1_80"],
        [5, "AES_256_CM_HMAC_SHA1_32"],
        [6, "AES_CM_128_HMAC_SHA1_32"],
      ],
    );
    const text = formatSdp(
      buildOffer(
        local,
        m.proto,
        (m.crypto ?? []).map((c) => ({ name: "crypto", value: `${c.tag} ${c.suite} inline:${c.key.base64()}` })),
      ),
    );
    assert.match(text, /m=audio 20000 RTP\/SAVP 0 8 101\r\n/);
    assert.equal(text.match(/a=crypto:/g)?.length, 6);
    assert.doesNotMatch(maskSdpKeys(text), /inline:[A-Za-z0-9+/]{20}/);
    assert.equal(sdesOffer("optional").proto, "RTP/AVP");
    assert.ok(sdesOffer("optional").crypto);
    assert.deepEqual(sdesOffer("off"), { proto: "RTP/AVP", crypto: null });
  });

  test("answer to an SRTP offer: the best offered suite we support, its tag, our own key; rtcp-mux echoed only when asked", () => {
    const k = key30();
    const o = offer(
      "RTP/SAVP",
      [
        `1 AES_CM_128_HMAC_SHA1_32 inline:${k}`,
        `2 AES_CM_128_HMAC_SHA1_80 inline:${k}`,
        `3 F8_128_HMAC_SHA1_80 inline:${k}`,
      ],
      "a=rtcp-mux",
    );
    const n = negotiate(o, { preferred: ["PCMU"], transports: sdesTransports("mandatory", "offer") });
    assert.ok(n.ok);
    const r = sdesAnswerOffer("mandatory", audio(o));
    assert.ok(r.ok && r.keys);
    assert.equal(r.keys.suite, "AES_CM_128_HMAC_SHA1_80");
    assert.equal(r.keys.local.tag, 2);
    assert.equal(r.keys.rtcpMux, true);
    assert.notEqual(r.keys.local.key.base64(), k);
    const text = formatSdp(buildAnswer(o, n, local, r.attributes));
    assert.match(text, /m=audio 20000 RTP\/SAVP 0 101\r\n/);
    assert.match(text, /a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:/);
    assert.match(text, /a=rtcp-mux/);
    const plain = sdesAnswerOffer("mandatory", audio(offer("RTP/SAVP", [`1 AES_CM_128_HMAC_SHA1_80 inline:${k}`])));
    assert.ok(plain.ok && plain.keys && !plain.keys.rtcpMux && !plain.attributes.some((a) => a.name === "rtcp-mux"));
  });

  test("488 rules: plain RTP to a mandatory port → 302; no usable a=crypto → 305; optional takes plain RTP", () => {
    const k = key30();
    const avp = sdesAnswerOffer("mandatory", audio(offer("RTP/AVP", [])));
    assert.deepEqual(avp.ok ? null : avp.warning, 302);
    const avpCrypto = sdesAnswerOffer("mandatory", audio(offer("RTP/AVP", [`1 AES_CM_128_HMAC_SHA1_80 inline:${k}`])));
    assert.deepEqual(avpCrypto.ok ? null : avpCrypto.warning, 302);
    for (const bad of [
      `1 F8_128_HMAC_SHA1_80 inline:${k}`,
      `1 AES_CM_128_HMAC_SHA1_80 inline:${k}|2^20|1:4`,
      `1 AES_CM_128_HMAC_SHA1_80 inline:${k} KDR=1`,
      `1 AES_CM_128_HMAC_SHA1_80 inline:${k} UNENCRYPTED_SRTP`,
      `1 AES_CM_128_HMAC_SHA1_80 inline:${k} UNAUTHENTICATED_SRTP`,
    ]) {
      for (const policy of ["mandatory", "optional"] as const) {
        const r = sdesAnswerOffer(policy, audio(offer("RTP/SAVP", [bad])));
        assert.equal(r.ok ? null : r.warning, 305, `${policy}: ${bad.split(" ").slice(1).join(" ").replace(k, "…")}`);
        assert.ok(r.ok || !r.reason.includes(k), "the reason never quotes the key");
      }
    }
    assert.equal(warningValue(302, "bellhop"), '302 bellhop "Incompatible transport protocol"');
    assert.equal(warningValue(305, "bellhop"), '305 bellhop "Incompatible media format"');
    const opt = sdesAnswerOffer("optional", audio(offer("RTP/AVP", [])));
    assert.ok(opt.ok && opt.keys === null);
    const best = sdesAnswerOffer("optional", audio(offer("RTP/AVP", [`7 AES_CM_128_HMAC_SHA1_80 inline:${k}`])));
    assert.ok(best.ok && best.keys?.local.tag === 7, "best-effort SRTP on an AVP line");
    const off = negotiate(offer("RTP/SAVP", [`1 AES_CM_128_HMAC_SHA1_80 inline:${k}`]), {
      preferred: ["PCMU"],
      transports: sdesTransports("off", "offer"),
    });
    assert.equal(off.ok ? null : off.warning, 302);
  });

  test("the answer to our offer must echo a tag we offered with its suite", () => {
    const ours = offerCrypto();
    const ans = (line: string) => audio(offer("RTP/SAVP", [line]));
    const k = key30();
    const ok = sdesAnswer(ours, ans(`4 AES_CM_128_HMAC_SHA1_80 inline:${k}`));
    assert.ok(ok.ok && ok.keys?.suite === "AES_CM_128_HMAC_SHA1_80" && ok.keys.local === ours[3]);
    const wrongSuite = sdesAnswer(ours, ans(`1 AES_CM_128_HMAC_SHA1_80 inline:${k}`));
    assert.ok(
      !wrongSuite.ok && /answered tag 1 with AES_CM_128_HMAC_SHA1_80, offered AEAD_AES_256_GCM/.test(wrongSuite.reason),
    );
    const unknownTag = sdesAnswer(ours, ans(`9 AES_CM_128_HMAC_SHA1_80 inline:${k}`));
    assert.ok(!unknownTag.ok && /tag 9 was not offered/.test(unknownTag.reason));
    const none = sdesAnswer(ours, audio(offer("RTP/SAVP", [])));
    assert.ok(!none.ok);
    // Under optional a plain answer is plain RTP.
    assert.deepEqual(sdesAnswer(ours, audio(offer("RTP/AVP", []))), { ok: true, keys: null });
    assert.deepEqual(sdesTransports("mandatory", "answer"), ["RTP/SAVP"]);
  });

  test("re-offer: the same crypto line is taken (a new remote key re-keys rx); a downgrade under mandatory is refused", () => {
    const k1 = key30();
    const first = sdesAnswerOffer("mandatory", audio(offer("RTP/SAVP", [`3 AES_CM_128_HMAC_SHA1_80 inline:${k1}`])));
    assert.ok(first.ok && first.keys);
    const k2 = key30();
    const again = sdesReoffer(
      "mandatory",
      first.keys,
      audio(offer("RTP/SAVP", [`3 AES_CM_128_HMAC_SHA1_80 inline:${k2}`])),
    );
    assert.ok(again.ok && again.keys);
    assert.equal(again.keys.local, first.keys.local, "our line unchanged");
    assert.equal(again.keys.remote.base64(), k2);
    const down = sdesReoffer("mandatory", first.keys, audio(offer("RTP/AVP", [])));
    assert.equal(down.ok ? null : down.warning, 302);
    const other = sdesReoffer(
      "mandatory",
      first.keys,
      audio(offer("RTP/SAVP", [`1 AES_CM_128_HMAC_SHA1_32 inline:${k2}`])),
    );
    assert.equal(other.ok ? null : other.warning, 305);
    assert.deepEqual(sdesReoffer("off", null, audio(offer("RTP/AVP", []))), { ok: true, keys: null });
    assert.equal(cryptoValues(audio(offer("RTP/AVP", []))).length, 0);
  });
});
