import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatSdp } from "../../../src/sip/sdp/format.ts";
import { buildAnswer, buildOffer, type Negotiated, negotiate } from "../../../src/sip/sdp/offer.ts";
import { parseSdp } from "../../../src/sip/sdp/parse.ts";
import type { Sdp } from "../../../src/sip/sdp/types.ts";
import { G729_ONLY, LINPHONE, SIPP_UAC_CALL_DTMF, SIPP_UAS_GUEST_PHONE, TE_96_MEDIA_C } from "./fixtures.ts";

const G711 = { preferred: ["PCMU", "PCMA"] as const };
const local = { address: "10.20.0.2", port: 40000, sessionId: 1234, version: 1 };
const lines = (...l: string[]) => `${l.join("\r\n")}\r\n`;

function parsed(text: string): Sdp {
  const r = parseSdp(text);
  if (!r.ok) assert.fail(`unexpected parse failure: ${r.reason}`);
  return r.sdp;
}

function accepted(text: string, opts: { preferred: readonly ("PCMU" | "PCMA")[] } = G711): Negotiated {
  const r = negotiate(parsed(text), opts);
  if (!r.ok) assert.fail(`unexpected rejection: ${r.reason}`);
  return r;
}

function rejected(text: string): string {
  const r = negotiate(parsed(text), G711);
  if (r.ok) assert.fail("expected a 488");
  assert.match(r.reason, /^488 Not Acceptable Here: /);
  return r.reason;
}

const offerWith = (...media: string[]) =>
  lines("v=0", "o=- 1 1 IN IP4 10.0.0.5", "s=-", "c=IN IP4 10.0.0.5", "t=0 0", ...media);

describe("buildOffer", () => {
  test("offers PCMU, PCMA and telephone-event 101 at ptime 20, sendrecv", () => {
    assert.equal(
      formatSdp(buildOffer(local)),
      lines(
        "v=0",
        "o=- 1234 1 IN IP4 10.20.0.2",
        "s=-",
        "c=IN IP4 10.20.0.2",
        "t=0 0",
        "m=audio 40000 RTP/AVP 0 8 101",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-16",
        "a=ptime:20",
        "a=sendrecv",
      ),
    );
  });

  test("IPv6 address and big session ids", () => {
    const text = formatSdp(buildOffer({ address: "fd00::2", port: 5004, sessionId: 2n ** 62n, version: "7" }));
    assert.match(text, /^o=- 4611686018427387904 7 IN IP6 fd00::2\r$/m);
    assert.match(text, /^c=IN IP6 fd00::2\r$/m);
  });

  test("round trips and negotiates against itself", () => {
    const offer = buildOffer(local);
    assert.deepEqual(parsed(formatSdp(offer)), offer);
    const r = accepted(formatSdp(offer));
    assert.deepEqual(r.codec, { pt: 0, name: "PCMU" });
    assert.deepEqual(r.dtmf, { pt: 101 });
    assert.deepEqual(r.remote, { address: "10.20.0.2", port: 40000 });
  });
});

