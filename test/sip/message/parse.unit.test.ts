import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  buildErrorResponse,
  formatUri,
  Headers,
  type NameAddr,
  type ParseResult,
  parseMessage,
  type SipMessage,
  SipRequest,
  type SipResponse,
  type SipUri,
  serialize,
  serializeHead,
  sipUri,
} from "../../../src/sip/message/index.ts";
import { crlf, text } from "./fixtures.ts";

const REGISTER = [
  "REGISTER sip:pbx.example.com SIP/2.0",
  "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK1;rport",
  "Max-Forwards: 70",
  'From: "Room 101" <sip:101@pbx.example.com>;tag=a1',
  "To: <sip:101@pbx.example.com>",
  "Call-ID: reg-1@192.0.2.20",
  "CSeq: 2 REGISTER",
  "Contact: <sip:101@192.0.2.20:5060>;expires=3600",
  "Expires: 3600",
  "Content-Length: 0",
  "",
  "",
];

function ok(result: ParseResult): SipMessage {
  assert.ok(result.ok, result.ok ? "" : result.reason);
  return result.message;
}
const req = (lines: string[], opts = {}) => ok(parseMessage(crlf(lines), opts)) as SipRequest;
function reject(lines: string[] | Uint8Array, opts = {}): Extract<ParseResult, { ok: false }> {
  const r = parseMessage(Array.isArray(lines) ? crlf(lines) : lines, opts);
  assert.equal(r.ok, false);
  return r as Extract<ParseResult, { ok: false }>;
}
/** REGISTER with the line starting `prefix` replaced (or removed when `line` is null). */
function register(prefix: string, line: string | null, extra: string[] = []): string[] {
  const out = REGISTER.filter((l) => !l.startsWith(prefix) || l === "");
  const at = REGISTER.findIndex((l) => l.startsWith(prefix));
  if (line !== null) out.splice(at, 0, line);
  out.splice(out.length - 2, 0, ...extra);
  return out;
}

