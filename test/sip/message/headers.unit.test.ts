import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  formatNameAddr,
  formatVia,
  Headers,
  headerName,
  parseContactList,
  parseCSeq,
  parseMediaType,
  parseNameAddr,
  parseUri,
  parseVia,
  parseViaList,
  SipParseError,
  type SipUri,
  splitList,
} from "../../../src/sip/message/index.ts";

describe("header names", () => {
  test("compact forms map to canonical names", () => {
    const pairs: Array<[string, string]> = [
      ["i", "Call-ID"],
      ["v", "Via"],
      ["f", "From"],
      ["t", "To"],
      ["m", "Contact"],
      ["l", "Content-Length"],
      ["c", "Content-Type"],
      ["k", "Supported"],
      ["s", "Subject"],
      ["e", "Content-Encoding"],
      ["o", "Event"],
      ["u", "Allow-Events"],
      ["r", "Refer-To"],
      ["b", "Referred-By"],
      ["x", "Session-Expires"],
      ["y", "Identity"],
      ["I", "Call-ID"],
      ["V", "Via"],
    ];
    for (const [short, long] of pairs) assert.equal(headerName(short).name, long, short);
  });

  test("names are case-insensitive; unknown names keep their spelling", () => {
    assert.equal(headerName("MaX-fOrWaRdS").name, "Max-Forwards");
    assert.equal(headerName("cseq").name, "CSeq");
    assert.equal(headerName("www-authenticate").name, "WWW-Authenticate");
    assert.deepEqual(headerName("X-Hotel-Room"), { name: "X-Hotel-Room", key: "x-hotel-room", core: 0 });
  });

  test("the container keeps order and raw values and finds by any spelling", () => {
    const h = new Headers([
      ["v", "SIP/2.0/UDP a"],
      ["From", "<sip:a@b>;tag=1"],
      ["VIA", "SIP/2.0/UDP b, SIP/2.0/UDP c"],
      ["X-Custom", "a, b"],
    ]);
    assert.deepEqual(h.entries(), [
      ["Via", "SIP/2.0/UDP a"],
      ["From", "<sip:a@b>;tag=1"],
      ["Via", "SIP/2.0/UDP b, SIP/2.0/UDP c"],
      ["X-Custom", "a, b"],
    ]);
    assert.equal(h.get("via"), "SIP/2.0/UDP a");
    assert.deepEqual(h.getAll("V"), ["SIP/2.0/UDP a", "SIP/2.0/UDP b, SIP/2.0/UDP c"]);
    assert.deepEqual(h.values("Via"), ["SIP/2.0/UDP a", "SIP/2.0/UDP b", "SIP/2.0/UDP c"]);
    assert.deepEqual(h.values("x-custom"), ["a, b"]); // unknown: never split
    h.set("via", "SIP/2.0/TCP z");
    assert.deepEqual(h.getAll("Via"), ["SIP/2.0/TCP z"]);
    h.prepend("Via", "SIP/2.0/TCP top");
    assert.equal(h.get("Via"), "SIP/2.0/TCP top");
    h.delete("VIA");
    assert.equal(h.has("v"), false);
    assert.throws(() => h.append("Subject", "a\r\nInjected: 1"), TypeError);
  });
});

describe("multi-value splitting", () => {
  test("commas inside quotes and <> do not split", () => {
    assert.deepEqual(splitList('"Doe, John" <sip:j@x;a=1,2>;q=1, <sip:k@y?h=a,b>, sip:z@w'), [
      '"Doe, John" <sip:j@x;a=1,2>;q=1',
      "<sip:k@y?h=a,b>",
      "sip:z@w",
    ]);
    assert.deepEqual(splitList('"a \\", b", c'), ['"a \\", b"', "c"]);
    assert.deepEqual(splitList("a,,b"), ["a", "", "b"]);
  });

  test("authentication headers and Date are never split", () => {
    const h = new Headers([
      ["WWW-Authenticate", 'Digest realm="hotel", nonce="abc", qop="auth,auth-int"'],
      ["Authorization", 'Digest username="a", response="b"'],
      ["Proxy-Authenticate", 'Digest realm="x", nonce="y"'],
      ["Date", "Sat, 15 Oct 2005 04:44:56 GMT"],
      ["Allow", "INVITE, ACK,BYE"],
      ["Supported", "replace, 100rel"],
    ]);
    assert.equal(h.values("WWW-Authenticate").length, 1);
    assert.equal(h.values("Authorization").length, 1);
    assert.equal(h.values("Proxy-Authenticate").length, 1);
    assert.equal(h.values("Date").length, 1);
    assert.deepEqual(h.values("Allow"), ["INVITE", "ACK", "BYE"]);
    assert.deepEqual(h.values("k"), ["replace", "100rel"]);
  });
});