describe("negotiate", () => {
  test("sipp call offer: PCMU, telephone-event 101, sendrecv", () => {
    const r = accepted(SIPP_UAC_CALL_DTMF);
    assert.deepEqual(r, {
      ok: true,
      mediaIndex: 0,
      proto: "RTP/AVP",
      codec: { pt: 0, name: "PCMU" },
      dtmf: { pt: 101 },
      remote: { address: "127.0.0.1", port: 6000 },
      direction: "sendrecv",
      remoteDirection: "sendrecv",
      hold: false,
      ptime: 20,
    });
  });

  test("sipp guest-phone answer negotiates too (our offer's answer)", () => {
    const r = accepted(SIPP_UAS_GUEST_PHONE);
    assert.deepEqual(r.remote, { address: "127.0.0.1", port: 6002 });
    assert.equal(r.codec.name, "PCMU");
  });

  test("local preference order decides", () => {
    assert.deepEqual(accepted(SIPP_UAC_CALL_DTMF, { preferred: ["PCMA", "PCMU"] }).codec, { pt: 8, name: "PCMA" });
    assert.deepEqual(accepted(SIPP_UAC_CALL_DTMF, { preferred: ["PCMA"] }).codec, { pt: 8, name: "PCMA" });
  });

  test("linphone-like offer: picks PCMU and the 8 kHz telephone-event", () => {
    const r = accepted(LINPHONE);
    assert.deepEqual(r.codec, { pt: 0, name: "PCMU" });
    assert.deepEqual(r.dtmf, { pt: 102 });
    assert.deepEqual(r.remote, { address: "192.168.10.23", port: 7078 });
    assert.equal(r.direction, "sendrecv");
  });

  test("static PCMA without rtpmap, telephone-event at 96, media-level c=", () => {
    const r = accepted(TE_96_MEDIA_C);
    assert.deepEqual(r.codec, { pt: 8, name: "PCMA" });
    assert.deepEqual(r.dtmf, { pt: 96 });
    assert.deepEqual(r.remote, { address: "10.1.1.9", port: 10000 });
    assert.equal(r.ptime, null);
  });

  test("media-level c= overrides the session-level one", () => {
    const r = accepted(offerWith("m=audio 4000 RTP/AVP 0", "c=IN IP4 10.9.9.9"));
    assert.equal(r.remote.address, "10.9.9.9");
  });

  test("session-level c= applies when the media has none", () => {
    assert.equal(accepted(offerWith("m=audio 4000 RTP/AVP 0")).remote.address, "10.0.0.5");
  });

  test("a dynamic payload type mapped to PCMU is honoured; an rtpmap overrides the static meaning", () => {
    assert.deepEqual(accepted(offerWith("m=audio 4000 RTP/AVP 110", "a=rtpmap:110 pcmu/8000")).codec, {
      pt: 110,
      name: "PCMU",
    });
    assert.deepEqual(accepted(offerWith("m=audio 4000 RTP/AVP 0 8", "a=rtpmap:0 G729/8000")).codec, {
      pt: 8,
      name: "PCMA",
    });
  });

  test("no telephone-event → dtmf null", () => {
    assert.equal(accepted(offerWith("m=audio 4000 RTP/AVP 8")).dtmf, null);
  });

  test("only G.729 → 488 naming what was offered", () => {
    assert.equal(rejected(G729_ONLY), "488 Not Acceptable Here: no common codec (offered G729; we accept PCMU, PCMA)");
  });

  test("port 0 → 488 (stream rejected)", () => {
    assert.match(rejected(offerWith("m=audio 0 RTP/AVP 0 8")), /port 0/);
  });

  test("no audio stream → 488", () => {
    assert.match(rejected(offerWith("m=video 5000 RTP/AVP 31")), /no audio stream/);
  });

  test("SRTP only → 488", () => {
    assert.match(rejected(offerWith("m=audio 5000 RTP/SAVP 0")), /unsupported transport RTP\/SAVP/);
  });

  test("picks the first usable audio stream among several", () => {
    const r = accepted(
      offerWith("m=audio 0 RTP/AVP 0", "m=video 5002 RTP/AVP 31", "m=audio 5004 RTP/AVP 18", "m=audio 5006 RTP/AVP 8"),
    );
    assert.equal(r.mediaIndex, 3);
    assert.deepEqual(r.remote, { address: "10.0.0.5", port: 5006 });
  });

  describe("hold", () => {
    const cases: [string, string[], string, string, boolean][] = [
      ["sendrecv", ["a=sendrecv"], "sendrecv", "sendrecv", false],
      ["sendonly", ["a=sendonly"], "sendonly", "recvonly", true],
      ["recvonly", ["a=recvonly"], "recvonly", "sendonly", false],
      ["inactive", ["a=inactive"], "inactive", "inactive", true],
      ["c=0.0.0.0", ["c=IN IP4 0.0.0.0"], "sendonly", "recvonly", true],
      ["c=0.0.0.0 recvonly", ["c=IN IP4 0.0.0.0", "a=recvonly"], "inactive", "inactive", true],
    ];
    for (const [name, extra, remoteDirection, direction, hold] of cases) {
      test(name, () => {
        const r = accepted(offerWith("m=audio 4000 RTP/AVP 0", ...extra));
        assert.deepEqual([r.remoteDirection, r.direction, r.hold], [remoteDirection, direction, hold]);
      });
    }

    test("session-level direction applies; media-level overrides", () => {
      const session = lines("v=0", "o=- 1 1 IN IP4 10.0.0.5", "s=-", "c=IN IP4 10.0.0.5", "t=0 0", "a=sendonly");
      assert.equal(accepted(`${session}m=audio 4000 RTP/AVP 0\r\n`).direction, "recvonly");
      assert.equal(accepted(`${session}m=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n`).direction, "sendrecv");
    });
  });
});

