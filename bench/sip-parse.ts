/**
 * (d) SIP parse rate: our parseMessage (then the views every layer reads: top Via, From, To,
 * Call-ID, CSeq, Contact) next to JsSIP's Parser.parseMessage, which parses those headers eagerly,
 * on the same five messages in the same run: a REGISTER with Authorization, its 401 with
 * WWW-Authenticate, an INVITE with SDP, a 200 OK with Record-Route and Contact, and a NOTIFY with a
 * message-summary body. Both parsers must succeed on every message, or the bench aborts.
 */
import { createRequire } from "node:module";
import { parseChallenge } from "../src/sip/auth/challenge.ts";
import { getParam, parseMessage, type SipMessage } from "../src/sip/message/index.ts";
import { fmt, line, median } from "./util.ts";

/** The parts of JsSIP's IncomingMessage this bench reads (jssip ships no types for its Parser). */
interface JssipMessage {
  method: string;
  status_code?: number;
  call_id: string;
  cseq: number;
  from_tag: string;
  to_tag: string | undefined;
  via_branch: string;
  body: string;
  getHeaders(name: string): string[];
  parseHeader(name: string, idx?: number): unknown;
}
interface JssipParser {
  parseMessage(data: string, ua: object): JssipMessage | undefined;
}

// Parser is not re-exported by the package entry (only Grammar is); load the module itself.
const require = createRequire(import.meta.url);
const jssip = require("jssip/lib/Parser.js") as JssipParser;
const JSSIP_VERSION = (require("jssip/package.json") as { version: string }).version;
/** IncomingRequest only stores its UA; parsing touches nothing on it. */
const fakeUa = { configuration: {} };

const CRLF = "\r\n";

function message(head: string[], body = ""): string {
  const lines = [...head, `Content-Length: ${new TextEncoder().encode(body).length}`];
  return `${lines.join(CRLF)}${CRLF}${CRLF}${body}`;
}

const CALL = "a84b4c76e66710d2f5c9e3b1@192.168.20.15";
const REG_CALL = "3f1c2a9b7e3d5c6a8b0f1e2d@192.168.20.15";
const NONCE = "ZyQ2OWc4NzU2YWIxMmM0ZDhlZjM0NWE2Nzg5MGJjZGU=";