describe("parseMessage: requests and responses", () => {
  test("a typical REGISTER and its typed views", () => {
    const m = req(REGISTER);
    assert.equal(m.kind, "request");
    assert.equal(m.method, "REGISTER");
    assert.equal(formatUri(m.uri), "sip:pbx.example.com");
    assert.equal(m.topVia?.rport, true);
    assert.equal(m.from.displayName, "Room 101");
    assert.equal(m.from.tag, "a1");
    assert.equal(m.to.tag, undefined);
    assert.equal(m.callId, "reg-1@192.0.2.20");
    assert.deepEqual(m.cseq, { seq: 2, method: "REGISTER" });
    assert.equal(m.maxForwards, 70);
    assert.equal(m.expires, 3600);
    assert.equal(m.contentLength, 0);
    const [contact] = m.contacts as NameAddr[];
    assert.equal((contact.uri as SipUri).port, 5060);
    assert.equal(m.body.length, 0);
  });

  test("a response with a body", () => {
    const m = ok(
      parseMessage(
        crlf([
          "SIP/2.0 401 Unauthorized",
          "Via: SIP/2.0/UDP 192.0.2.20;branch=z9hG4bK1",
          "From: <sip:101@pbx>;tag=a",
          "To: <sip:101@pbx>;tag=b",
          "Call-ID: c",
          "CSeq: 1 REGISTER",
          'WWW-Authenticate: Digest realm="pbx", nonce="n1", algorithm=MD5, qop="auth"',
          'WWW-Authenticate: Digest realm="pbx", nonce="n2", algorithm=SHA-256, qop="auth"',
          "Content-Type: text/plain",
          "Content-Length: 5",
          "",
          "hello",
        ]),
      ),
    ) as SipResponse;
    assert.equal(m.status, 401);
    assert.equal(m.reason, "Unauthorized");
    assert.equal(m.wwwAuthenticate.length, 2);
    assert.ok(m.wwwAuthenticate[1].includes("SHA-256"));
    assert.equal(new TextDecoder().decode(m.body), "hello");
  });

  test("compact forms and case-insensitive names resolve to the same headers", () => {
    const m = req([
      "OPTIONS sip:a@b SIP/2.0",
      "v: SIP/2.0/UDP h;branch=z9hG4bK2",
      "f: <sip:x@y>;tag=1",
      "t: <sip:a@b>",
      "i: call-2",
      "cseq: 7 OPTIONS",
      "m: <sip:x@h>",
      "k: timer, 100rel",
      "c: application/sdp",
      "l: 2",
      "",
      "ok",
    ]);
    assert.deepEqual(
      m.headers.entries().map(([n]) => n),
      ["Via", "From", "To", "Call-ID", "CSeq", "Contact", "Supported", "Content-Type", "Content-Length"],
    );
    assert.equal(m.callId, "call-2");
    assert.deepEqual(m.headers.values("Supported"), ["timer", "100rel"]);
    assert.equal(m.contentType?.subtype, "sdp");
    assert.equal(m.body.length, 2);
  });

  test("folded header values are joined with one space", () => {
    const m = req([
      "OPTIONS sip:a@b SIP/2.0",
      "Via: SIP/2.0/UDP h",
      "  ;branch=z9hG4bK3",
      "From:",
      "\t<sip:x@y>;tag=1",
      "To: <sip:a@b>",
      "Call-ID: f",
      "CSeq: 1",
      "   OPTIONS",
      "Subject: a",
      " \t b  ",
      "\tc",
      "Content-Length: 0",
      "",
      "",
    ]);
    assert.equal(m.topVia?.branch, "z9hG4bK3");
    assert.equal(m.headers.get("From"), "<sip:x@y>;tag=1");
    assert.deepEqual(m.cseq, { seq: 1, method: "OPTIONS" });
    assert.equal(m.headers.get("Subject"), "a b c");
  });

  test("bare LF line ends and leading CRLFs are tolerated", () => {
    const m = ok(parseMessage(text(`\r\n\r\n${REGISTER.join("\n")}`)));
    assert.equal(m.kind, "request");
    assert.equal(m.headers.size, 9);
  });

  test("multiple values in one Contact, Route, Record-Route line", () => {
    const m = req(
      register("Contact", 'Contact: "Desk, Front" <sip:1,00@a>;q=0.7, <sip:100@b>', [
        "Route: <sip:p1;lr>, <sip:p2;lr>",
        "Record-Route: <sip:rr1;lr>",
        "Record-Route: <sip:rr2;lr>,<sip:rr3;lr>",
      ]),
    );
    const contacts = m.contacts as NameAddr[];
    assert.deepEqual(
      contacts.map((c) => [c.displayName, (c.uri as SipUri).user, (c.uri as SipUri).host]),
      [
        ["Desk, Front", "1,00", "a"],
        [undefined, "100", "b"],
      ],
    );
    assert.deepEqual(
      m.routes.map((r) => (r.uri as SipUri).host),
      ["p1", "p2"],
    );
    assert.deepEqual(
      m.recordRoutes.map((r) => (r.uri as SipUri).host),
      ["rr1", "rr2", "rr3"],
    );
  });

  test("Contact: * for removing all bindings", () => {
    assert.equal(req(register("Contact", "Contact: *")).contacts, "*");
    assert.deepEqual(req(register("Contact", null)).contacts, []);
  });

  test("headers changed after parsing re-parse their views", () => {
    const m = req(REGISTER);
    assert.equal(m.expires, 3600);
    m.headers.set("Expires", "0");
    assert.equal(m.expires, 0);
  });
});

