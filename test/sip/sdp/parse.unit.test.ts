import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatSdp } from "../../../src/sip/sdp/format.ts";
import { parseSdp } from "../../../src/sip/sdp/parse.ts";
import type { Sdp } from "../../../src/sip/sdp/types.ts";
import { G729_ONLY, LINPHONE, SIPP_UAC_CALL_DTMF, SIPP_UAS_GUEST_PHONE, TE_96_MEDIA_C } from "./fixtures.ts";

function parsed(text: string): Sdp {
  const r = parseSdp(text);
  if (!r.ok) assert.fail(`unexpected parse failure: ${r.reason}`);
  return r.sdp;
}

function reason(text: string): string {
  const r = parseSdp(text);
  if (r.ok) assert.fail("expected a parse failure");
  return r.reason;
}

const lines = (...l: string[]) => `${l.join("\r\n")}\r\n`;

describe("parseSdp", () => {
  test("parses the sipp call offer", () => {
    const sdp = parsed(SIPP_UAC_CALL_DTMF);
    assert.deepEqual(sdp.origin, {
      username: "caller",
      sessionId: "53655765",
      version: "2353687637",
      netType: "IN",
      addrType: "IP4",
      address: "127.0.0.1",
    });
    assert.equal(sdp.sessionName, "-");
    assert.deepEqual(sdp.connection, { netType: "IN", addrType: "IP4", address: "127.0.0.1" });
    assert.deepEqual(sdp.timing, [{ start: "0", stop: "0" }]);
    assert.equal(sdp.media.length, 1);
    const m = sdp.media[0];
    assert.equal(m.type, "audio");
    assert.equal(m.port, 6000);
    assert.equal(m.portCount, null);
    assert.equal(m.proto, "RTP/AVP");
    assert.deepEqual(m.formats, ["0", "8", "101"]);
    assert.equal(m.connection, null);
    assert.deepEqual(m.rtpmaps, [
      { pt: 0, name: "PCMU", rate: 8000, channels: null },
      { pt: 8, name: "PCMA", rate: 8000, channels: null },
      { pt: 101, name: "telephone-event", rate: 8000, channels: null },
    ]);
    assert.deepEqual(m.fmtps, [{ pt: 101, params: "0-15" }]);
    assert.equal(m.ptime, 20);
    assert.equal(m.direction, "sendrecv");
    assert.deepEqual(m.attributes, []);
  });

  test("parses the sipp guest-phone answer", () => {
    const sdp = parsed(SIPP_UAS_GUEST_PHONE);
    assert.equal(sdp.origin.username, "guest");
    assert.equal(sdp.media[0].port, 6002);
  });

  test("accepts LF line ends and keeps unknown attributes in order", () => {
    const sdp = parsed(LINPHONE);
    assert.deepEqual(sdp.attributes, [
      { name: "rtcp-xr", value: "rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics" },
      { name: "record", value: "off" },
    ]);
    const m = sdp.media[0];
    assert.deepEqual(m.rtpmaps[0], { pt: 96, name: "opus", rate: 48000, channels: 2 });
    assert.deepEqual(m.attributes, [
      { name: "rtcp-fb", value: "* trr-int 1000" },
      { name: "rtcp-fb", value: "* ccm tmmbr" },
    ]);
    assert.equal(m.direction, null);
    assert.equal(m.ptime, null);
  });

  test("media-level c= and static payload types without rtpmap", () => {
    const sdp = parsed(TE_96_MEDIA_C);
    assert.equal(sdp.connection, null);
    assert.deepEqual(sdp.media[0].connection, { netType: "IN", addrType: "IP4", address: "10.1.1.9" });
    assert.deepEqual(sdp.media[0].formats, ["8", "96"]);
  });

  test("session-level direction and unknown lines are kept", () => {
    const sdp = parsed(
      lines(
        "v=0",
        "o=- 1 2 IN IP6 ::1",
        "s=x",
        "i=info",
        "c=IN IP6 ::1",
        "b=AS:64",
        "t=0 0",
        "a=inactive",
        "m=audio 5000/2 RTP/AVP 0",
        "b=TIAS:64000",
        "y=unknown line",
        "a=maxptime:40",
      ),
    );
    assert.equal(sdp.direction, "inactive");
    assert.deepEqual(sdp.extra, [
      { type: "i", value: "info" },
      { type: "b", value: "AS:64" },
    ]);
    assert.equal(sdp.media[0].portCount, 2);
    assert.deepEqual(sdp.media[0].extra, [
      { type: "b", value: "TIAS:64000" },
      { type: "y", value: "unknown line" },
    ]);
    assert.deepEqual(sdp.media[0].attributes, [{ name: "maxptime", value: "40" }]);
  });

  test("non-RTP media keep their formats and attributes as written", () => {
    const sdp = parsed(
      lines(
        "v=0",
        "o=- 1 2 IN IP4 10.0.0.1",
        "s=fax",
        "c=IN IP4 10.0.0.1",
        "t=0 0",
        "m=image 6000 udptl t38",
        "a=T38FaxVersion:0",
      ),
    );
    assert.deepEqual(sdp.media[0].formats, ["t38"]);
    assert.deepEqual(sdp.media[0].attributes, [{ name: "T38FaxVersion", value: "0" }]);
  });

  describe("rejects malformed descriptions with a reason", () => {
    const body = ["o=- 1 2 IN IP4 10.0.0.1", "s=-", "c=IN IP4 10.0.0.1", "t=0 0", "m=audio 5000 RTP/AVP 0"];
    const cases: [string, string, RegExp][] = [
      ["missing v=", lines(...body), /missing v=/],
      ["empty body", "", /missing v=/],
      ["v=1", lines("v=1", ...body), /unsupported version/],
      ["missing o=", lines("v=0", ...body.slice(1)), /missing o=/],
      ["o= with 5 fields", lines("v=0", "o=- 1 2 IN IP4", ...body.slice(1)), /o=: expected 6 fields/],
      ["missing s=", lines("v=0", body[0], ...body.slice(2)), /missing s=/],
      ["missing c=", lines("v=0", ...body.slice(0, 2), ...body.slice(3)), /missing c=/],
      ["missing m=", lines("v=0", ...body.slice(0, 4)), /missing m=/],
      ["m= without formats", lines("v=0", ...body.slice(0, 4), "m=audio 5000 RTP/AVP"), /m=: expected/],
      ["m= port not a number", lines("v=0", ...body.slice(0, 4), "m=audio x RTP/AVP 0"), /m= port/],
      ["m= port out of range", lines("v=0", ...body.slice(0, 4), "m=audio 70000 RTP/AVP 0"), /out of range/],
      ["m= payload type 128", lines("v=0", ...body.slice(0, 4), "m=audio 5000 RTP/AVP 128"), /payload type/],
      ["m= payload type not numeric", lines("v=0", ...body.slice(0, 4), "m=audio 5000 RTP/AVP pcmu"), /payload/],
      ["not a type=value line", lines("v=0", ...body, "hello"), /line 7/],
      ["upper-case type", lines("v=0", ...body, "A=x"), /line 7/],
      ["bad rtpmap", lines("v=0", ...body, "a=rtpmap:0 PCMU"), /a=rtpmap/],
      ["bad ptime", lines("v=0", ...body, "a=ptime:abc"), /a=ptime/],
      ["t= in media section", lines("v=0", ...body, "t=0 0"), /inside a media section/],
      ["repeated c=", lines("v=0", ...body.slice(0, 3), ...body.slice(2)), /repeated c=/],
    ];
    for (const [name, text, want] of cases) {
      test(name, () => assert.match(reason(text), want));
    }
  });
});