describe("buildAnswer", () => {
  test("answers the sipp offer with PCMU and telephone-event 101", () => {
    const offer = parsed(SIPP_UAC_CALL_DTMF);
    const answer = buildAnswer(offer, accepted(SIPP_UAC_CALL_DTMF), local);
    assert.equal(
      formatSdp(answer),
      lines(
        "v=0",
        "o=- 1234 1 IN IP4 10.20.0.2",
        "s=-",
        "c=IN IP4 10.20.0.2",
        "t=0 0",
        "m=audio 40000 RTP/AVP 0 101",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-16",
        "a=ptime:20",
        "a=sendrecv",
      ),
    );
  });

  test("mirrors the offer's payload numbers (PCMA static, telephone-event 96)", () => {
    const answer = buildAnswer(parsed(TE_96_MEDIA_C), accepted(TE_96_MEDIA_C), local);
    const m = answer.media[0];
    assert.deepEqual(m.formats, ["8", "96"]);
    assert.deepEqual(m.rtpmaps, [
      { pt: 8, name: "PCMA", rate: 8000, channels: null },
      { pt: 96, name: "telephone-event", rate: 8000, channels: null },
    ]);
    assert.deepEqual(m.fmtps, [{ pt: 96, params: "0-16" }]);
  });

  test("linphone: one codec, 8 kHz telephone-event at 102", () => {
    const answer = buildAnswer(parsed(LINPHONE), accepted(LINPHONE), local);
    assert.deepEqual(answer.media[0].formats, ["0", "102"]);
  });

  test("without telephone-event in the offer the answer has none", () => {
    const text = offerWith("m=audio 4000 RTP/AVP 8");
    const m = buildAnswer(parsed(text), accepted(text), local).media[0];
    assert.deepEqual(m.formats, ["8"]);
    assert.deepEqual(m.fmtps, []);
  });

  test("one m= per offered m=, the others rejected with port 0", () => {
    const text = offerWith("m=video 5002 RTP/AVP 31", "m=audio 5004 RTP/AVP 0 8");
    const answer = buildAnswer(parsed(text), accepted(text), local);
    assert.equal(answer.media.length, 2);
    assert.deepEqual(
      answer.media.map((m) => [m.type, m.port, m.proto, m.formats.join(" ")]),
      [
        ["video", 0, "RTP/AVP", "31"],
        ["audio", 40000, "RTP/AVP", "0"],
      ],
    );
    assert.deepEqual(parsed(formatSdp(answer)), answer);
  });

  test("hold offer (sendonly) is answered recvonly", () => {
    const text = offerWith("m=audio 4000 RTP/AVP 0", "a=sendonly");
    assert.equal(buildAnswer(parsed(text), accepted(text), local).media[0].direction, "recvonly");
  });

  test("the answer negotiates back to the same codec and telephone-event", () => {
    const answer = formatSdp(buildAnswer(parsed(LINPHONE), accepted(LINPHONE), local));
    const r = accepted(answer);
    assert.deepEqual(
      [r.codec, r.dtmf, r.remote],
      [{ pt: 0, name: "PCMU" }, { pt: 102 }, { address: "10.20.0.2", port: 40000 }],
    );
  });
});