describe("parseMessage: rejections", () => {
  test("Content-Length larger than the body", () => {
    const r = reject(register("Content-Length", "Content-Length: 10"));
    assert.match(r.reason, /body shorter than Content-Length/);
    assert.equal(r.canAnswer400?.status, 400);
  });

  test("Content-Length smaller than the datagram: the rest is ignored", () => {
    const m = req([...REGISTER.slice(0, -3), "Content-Length: 3", "", "abcdef"]);
    assert.equal(new TextDecoder().decode(m.body), "abc");
  });

  test("missing Content-Length: fine on a datagram, an error on a stream", () => {
    const lines = register("Content-Length", null);
    assert.equal(req(lines).body.length, 0);
    assert.equal(reject(lines, { stream: true }).reason, "missing Content-Length");
  });

  test("malformed Content-Length values", () => {
    for (const v of ["-1", "five", "1 2", "", "99999999999999"]) {
      assert.match(reject(register("Content-Length", `Content-Length: ${v}`)).reason, /Content-Length/, v);
    }
  });

  test("start lines", () => {
    const cases: Array<[string, RegExp]> = [
      ["REGISTER sip:pbx.example.com SIP/3.0", /unsupported SIP version/],
      ["REGISTER sip:pbx.example.com sip/2.0 ", /malformed Request-Line/],
      ["REGISTER  sip:pbx.example.com SIP/2.0", /malformed Request-Line/],
      ["REGISTER sip:pbx.example.com", /malformed Request-Line/],
      ["REGISTER sip:pbx.example.com HTTP/1.1", /malformed Request-Line/],
      ["REGISTER sip:pbx example.com SIP/2.0", /malformed Request-Line/],
      ["REGISTER sip:pbx.example.com? SIP/2.0", /invalid Request-URI/],
      ["REG(ISTER sip:pbx.example.com SIP/2.0", /malformed Request-Line/],
      ["SIP/2.0 099 Too Low", /invalid status code/],
      ["SIP/2.0 99 Too Low", /malformed Status-Line/],
      ["SIP/2.0 700 Too High", /invalid status code/],
      ["SIP/2.0 2000 OK", /malformed Status-Line/],
      ["SIP/2.0 20 OK", /malformed Status-Line/],
      ["SIP/1.0 200 OK", /unsupported SIP version/],
      ["SIP/2.0", /malformed start line/],
    ];
    for (const [line, reason] of cases) {
      const lines = [line, ...REGISTER.slice(1)];
      assert.match(reject(lines).reason, reason, line);
    }
    assert.equal(reject(["REGISTER sip:x SIP/2.1", ...REGISTER.slice(1)]).canAnswer400?.status, 505);
    // A lower-case "sip" in the version is still SIP/2.0 (ABNF literals are case-insensitive).
    assert.equal(req(["OPTIONS sip:x sip/2.0", ...register("CSeq", "CSeq: 2 OPTIONS").slice(1)]).method, "OPTIONS");
  });

  test("malformed header lines", () => {
    assert.match(reject(register("Expires", "Expires 3600")).reason, /malformed header field/);
    assert.match(reject(register("Expires", ": 3600")).reason, /malformed header field/);
    assert.match(reject([REGISTER[0], " folded-start: x", ...REGISTER.slice(1)]).reason, /malformed header field/);
  });

  test("missing and duplicated mandatory headers", () => {
    for (const h of ["Via", "From", "To", "Call-ID", "CSeq"]) {
      assert.equal(reject(register(h, null)).reason, `missing ${h}`, h);
    }
    assert.match(reject(register("To", null, ["To: <sip:a@b>", "To: <sip:c@d>"])).reason, /more than one To/);
    assert.match(reject(register("Max-Forwards", "Max-Forwards: 256")).reason, /Max-Forwards/);
    // Max-Forwards is optional (RFC 2543 senders), Contact is not checked until asked.
    assert.equal(req(register("Max-Forwards", null)).maxForwards, undefined);
    assert.throws(() => req(register("Contact", "Contact: <sip:a@b")).contacts);
  });

  test("CSeq method must match the request method", () => {
    assert.match(reject(register("CSeq", "CSeq: 2 INVITE")).reason, /does not match/);
  });

  test("size and header-count limits apply to datagrams", () => {
    const big = crlf([...REGISTER.slice(0, -2), `X-Pad: ${"x".repeat(70000)}`, "", ""]);
    assert.match(reject(big).reason, /message too large/);
    assert.equal(parseMessage(big, { maxSize: 100_000 }).ok, true);
    const many = [...REGISTER.slice(0, -2), ...Array.from({ length: 95 }, (_, i) => `X-H${i}: ${i}`), "", ""];
    assert.match(reject(many).reason, /too many header fields/);
    assert.equal(parseMessage(crlf(many), { maxHeaders: 200 }).ok, true);
    assert.match(reject(REGISTER, { maxHeaders: 5 }).reason, /too many header fields/);
  });

  test("no end of headers, empty input, keep-alive datagrams", () => {
    assert.match(reject(crlf(REGISTER.slice(0, 5))).reason, /incomplete message/);
    assert.equal(reject(new Uint8Array(0)).reason, "empty message");
    assert.equal(reject(text("\r\n\r\n")).keepalive, true);
  });

  test("a bare CR in a header value: rejected; answered 400 only when no copied header holds it", () => {
    const copied = ["Via", "From", "To", "Call-ID", "CSeq"];
    for (const name of [...copied, "Contact", "Expires"]) {
      for (const value of [`${name}: x\ry`, `${name}: x\r`, `${name}: \r x`]) {
        const lines = REGISTER.map((l) =>
          l.startsWith(`${name}:`) ? l.replace(/$/, value.slice(name.length + 2)) : l,
        );
        const r = reject(lines);
        assert.equal(r.reason, "bare CR in a header field", JSON.stringify(value));
        assert.equal(r.canAnswer400 !== undefined, !copied.includes(name), JSON.stringify(value));
      }
    }
    // In a folded line, and just before the CRLF (CR CR LF: only one CR ends the line).
    assert.equal(reject([...REGISTER.slice(0, -2), "Subject: a", " b\rc", "", ""]).reason, "bare CR in a header field");
    assert.equal(reject([...REGISTER.slice(0, -2), "Subject: a\r", "", ""]).reason, "bare CR in a header field");
    // In the start line it is a malformed Request-Line, answerable (the copied headers are clean).
    const start = reject([`${REGISTER[0]}\r`, ...REGISTER.slice(1)]);
    assert.equal(start.reason, "malformed Request-Line");
    assert.ok(start.canAnswer400);
  });

  test("a bare LF in a CRLF message is an error; LF line ends throughout stay tolerated", () => {
    const injected = reject([
      ...REGISTER.slice(0, -2),
      "Subject: a\nVia: SIP/2.0/UDP 203.0.113.9;branch=z9hG4bKx",
      "",
      "",
    ]);
    assert.equal(injected.reason, "bare LF in a header field");
    assert.ok(injected.canAnswer400);
    assert.equal(ok(parseMessage(text(REGISTER.join("\n")))).kind, "request");
  });

  test("a CR or LF inserted anywhere in a request never throws, nor does answering it", () => {
    const bytes = crlf(REGISTER);
    for (let at = 0; at < bytes.length; at++) {
      for (const c of [13, 10]) {
        const mutated = new Uint8Array(bytes.length + 1);
        mutated.set(bytes.subarray(0, at), 0);
        mutated[at] = c;
        mutated.set(bytes.subarray(at), at + 1);
        for (const stream of [false, true]) {
          const r = parseMessage(mutated, { stream });
          if (r.ok) {
            for (const h of r.message.headers) assert.ok(!/[\r\n]/.test(h.value), `value with CR/LF at ${at}`);
            continue;
          }
          if (!r.canAnswer400) continue;
          const resp = buildErrorResponse(r.canAnswer400, 400, r.reason);
          for (const h of resp.headers) assert.ok(!/[\r\n]/.test(h.value), `CR/LF in the 400's ${h.name} (${at})`);
          serialize(resp);
        }
      }
    }
  });

  test("a response is never answerable", () => {
    const r = reject(["SIP/2.0 200 OK", ...register("CSeq", "CSeq: x REGISTER").slice(1)]);
    assert.equal(r.canAnswer400, undefined);
  });
});