const MESSAGES: string[] = [
  message([
    "REGISTER sip:pbx.hotel.test SIP/2.0",
    "Via: SIP/2.0/UDP 192.168.20.15:5060;branch=z9hG4bK.b2c9e4f1a7;rport",
    "Max-Forwards: 70",
    'From: "Port 2001" <sip:2001@pbx.hotel.test>;tag=8a1c3f2e9d',
    'To: "Port 2001" <sip:2001@pbx.hotel.test>',
    `Call-ID: ${REG_CALL}`,
    "CSeq: 2 REGISTER",
    "Contact: <sip:2001@192.168.20.15:5060>;expires=3600",
    "Expires: 3600",
    `Authorization: Digest username="2001", realm="hotel.test", nonce="${NONCE}", uri="sip:pbx.hotel.test", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, cnonce="0a4f113b", qop=auth, nc=00000001`,
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, SUBSCRIBE",
    "User-Agent: bellhop/0.1.0",
  ]),
  message([
    "SIP/2.0 401 Unauthorized",
    "Via: SIP/2.0/UDP 192.168.20.15:5060;branch=z9hG4bK.a1f0c3d2e8;rport=5060;received=192.168.20.15",
    'From: "Port 2001" <sip:2001@pbx.hotel.test>;tag=8a1c3f2e9d',
    'To: "Port 2001" <sip:2001@pbx.hotel.test>;tag=b27e1a1d33761e85846fc98f5f3a7e58.0a34',
    `Call-ID: ${REG_CALL}`,
    "CSeq: 1 REGISTER",
    `WWW-Authenticate: Digest realm="hotel.test", nonce="${NONCE}", qop="auth", algorithm=MD5`,
    "Server: kamailio (5.6.3 (x86_64/linux))",
  ]),
  message(
    [
      "INVITE sip:2001@192.168.20.15:5060 SIP/2.0",
      "Via: SIP/2.0/UDP 192.168.20.1:5060;branch=z9hG4bK5a3e.7c1f0b22d4e9a1c6a2f3e8b7d0c4a1e2.0",
      "Via: SIP/2.0/UDP 192.168.20.40:5062;received=192.168.20.40;rport=5062;branch=z9hG4bKPj7d3e1c9a",
      "Record-Route: <sip:192.168.20.1;lr=on;ftag=as6d1f2c3b>",
      "Max-Forwards: 69",
      'From: "Front Desk" <sip:100@pbx.hotel.test>;tag=as6d1f2c3b',
      "To: <sip:2001@pbx.hotel.test>",
      "Contact: <sip:100@192.168.20.40:5062;transport=udp>",
      `Call-ID: ${CALL}`,
      "CSeq: 102 INVITE",
      "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, INFO",
      "Supported: replaces, timer",
      "User-Agent: Grandstream UCM6302V1.3 1.0.27.10",
      "Content-Type: application/sdp",
    ],
    [
      "v=0",
      "o=- 20518 0 IN IP4 192.168.20.40",
      "s=SDP data",
      "c=IN IP4 192.168.20.40",
      "t=0 0",
      "m=audio 10230 RTP/AVP 8 0 9 101",
      "a=rtpmap:8 PCMA/8000",
      "a=rtpmap:0 PCMU/8000",
      "a=rtpmap:9 G722/8000",
      "a=rtpmap:101 telephone-event/8000",
      "a=fmtp:101 0-16",
      "a=ptime:20",
      "a=sendrecv",
      "",
    ].join(CRLF),
  ),
  message(
    [
      "SIP/2.0 200 OK",
      "Via: SIP/2.0/UDP 192.168.20.15:5060;branch=z9hG4bK.6e2d0a9c1f;rport=5060;received=192.168.20.15",
      "Record-Route: <sip:192.168.20.1;lr=on;ftag=2b7c1e9a4d>",
      "Record-Route: <sip:10.0.0.1;transport=tcp;lr=on;ftag=2b7c1e9a4d>",
      'From: "Wake-up" <sip:2001@pbx.hotel.test>;tag=2b7c1e9a4d',
      'To: "Room 204" <sip:204@pbx.hotel.test>;tag=as58f4201b',
      "Call-ID: 7c1d9e2f4a6b8c0d1e3f5a7b@192.168.20.15",
      "CSeq: 1 INVITE",
      'Contact: "Room 204" <sip:204@192.168.20.77:5060;transport=udp>;expires=3600',
      "Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, OPTIONS, UPDATE",
      "Supported: replaces, timer",
      "Session-Expires: 1800;refresher=uac",
      "Content-Type: application/sdp",
    ],
    [
      "v=0",
      "o=snom 1727 1727 IN IP4 192.168.20.77",
      "s=call",
      "c=IN IP4 192.168.20.77",
      "t=0 0",
      "m=audio 62040 RTP/AVP 8 101",
      "a=rtpmap:8 PCMA/8000",
      "a=rtpmap:101 telephone-event/8000",
      "a=fmtp:101 0-15",
      "a=ptime:20",
      "a=sendrecv",
      "",
    ].join(CRLF),
  ),
  message(
    [
      "NOTIFY sip:2001@192.168.20.15:5060 SIP/2.0",
      "Via: SIP/2.0/UDP 192.168.20.1:5060;branch=z9hG4bK0c7e4b3a91",
      "Max-Forwards: 70",
      "From: <sip:2001@pbx.hotel.test>;tag=as1f3c8e21",
      "To: <sip:2001@192.168.20.15:5060>",
      "Contact: <sip:asterisk@192.168.20.1:5060>",
      "Call-ID: 2d9f4b1c7e3a5d8c0b2e4f6a@192.168.20.1",
      "CSeq: 104 NOTIFY",
      "Event: message-summary",
      "Subscription-State: active;expires=3600",
      "User-Agent: Asterisk PBX 20.5.0",
      "Content-Type: application/simple-message-summary",
    ],
    ["Messages-Waiting: yes", "Message-Account: sip:*97@pbx.hotel.test", "Voice-Message: 2/1 (1/0)", ""].join(CRLF),
  ),
];
const BYTES = MESSAGES.map((m) => new TextEncoder().encode(m));

/** Ours: parse, then read the views. Returns the failures. */
function oursOnce(rounds: number): number {
  let failures = 0;
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < BYTES.length; i++) {
      const res = parseMessage(BYTES[i]);
      if (!res.ok) {
        failures++;
        continue;
      }
      const m = res.message;
      const via = m.topVia;
      const from = m.from;
      const to = m.to;
      const contacts = m.contacts;
      sink += m.cseq.seq + m.callId.length + (via?.port ?? 0) + (from.tag?.length ?? 0) + to.params.length;
      sink += contacts === "*" ? 1 : contacts.length;
    }
  }
  if (sink === 0) failures++;
  return failures;
}