describe("formatSdp", () => {
  test("writes the sipp offer back byte for byte", () => {
    assert.equal(formatSdp(parsed(SIPP_UAC_CALL_DTMF)), SIPP_UAC_CALL_DTMF);
  });

  test("uses CRLF for every line", () => {
    const text = formatSdp(parsed(LINPHONE));
    assert.ok(text.endsWith("\r\n"));
    assert.equal(text.split("\r\n").length, LINPHONE.split("\n").length);
    assert.ok(!text.replaceAll("\r\n", "").includes("\n"));
  });

  const bodies: Record<string, string> = {
    sipp: SIPP_UAC_CALL_DTMF,
    linphone: LINPHONE,
    g729: G729_ONLY,
    "media-level c=": TE_96_MEDIA_C,
    "unknown lines out of RFC order": lines(
      "v=0",
      "o=- 1 2 IN IP4 10.0.0.1",
      "s=-",
      "b=AS:64",
      "i=info",
      "c=IN IP4 10.0.0.1",
      "t=0 0",
      "z=0 0",
      "a=sendonly",
      "a=x-foo",
      "m=audio 5000 RTP/AVP 0 96",
      "a=rtpmap:96 telephone-event/8000",
      "a=ptime:30",
      "k=prompt",
      "i=media info",
      "a=fmtp:96",
      "m=video 0 RTP/AVP 31",
    ),
  };
  for (const [name, text] of Object.entries(bodies)) {
    test(`round trip is stable: ${name}`, () => {
      const first = parsed(text);
      const again = parsed(formatSdp(first));
      assert.deepEqual(again, first);
      assert.equal(formatSdp(again), formatSdp(first));
    });
  }
});

describe("parse failures never quote an a=crypto key", () => {
  test("a line without '=' that holds an inline key is quoted masked", () => {
    const key = "WnD7c1ksDGs+dIefCEo8omPg4uO8DYIinNGL5yxQ";
    const r = reason(
      lines("v=0", "o=- 1 1 IN IP4 10.0.0.1", "s=-", "c=IN IP4 10.0.0.1", `crypto:1 AEAD_AES_128_GCM inline:${key}`),
    );
    assert.match(r, /^line 5: /);
    assert.ok(!r.includes(key.slice(0, 4)), r);
  });
});