describe("name-addr", () => {
  test("quoted display name with escapes, URI params vs header params", () => {
    const na = parseNameAddr('"Room \\"101\\" \\\\ Guest" <sip:101@pbx.example.com;user=phone>;tag=abc;expires=60');
    assert.equal(na.displayName, 'Room "101" \\ Guest');
    assert.equal((na.uri as SipUri).params[0].name, "user");
    assert.equal(na.tag, "abc");
    assert.deepEqual(na.params, [
      { name: "tag", value: "abc" },
      { name: "expires", value: "60" },
    ]);
  });

  test("token display name, no display name, addr-spec", () => {
    assert.equal(parseNameAddr("Front  Desk <sip:100@h>").displayName, "Front  Desk");
    assert.equal(parseNameAddr("<sip:100@h>").displayName, undefined);
    const spec = parseNameAddr("sip:100@h;transport=tcp;tag=9");
    assert.deepEqual((spec.uri as SipUri).params, []);
    assert.equal(spec.tag, "9");
    assert.deepEqual(spec.params[0], { name: "transport", value: "tcp" });
  });

  test("quoted parameter values keep their quotes", () => {
    const na = parseNameAddr('<sip:a@b>;+sip.instance="<urn:uuid:1234>";reg-id=1');
    assert.equal(na.params[0].value, '"<urn:uuid:1234>"');
  });

  test("malformed name-addrs", () => {
    for (const bad of [
      '"unterminated <sip:a@b>',
      "<sip:a@b",
      "Bell, Alexander <sip:a@b>",
      '"x" sip:a@b',
      "< sip:a@b >",
      "<sip:a@b>;",
      "<sip:a@b>;=x",
      "<sip:a@b>;p=",
      '<sip:a@b>;p="x',
      "<sip:a@b> junk",
      "sip:a@b?h=1",
      "",
    ]) {
      assert.throws(() => parseNameAddr(bad, "To"), SipParseError, bad);
    }
  });

  test("formatNameAddr quotes the display name and adds the tag", () => {
    const uri = parseUri("sip:101@pbx");
    assert.equal(formatNameAddr({ displayName: 'Mr "X"', uri, tag: "t1" }), '"Mr \\"X\\"" <sip:101@pbx>;tag=t1');
    assert.equal(formatNameAddr({ uri, params: [{ name: "expires", value: "0" }] }), "<sip:101@pbx>;expires=0");
    const back = parseNameAddr(formatNameAddr({ displayName: 'a\\b"c\x01', uri }));
    assert.equal(back.displayName, 'a\\b"c\x01');
  });

  test("Contact: list and *", () => {
    assert.equal(parseContactList(["*"]), "*");
    const list = parseContactList(['"A, B" <sip:a@x>;q=0.5, <sip:b@y>', "sip:c@z;expires=30"]);
    assert.ok(Array.isArray(list));
    assert.deepEqual(
      list.map((c) => (c.uri as SipUri).user),
      ["a", "b", "c"],
    );
    assert.throws(() => parseContactList(["*, <sip:a@b>"]), SipParseError);
    assert.throws(() => parseContactList(["<sip:a@b>,,<sip:c@d>"]), SipParseError);
    assert.deepEqual(parseContactList([]), []);
  });
});

describe("Via", () => {
  test("received, rport without value, branch", () => {
    const via = parseVia("SIP/2.0/UDP 192.0.2.10:5062;rport;branch=z9hG4bK776;received=198.51.100.7");
    assert.equal(via.protocol, "SIP/2.0");
    assert.equal(via.transport, "UDP");
    assert.equal(via.host, "192.0.2.10");
    assert.equal(via.port, 5062);
    assert.equal(via.rport, true);
    assert.equal(via.branch, "z9hG4bK776");
    assert.equal(via.received, "198.51.100.7");
  });

  test("rport with a value, IPv6 sent-by, LWS around separators, lower-case transport", () => {
    const via = parseVia("SIP / 2.0 / tcp [2001:db8::9] : 5060 ; rport = 40123 ; branch = z9hG4bKx");
    assert.equal(via.transport, "TCP");
    assert.equal(via.host, "2001:db8::9");
    assert.equal(via.port, 5060);
    assert.equal(via.rport, 40123);
    assert.equal(formatVia(via), "SIP/2.0/TCP [2001:db8::9]:5060;rport=40123;branch=z9hG4bKx");
  });

  test("comma-separated hops across lines", () => {
    const hops = parseViaList(["SIP/2.0/UDP a;branch=1, SIP/2.0/TCP b;branch=2", "SIP/2.0/TLS c;branch=3"]);
    assert.deepEqual(
      hops.map((h) => [h.transport, h.host, h.branch]),
      [
        ["UDP", "a", "1"],
        ["TCP", "b", "2"],
        ["TLS", "c", "3"],
      ],
    );
  });

  test("malformed Vias", () => {
    for (const bad of [
      "SIP/2.0/UDP",
      "SIP/2.0 192.0.2.1",
      "SIP/2.0/UDP192.0.2.1",
      "SIP/2.0/UDP 192.0.2.1;;",
      "SIP/2.0/UDP 192.0.2.1:70000",
      "SIP/2.0/UDP 192.0.2.1;rport=x",
      "SIP/2.0/UDP 192.0.2.1;branch",
      "SIP/2.0/UDP [::1",
      "/2.0/UDP a",
    ]) {
      assert.throws(() => parseVia(bad), SipParseError, bad);
    }
    assert.throws(() => parseViaList(["SIP/2.0/UDP a,"]), SipParseError);
  });
});

describe("CSeq and Content-Type", () => {
  test("CSeq: number and method, leading zeros, LWS", () => {
    assert.deepEqual(parseCSeq("0009  INVITE"), { seq: 9, method: "INVITE" });
    assert.deepEqual(parseCSeq("4294967295 ACK"), { seq: 4294967295, method: "ACK" });
    for (const bad of ["4294967296 ACK", "INVITE", "1", "1INVITE", "-1 INVITE", "1 INVITE x", ""]) {
      assert.throws(() => parseCSeq(bad), SipParseError, bad);
    }
  });

  test("Content-Type", () => {
    assert.deepEqual(parseMediaType("Application/SDP"), { type: "application", subtype: "sdp", params: [] });
    assert.deepEqual(parseMediaType('multipart/mixed; boundary="a b"').params, [{ name: "boundary", value: '"a b"' }]);
    assert.throws(() => parseMediaType("application"), SipParseError);
  });
});