describe("buildErrorResponse", () => {
  test("from a parsed request: copies Via, From, To (+tag), Call-ID, CSeq", () => {
    const m = req(register("Via", "Via: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK0"));
    const res = buildErrorResponse(m, 400, "Bad Contact", { toTag: "t9" });
    assert.equal(res.status, 400);
    assert.deepEqual(res.headers.entries(), [
      ["Via", "SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK0"],
      ["From", '"Room 101" <sip:101@pbx.example.com>;tag=a1'],
      ["To", "<sip:101@pbx.example.com>;tag=t9"],
      ["Call-ID", "reg-1@192.0.2.20"],
      ["CSeq", "2 REGISTER"],
    ]);
    const again = ok(parseMessage(serialize(res))) as SipResponse;
    assert.equal(again.to.tag, "t9");
    assert.equal(again.via.length, 2);
  });

  test("a random To tag by default, none added for 100 Trying", () => {
    const m = req(REGISTER);
    assert.match(buildErrorResponse(m, 486, "Busy Here").to.tag ?? "", /^[0-9a-f]{12}$/);
    assert.equal(buildErrorResponse(m, 100, "Trying").to.tag, undefined);
  });

  test("from a rejected request", () => {
    const r = reject(register("Content-Length", "Content-Length: 99"));
    assert.ok(r.canAnswer400);
    const res = buildErrorResponse(r.canAnswer400, 400, r.reason);
    const bytes = new TextDecoder().decode(serialize(res));
    assert.ok(bytes.startsWith("SIP/2.0 400 body shorter than Content-Length"));
    assert.ok(bytes.includes("\r\nCall-ID: reg-1@192.0.2.20\r\n"));
    assert.ok(bytes.endsWith("\r\nContent-Length: 0\r\n\r\n"));
  });
});

