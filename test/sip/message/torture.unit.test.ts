/**
 * RFC 4475 "SIP Torture Test Messages" against the message layer (fixtures in
 * test/fixtures/rfc4475/{valid,invalid}/<name>.dat, CRLF line ends, the RFC's <hex> as bytes).
 *
 * The RFC's §3.1.1 messages are all valid and must parse. The rest (§3.1.2 invalid syntax, §3.2
 * transaction layer, §3.3 application layer, §3.4 RFC 2543 compatibility) are either rejected by
 * the parser or parsed and left to the layer that owns the rule. Which layer decides, per message:
 *
 * | message    | RFC §    | what is wrong                                  | who rejects it                  | parseMessage result            |
 * | ---------- | -------- | ---------------------------------------------- | ------------------------------- | ------------------------------ |
 * | badinv01   | 3.1.2.1  | `;;,;,,` in Via, `;;;;` in Contact             | parser (Via is eager)           | rejected, 400                  |
 * | clerr      | 3.1.2.2  | Content-Length 9999 > body (UDP)               | parser                          | rejected, 400                  |
 * | ncl        | 3.1.2.3  | Content-Length -999                            | parser                          | rejected, 400                  |
 * | scalar02   | 3.1.2.4  | CSeq > 2^32-1, Max-Forwards 300, Expires huge  | parser (CSeq, Max-Forwards)     | rejected, 400                  |
 * | scalarlg   | 3.1.2.5  | response CSeq > 2^32-1                         | parser                          | rejected (response: no answer) |
 * | quotbal    | 3.1.2.6  | unterminated quote in To                       | parser (To is eager)            | rejected, 400                  |
 * | ltgtruri   | 3.1.2.7  | Request-URI in <>                              | parser                          | rejected, 400                  |
 * | lwsruri    | 3.1.2.8  | LWS inside the Request-URI                     | parser                          | rejected, 400                  |
 * | lwsstart   | 3.1.2.9  | several SP between Request-Line elements       | parser (strict, RFC allows it)  | rejected, 400                  |
 * | trws       | 3.1.2.10 | SP after SIP-Version                           | parser (strict, RFC allows it)  | rejected, 400                  |
 * | escruri    | 3.1.2.11 | headers (`?Route=`) in the Request-URI         | parser                          | rejected, 400                  |
 * | baddate    | 3.1.2.12 | Date in EST, not GMT                           | nobody here: Date stays raw     | parsed                         |
 * | regbadct   | 3.1.2.13 | Contact URI with `?` headers outside <>        | registrar (Contact is lazy)     | parsed; `contacts` throws      |
 * | badaspec   | 3.1.2.14 | spaces inside <> of the To                     | parser (To is eager)            | rejected, 400                  |
 * | baddn      | 3.1.2.15 | unquoted display name with a comma             | parser (From/To are eager)      | rejected, 400                  |
 * | badvers    | 3.1.2.16 | SIP/7.0                                        | parser                          | rejected, answer 505           |
 * | mismatch01 | 3.1.2.17 | CSeq method ≠ request method                   | parser                          | rejected, 400                  |
 * | mismatch02 | 3.1.2.18 | unknown method, CSeq method ≠ it               | parser (RFC accepts 400 or 501) | rejected, 400                  |
 * | bigcode    | 3.1.2.19 | status code 4294967301                         | parser                          | rejected (response)            |
 * | badbranch  | 3.2.1    | branch `z9hG4bK` with no id                    | transaction layer               | parsed                         |
 * | insuf      | 3.3.1    | no From, To, Call-ID, Max-Forwards             | parser (From/To/Call-ID needed) | rejected, 400 (partial copy)   |
 * | unkscm     | 3.3.2    | unknown Request-URI scheme                     | UA (416)                        | parsed, absolute URI           |
 * | novelsc    | 3.3.3    | unknown scheme with `//` authority             | UA (416)                        | parsed, absolute URI           |
 * | unksm2     | 3.3.4    | isbn:/http:/name: URIs in To/From/Contact      | UA/registrar (416)              | parsed, absolute URIs          |
 * | bext01     | 3.3.5    | unsupported Require / Proxy-Require            | UA (420) / proxy                | parsed                         |
 * | invut      | 3.3.6    | unknown Content-Type                           | UA (415)                        | parsed                         |
 * | regaut01   | 3.3.7    | unknown auth scheme in Authorization           | auth (401)                      | parsed, raw Authorization      |
 * | multi01    | 3.3.8    | several CSeq, Call-ID, To, From, Max-Forwards  | parser (single-value headers)   | rejected, 400                  |
 * | mcl01      | 3.3.9    | two Content-Length values                      | parser (framing)                | rejected, 400                  |
 * | bcast      | 3.3.10   | broadcast address in a Via of a response       | transport (never send there)    | parsed                         |
 * | zeromf     | 3.3.11   | Max-Forwards 0 (OPTIONS to us)                 | proxy (483) / UA answers        | parsed                         |
 * | cparam01   | 3.3.12   | addr-spec Contact: `;unknownparam` is a header param | registrar                 | parsed                         |
 * | cparam02   | 3.3.13   | name-addr Contact: `;unknownparam` is a URI param    | registrar                 | parsed                         |
 * | regescrt   | 3.3.14   | Contact URI with an escaped Route header       | registrar (strip or reject)     | parsed, URI header decoded     |
 * | sdp01      | 3.3.15   | Accept excludes the body type                  | UA (415)                        | parsed                         |
 * | inv2543    | 3.4.1    | RFC 2543 INVITE: no branch, tags, Max-Forwards, Content-Length | nobody on UDP   | parsed on UDP; on a stream rejected (no Content-Length) |
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  buildErrorResponse,
  getParam,
  type NameAddr,
  parseMessage,
  type SipMessage,
  SipParseError,
  type SipRequest,
  type SipResponse,
  type SipUri,
  serialize,
  type Uri,
  validateHeaders,
} from "../../../src/sip/message/index.ts";
import { torture, tortureNames } from "./fixtures.ts";

function parse(kind: "valid" | "invalid", name: string): SipMessage {
  const r = parseMessage(torture(kind, name));
  assert.ok(r.ok, `${name}: ${r.ok ? "" : r.reason}`);
  return r.message;
}
const request = (kind: "valid" | "invalid", name: string) => parse(kind, name) as SipRequest;
const response = (kind: "valid" | "invalid", name: string) => parse(kind, name) as SipResponse;
function sip(uri: Uri): SipUri {
  assert.equal(uri.kind, "sip");
  return uri as SipUri;
}
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("RFC 4475 §3.1.1 valid messages", () => {
  test("every valid message parses, serializes and parses back the same", () => {
    const names = tortureNames("valid");
    assert.equal(names.length, 13);
    for (const name of names) {
      const first = parse("valid", name);
      const again = parseMessage(serialize(first));
      assert.ok(again.ok, `${name} re-parse: ${again.ok ? "" : again.reason}`);
      assert.deepEqual(serialize(again.message), serialize(first), name);
    }
  });

  test("wsinv: folding, LWS everywhere, escapes in quotes, mixed compact forms", () => {
    const m = request("valid", "wsinv");
    assert.equal(m.method, "INVITE");
    const uri = sip(m.uri);
    assert.equal(uri.user, "vivekg");
    assert.equal(uri.host, "chair-dnrc.example.com");
    assert.deepEqual(uri.params, [{ name: "unknownparam", value: null }]);
    assert.equal(m.to.tag, "1918181833n");
    assert.equal(sip(m.to.uri).user, "vivekg");
    assert.equal(m.from.displayName, 'J Rosenberg \\"');
    assert.equal(m.from.tag, "98asjd8");
    assert.equal(m.maxForwards, 68);
    assert.equal(m.callId, "wsinv.ndaksdj@192.0.2.1");
    assert.deepEqual(m.cseq, { seq: 9, method: "INVITE" });
    assert.deepEqual(
      m.via.map((v) => [v.transport, v.host, v.branch]),
      [
        ["UDP", "192.0.2.2", "390skdjuw"],
        ["TCP", "spindle.example.com", "z9hG4bK9ikj8"],
        ["UDP", "192.168.255.111", "z9hG4bK30239"],
      ],
    );
    assert.equal(m.headers.get("Subject"), "");
    assert.equal(m.headers.get("s"), "");
    assert.equal(m.headers.get("NewFangledHeader"), "newfangled value continued newfangled value");
    assert.equal(m.headers.get("UnknownHeaderWithUnusualValue"), ";;,,;;,;");
    assert.deepEqual(m.headers.values("UnknownHeaderWithUnusualValue"), [";;,,;;,;"]);
    const contacts = m.contacts;
    assert.ok(Array.isArray(contacts) && contacts.length === 1);
    const contact = contacts[0] as NameAddr;
    assert.equal(contact.displayName, 'Quoted string ""');
    assert.deepEqual(contact.params, [
      { name: "newparam", value: "newvalue" },
      { name: "secondparam", value: null },
      { name: "q", value: "0.33" },
    ]);
    assert.equal(m.routes.length, 1);
    assert.deepEqual(sip(m.routes[0].uri).params, [
      { name: "lr", value: null },
      { name: "unknownwith", value: "value" },
      { name: "unknown-no-value", value: null },
    ]);
    assert.deepEqual(m.contentType, { type: "application", subtype: "sdp", params: [] });
    assert.equal(m.body.length, 150);
    assert.ok(text(m.body).startsWith("v=0\r\no=mhandley"));
  });

  test("intmeth: unusual method, Request-URI, token characters and UTF-8", () => {
    const m = request("valid", "intmeth");
    assert.equal(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
    const uri = sip(m.uri);
    assert.equal(uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    assert.equal(uri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    assert.equal(uri.host, "example.com");
    assert.equal(m.topVia?.branch, "z9hG4bK-.!%66*_+`'~");
    assert.equal(m.to.displayName, "BEL:\x07 NUL:\x00 DEL:\x7f");
    assert.equal(sip(m.to.uri).user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    assert.equal(m.from.displayName, "token1~` token2'+_ token3*%!.-");
    assert.equal(m.from.tag, "_token~1'+`*%!-.");
    assert.equal(getParam(m.from.params, "fromParam''~+*_!.-%"), '"работающий"');
    assert.equal(m.callId, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    assert.deepEqual(m.cseq, { seq: 139122385, method: m.method });
    assert.equal(m.maxForwards, 255);
    assert.equal(m.headers.get("extensionHeader-!.%*+_`'~"), "\ufeff大停電");
  });

  test("esc01: %-escapes in user parts and URI parameters are decoded once", () => {
    const m = request("valid", "esc01");
    const uri = sip(m.uri);
    assert.equal(uri.user, "sips:user@example.com");
    assert.equal(uri.host, "example.net");
    assert.equal(sip(m.to.uri).user, "user");
    assert.equal(sip(m.from.uri).user, "I have spaces");
    assert.equal(m.callId, "esc01.239409asdfakjkn23onasd0-3234");
    assert.equal(m.contentType?.subtype, "sdp");
    const [contact] = m.contacts as NameAddr[];
    assert.equal(sip(contact.uri).user, "caller");
    assert.deepEqual(sip(contact.uri).params, [
      { name: "lr", value: null },
      { name: "name", value: "value%41" },
    ]);
  });

  test("escnull: %00 in user parts does not shorten them", () => {
    const m = request("valid", "escnull");
    assert.equal(sip(m.to.uri).user, "null-\0-null");
    assert.equal(sip(m.from.uri).user, "null-\0-null");
    const contacts = m.contacts as NameAddr[];
    assert.deepEqual(
      contacts.map((c) => sip(c.uri).user),
      ["\0", "\0\0"],
    );
    assert.equal(m.contentLength, 0);
  });

  test("esc02: % is not an escape in methods, display names, branch or header names", () => {
    const m = request("valid", "esc02");
    assert.equal(m.method, "RE%47IST%45R");
    assert.equal(m.to.displayName, "%Z%45");
    assert.equal(m.topVia?.branch, "z9hG4bK209%fzsnel234");
    const contacts = m.contacts as NameAddr[];
    assert.deepEqual(
      contacts.map((c) => sip(c.uri).user),
      ["alias1", "alias3"],
    );
    assert.equal(m.headers.get("C%6Fntact"), "<sip:alias2@host2.example.com>");
  });

  test("lwsdisp: a token display name glued to <", () => {
    const m = request("valid", "lwsdisp");
    assert.equal(m.from.displayName, "caller");
    assert.equal(m.from.tag, "323");
  });

  test("longreq: long values and 34 Via hops under every spelling of Via", () => {
    const m = request("valid", "longreq");
    assert.equal(m.to.displayName, `I have a user name of ${"extreme".repeat(10)} proportion`);
    const to = sip(m.to.uri);
    assert.equal(to.port, 6000);
    assert.deepEqual(
      to.params.map((p) => [p.name, p.value]),
      [
        ["unknownparam1", `very${"long".repeat(20)}value`],
        [`longparam${"name".repeat(25)}`, "shortvalue"],
        [`very${"long".repeat(25)}ParameterNameWithNoValue`, null],
      ],
    );
    assert.equal(m.from.tag, `1${"298".repeat(49)}424`);
    assert.equal(sip(m.from.uri).user, "amazinglylongcallername".repeat(5));
    assert.equal(m.callId, `longreq.one${"really".repeat(20)}longcallid`);
    assert.equal(m.via.length, 34);
    assert.deepEqual(
      m.via.slice(0, 33).map((v) => v.host),
      Array.from({ length: 33 }, (_, i) => `sip${33 - i}.example.com`),
    );
    const last = m.via[33];
    assert.equal(last.received, "192.0.2.5");
    assert.equal(last.branch, `very${"long".repeat(50)}branchvalue`);
    assert.equal(m.headers.count("Via"), 34);
    assert.ok(m.headers.get(`Unknown-${"Long".repeat(20)}-Name`)?.endsWith("-parameter-value"));
    assert.equal(m.body.length, 150);
  });

  test("dblreq: only the first request of the datagram, the rest is ignored", () => {
    const m = request("valid", "dblreq");
    assert.equal(m.method, "REGISTER");
    assert.equal(m.body.length, 0);
    assert.equal(m.callId, "dblreq.0ha0isndaksdj99sdfafnl3lk233412");
    assert.equal(m.headers.has("Content-Type"), false);
    const [contact] = m.contacts as NameAddr[];
    assert.equal(sip(contact.uri).host, "host.example.com");
  });

  test("semiuri: ; in the user part, folded Accept list", () => {
    const m = request("valid", "semiuri");
    const uri = sip(m.uri);
    assert.equal(uri.user, "user;par=u@example.net");
    assert.equal(uri.host, "example.com");
    assert.deepEqual(uri.params, []);
    assert.deepEqual(m.headers.values("Accept"), [
      "application/sdp",
      "application/pkcs7-mime",
      "multipart/mixed",
      "multipart/signed",
      "message/sip",
      "message/sipfrag",
    ]);
  });

  test("transports: every transport token", () => {
    const m = request("valid", "transports");
    assert.deepEqual(
      m.via.map((v) => v.transport),
      ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"],
    );
    assert.equal(m.callId, "transports.kijh4akdnaqjkwendsasfdj");
  });

  test("mpart01: the multipart body with NUL bytes stays intact", () => {
    const raw = torture("valid", "mpart01");
    const m = request("valid", "mpart01");
    assert.equal(m.body.length, 553);
    assert.deepEqual(m.body, raw.subarray(raw.length - 553));
    assert.ok(m.body.includes(0));
    assert.ok(text(m.body).endsWith("--7a9cbec02ceef655--\r\n"));
    assert.equal(m.topVia?.rport, true);
    assert.equal(m.topVia?.port, 5070);
    assert.equal(getParam(m.contentType?.params ?? [], "boundary"), "7a9cbec02ceef655");
    assert.equal(m.headers.get("Date"), "Sat, 15 Oct 2005 04:44:56 GMT");
    assert.deepEqual(serialize(m).subarray(-553), m.body);
  });

  test("unreason: UTF-8 reason phrase", () => {
    const m = response("valid", "unreason");
    assert.equal(m.status, 200);
    assert.equal(m.reason, "= 2**3 * 5**2 но сто девяносто девять - простое");
    assert.equal(m.body.length, 154);
  });

  test("noreason: empty reason phrase", () => {
    const m = response("valid", "noreason");
    assert.equal(m.status, 100);
    assert.equal(m.reason, "");
    assert.equal(m.to.tag, "902jndnke3");
  });
});

describe("RFC 4475 invalid and semantic messages", () => {
  test("parseMessage never throws on any of them, datagram or stream", () => {
    for (const kind of ["valid", "invalid"] as const) {
      for (const name of tortureNames(kind)) {
        const bytes = torture(kind, name);
        for (const stream of [false, true]) parseMessage(bytes, { stream });
        for (let cut = 0; cut < bytes.length; cut += 7) parseMessage(bytes.subarray(0, cut));
      }
    }
  });

  const rejected: Array<[name: string, reason: string, answer: 400 | 505 | undefined]> = [
    ["badinv01", "empty parameter in Via", 400],
    ["clerr", "body shorter than Content-Length", 400],
    ["ncl", "invalid Content-Length", 400],
    ["scalar02", "invalid CSeq: sequence number out of range", 400],
    ["scalarlg", "invalid CSeq: sequence number out of range", undefined],
    ["quotbal", "invalid To: unterminated quoted string", 400],
    ["ltgtruri", "invalid Request-URI", 400],
    ["lwsruri", "malformed Request-Line", 400],
    ["lwsstart", "malformed Request-Line", 400],
    ["trws", "malformed Request-Line", 400],
    ["escruri", "Request-URI must not contain headers", 400],
    ["badaspec", "invalid To", 400],
    ["baddn", "invalid From: display name", 400],
    ["badvers", "unsupported SIP version SIP/7.0", 505],
    ["mismatch01", "CSeq method INVITE does not match the request method OPTIONS", 400],
    ["mismatch02", "CSeq method INVITE does not match the request method NEWMETHOD", 400],
    ["bigcode", "malformed Status-Line", undefined],
    ["insuf", "missing From", 400],
    ["multi01", "more than one CSeq", 400],
    ["mcl01", "more than one Content-Length", 400],
  ];
  for (const [name, reason, answer] of rejected) {
    test(`${name} is rejected by the parser`, () => {
      const r = parseMessage(torture("invalid", name));
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.ok(r.reason.includes(reason), `${name}: ${r.reason}`);
      assert.equal(r.canAnswer400?.status, answer);
      if (r.canAnswer400) {
        assert.ok(r.canAnswer400.via.length > 0);
        const res = buildErrorResponse(r.canAnswer400, r.canAnswer400.status, r.reason);
        assert.equal(res.status, answer);
        assert.deepEqual(res.headers.getAll("Via"), r.canAnswer400.via);
        assert.equal(res.headers.get("CSeq"), r.canAnswer400.cseq);
      }
    });
  }

  test("insuf: the 400 copies what there is (Via, CSeq)", () => {
    const r = parseMessage(torture("invalid", "insuf"));
    assert.ok(!r.ok && r.canAnswer400);
    const res = buildErrorResponse(r.canAnswer400, 400, "Missing headers");
    assert.deepEqual(
      res.headers.entries().map(([n]) => n),
      ["Via", "CSeq"],
    );
    assert.ok(new TextDecoder().decode(serialize(res)).startsWith("SIP/2.0 400 Missing headers\r\nVia: SIP/2.0/UDP"));
  });

  test("baddate: parsed, Date kept raw for whoever needs it", () => {
    assert.equal(request("invalid", "baddate").headers.get("Date"), "Fri, 01 Jan 2010 16:00:00 EST");
  });

  test("regbadct: parsed; the lazy Contact view reports the missing <>", () => {
    const m = request("invalid", "regbadct");
    assert.throws(() => m.contacts, SipParseError);
    assert.match(validateHeaders(m, ["Contact"]) ?? "", /must be enclosed in "<>"/);
    assert.equal(validateHeaders(m, ["Via", "From", "CSeq"]), undefined);
  });

  test("badbranch: parsed with the bare magic cookie as branch", () => {
    assert.equal(request("invalid", "badbranch").topVia?.branch, "z9hG4bK");
  });

  test("unkscm, novelsc: the Request-URI is an absolute URI for the UA to refuse (416)", () => {
    assert.deepEqual(request("invalid", "unkscm").uri, {
      kind: "absolute",
      scheme: "nobodyknowsthisscheme",
      opaque: "totallyopaquecontent",
    });
    assert.deepEqual(request("invalid", "novelsc").uri, {
      kind: "absolute",
      scheme: "soap.beep",
      opaque: "//192.0.2.103:3002",
    });
  });

  test("unksm2: unknown schemes in To, From and Contact", () => {
    const m = request("invalid", "unksm2");
    assert.deepEqual(m.to.uri, { kind: "absolute", scheme: "isbn", opaque: "2983792873" });
    assert.deepEqual(m.from.uri, { kind: "absolute", scheme: "http", opaque: "//www.example.com" });
    assert.equal(m.from.tag, "3234233");
    assert.deepEqual((m.contacts as NameAddr[])[0].uri, { kind: "absolute", scheme: "name", opaque: "John_Smith" });
  });

  test("bext01: Require and Proxy-Require lists for the UA and proxy", () => {
    const m = request("invalid", "bext01");
    assert.deepEqual(m.headers.values("Require"), ["nothingSupportsThis", "nothingSupportsThisEither"]);
    assert.deepEqual(m.headers.values("Proxy-Require"), ["noProxiesSupportThis", "norDoAnyProxiesSupportThis"]);
  });

  test("invut, sdp01: the UA sees the unknown or unaccepted content type", () => {
    assert.deepEqual(request("invalid", "invut").contentType, {
      type: "application",
      subtype: "unknownformat",
      params: [],
    });
    assert.equal(request("invalid", "invut").body.length, 40);
    assert.deepEqual(request("invalid", "sdp01").headers.values("Accept"), ["text/nobodyKnowsThis"]);
  });

  test("regaut01: Authorization is kept raw for the auth layer", () => {
    assert.deepEqual(request("invalid", "regaut01").authorization, ["NoOneKnowsThisScheme opaque-data=here"]);
  });

  test("bcast: parsed; the broadcast Via is the transport's business", () => {
    assert.equal(response("invalid", "bcast").via[1].host, "255.255.255.255");
  });

  test("zeromf: Max-Forwards 0 parses", () => {
    assert.equal(request("invalid", "zeromf").maxForwards, 0);
  });

  test("cparam01 / cparam02: the parameter belongs to the header or to the URI", () => {
    const [c1] = request("invalid", "cparam01").contacts as NameAddr[];
    assert.deepEqual(c1.params, [{ name: "unknownparam", value: null }]);
    assert.deepEqual(sip(c1.uri).params, []);
    assert.equal(sip(c1.uri).user, "+19725552222");
    const [c2] = request("invalid", "cparam02").contacts as NameAddr[];
    assert.deepEqual(c2.params, []);
    assert.deepEqual(sip(c2.uri).params, [{ name: "unknownparam", value: null }]);
  });

  test("regescrt: the escaped Route header of the Contact URI is decoded for the registrar", () => {
    const [c] = request("invalid", "regescrt").contacts as NameAddr[];
    assert.deepEqual(sip(c.uri).headers, [{ name: "Route", value: "<sip:sip.example.com>" }]);
  });

  test("inv2543: accepted on UDP (body to the datagram end), rejected on a stream", () => {
    const m = request("invalid", "inv2543");
    assert.equal(m.maxForwards, undefined);
    assert.equal(m.contentLength, undefined);
    assert.equal(m.topVia?.branch, undefined);
    assert.equal(m.from.tag, undefined);
    assert.equal(m.body.length, 105);
    assert.equal(getParam(sip(m.recordRoutes[0].uri).params, "maddr"), "ss1.example.com");
    const onStream = parseMessage(torture("invalid", "inv2543"), { stream: true });
    assert.ok(!onStream.ok && onStream.reason === "missing Content-Length");
  });

  test("all decisions above cover every invalid fixture", () => {
    const covered = new Set([
      ...rejected.map(([n]) => n),
      "baddate",
      "regbadct",
      "badbranch",
      "unkscm",
      "novelsc",
      "unksm2",
      "bext01",
      "invut",
      "sdp01",
      "regaut01",
      "bcast",
      "zeromf",
      "cparam01",
      "cparam02",
      "regescrt",
      "inv2543",
    ]);
    assert.deepEqual(tortureNames("invalid"), [...covered].sort());
  });
});