/** Ours, also parsing what jssip parses eagerly and we leave raw or lazy: Record-Route, Content-Type, WWW-Authenticate. */
function oursFullOnce(rounds: number): number {
  let failures = 0;
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < BYTES.length; i++) {
      const res = parseMessage(BYTES[i]);
      if (!res.ok) {
        failures++;
        continue;
      }
      const m = res.message;
      const contacts = m.contacts;
      sink += m.cseq.seq + m.callId.length + (m.topVia?.port ?? 0) + (m.from.tag?.length ?? 0) + m.to.params.length;
      sink += contacts === "*" ? 1 : contacts.length;
      sink += m.recordRoutes.length + (m.contentType?.subtype.length ?? 0);
      for (const w of m.wwwAuthenticate) sink += parseChallenge(w).nonce.length;
    }
  }
  if (sink === 0) failures++;
  return failures;
}

function jssipOnce(rounds: number): number {
  let failures = 0;
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < MESSAGES.length; i++) {
      const m = jssip.parseMessage(MESSAGES[i], fakeUa);
      if (m === undefined) {
        failures++;
        continue;
      }
      sink += m.cseq + m.call_id.length + m.via_branch.length + m.from_tag.length + m.getHeaders("contact").length;
    }
  }
  if (sink === 0) failures++;
  return failures;
}

/** Outside the clock: both parsers read the same facts out of every message. */
function crossCheck(): void {
  for (let i = 0; i < MESSAGES.length; i++) {
    const res = parseMessage(BYTES[i]);
    const j = jssip.parseMessage(MESSAGES[i], fakeUa);
    if (!res.ok) throw new Error(`our parser failed on message ${i}: ${res.reason}`);
    if (!j) throw new Error(`jssip failed on message ${i}`);
    const m: SipMessage = res.message;
    const contacts = m.contacts;
    const ours = {
      start: m.kind === "request" ? m.method : m.status,
      callId: m.callId,
      cseq: m.cseq.seq,
      fromTag: m.from.tag,
      toTag: m.to.tag ?? null,
      branch: m.topVia ? getParam(m.topVia.params, "branch") : undefined,
      contacts: contacts === "*" ? -1 : contacts.length,
      body: new TextDecoder().decode(m.body),
    };
    const theirs = {
      start: j.status_code ?? j.method,
      callId: j.call_id,
      cseq: j.cseq,
      fromTag: j.from_tag,
      toTag: j.to_tag ?? null,
      branch: j.via_branch,
      contacts: j.getHeaders("contact").length,
      body: j.body,
    };
    if (JSON.stringify(ours) !== JSON.stringify(theirs))
      throw new Error(`parsers disagree on message ${i}:\n${JSON.stringify(ours)}\n${JSON.stringify(theirs)}`);
  }
}

export function benchSipParse(): void {
  crossCheck();
  // Sized so one run takes a few hundred ms; the rates are per message either way.
  const variants = [
    { fn: jssipOnce, rounds: 300, runs: [] as number[] },
    { fn: oursOnce, rounds: 10_000, runs: [] as number[] },
    { fn: oursFullOnce, rounds: 10_000, runs: [] as number[] },
  ];
  const timed = (v: (typeof variants)[number]) => {
    const t = performance.now();
    const failures = v.fn(v.rounds);
    const s = (performance.now() - t) / 1000;
    if (failures !== 0) throw new Error(`${failures} of ${v.rounds * MESSAGES.length} messages failed to parse`);
    return (v.rounds * MESSAGES.length) / s;
  };
  for (const v of variants) timed(v); // warm-up
  // Interleaved, so both parsers meet the same GC state and the same load on the machine.
  for (let r = 0; r < 5; r++) for (const v of variants) v.runs.push(timed(v));
  const [theirs, ours, oursFull] = variants.map((v) => median(v.runs));
  const avg = BYTES.reduce((n, b) => n + b.length, 0) / BYTES.length;
  line("SIP parse + views (ours), messages/s", fmt(ours));
  line(`SIP parse (JsSIP ${JSSIP_VERSION} Parser), messages/s`, fmt(theirs));
  line("ours relative to JsSIP", `${fmt(ours / theirs, 1)}x`, "≥ 10x");
  line("  ours + Record-Route, Content-Type, WWW-Auth, msg/s", fmt(oursFull));
  line("  mean size of the 5 messages, bytes", fmt(avg, 0));
}

if (import.meta.main) benchSipParse();