describe("serialize", () => {
  test("canonical names, CRLF, Content-Length matches the body", () => {
    const m = req([
      "MESSAGE sip:101@pbx SIP/2.0",
      "v: SIP/2.0/UDP h;branch=z9hG4bK4",
      "f: <sip:desk@pbx>;tag=1",
      "t: <sip:101@pbx>",
      "i: m1",
      "CSeq: 1 MESSAGE",
      "c: text/plain",
      "l: 4",
      "",
      "ping",
    ]);
    m.body = text("wake up");
    assert.equal(
      serializeHead(m),
      [
        "MESSAGE sip:101@pbx SIP/2.0",
        "Via: SIP/2.0/UDP h;branch=z9hG4bK4",
        "From: <sip:desk@pbx>;tag=1",
        "To: <sip:101@pbx>",
        "Call-ID: m1",
        "CSeq: 1 MESSAGE",
        "Content-Type: text/plain",
        "Content-Length: 7",
        "",
        "",
      ].join("\r\n"),
    );
    const again = ok(parseMessage(serialize(m), { stream: true }));
    assert.equal(new TextDecoder().decode(again.body), "wake up");
  });

  test("a request built in code", () => {
    const headers = new Headers([
      ["Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx;rport"],
      ["Max-Forwards", "70"],
      ["From", "<sip:bellhop@192.0.2.1>;tag=f"],
      ["To", "<sip:101@pbx>"],
      ["Call-ID", "built-1"],
      ["CSeq", "1 OPTIONS"],
    ]);
    const m = new SipRequest("OPTIONS", sipUri("pbx", { user: "101" }), headers);
    const wire = new TextDecoder().decode(serialize(m));
    assert.ok(wire.startsWith("OPTIONS sip:101@pbx SIP/2.0\r\n"));
    assert.ok(wire.endsWith("CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"));
    assert.equal(ok(parseMessage(text(wire), { stream: true })).callId, "built-1");
  });
});
