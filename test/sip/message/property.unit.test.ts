/**
 * Property tests (fast-check): the parser never throws, and what it accepts survives
 * serialize → parse unchanged. numRuns are kept small so the file runs in well under 3 s.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  buildErrorResponse,
  formatNameAddr,
  formatUri,
  formatVia,
  type Param,
  parseMessage,
  quote,
  type SipMessage,
  SipStreamFramer,
  serialize,
  type Uri,
} from "../../../src/sip/message/index.ts";
import { torture, tortureNames } from "./fixtures.ts";

/** What must survive a round trip: start line, header fields (Content-Length aside), body, views. */
function plain(m: SipMessage) {
  return {
    start: m.kind === "request" ? [m.method, m.uri] : [m.status, m.reason],
    headers: m.headers.entries().filter(([name]) => name !== "Content-Length"),
    body: m.body,
    via: m.via,
    from: m.from,
    to: m.to,
    callId: m.callId,
    cseq: m.cseq,
    maxForwards: m.maxForwards,
  };
}

/** parse(serialize(m)) equals m, and serialize is a fixed point from there. */
function assertStable(m: SipMessage, opts: { stream?: boolean } = {}): void {
  const wire = serialize(m);
  const again = parseMessage(wire, opts);
  assert.ok(again.ok, again.ok ? "" : `re-parse failed: ${again.reason}`);
  assert.deepEqual(plain(again.message), plain(m));
  assert.deepEqual(serialize(again.message), wire);
}

/**
 * A rejected request that says it can be answered must be: building the 400 from what the parser
 * salvaged never throws, and no header of it holds a CR or LF (issue 10: a bare CR in a copied
 * header threw here). It may lack what was missing (a partial copy, RFC 4475 insuf).
 */
function assertAnswerable(r: ReturnType<typeof parseMessage>): void {
  if (r.ok || !r.canAnswer400) return;
  const resp = buildErrorResponse(r.canAnswer400, r.canAnswer400.status, r.reason);
  for (const h of resp.headers) assert.ok(!/[\r\n]/.test(h.value), `CR/LF in the 400's ${h.name}`);
  serialize(resp);
}

const VALID = tortureNames("valid").map((name) => torture("valid", name));
const SPECIAL = [0, 9, 10, 13, 32, 34, 37, 44, 58, 59, 60, 61, 62, 64, 92, 0x7f, 0xc3, 0xff].map((c) => c);

type Mutation =
  | { kind: "set"; at: number; byte: number }
  | { kind: "insert"; at: number; byte: number }
  | { kind: "delete"; at: number; length: number }
  | { kind: "truncate"; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("set" as const),
    at: fc.nat(),
    byte: fc.oneof(fc.constantFrom(...SPECIAL), fc.integer({ min: 0, max: 255 })),
  }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), byte: fc.constantFrom(...SPECIAL) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
);

function mutate(bytes: Uint8Array, mutations: Mutation[]): Uint8Array {
  let out = Array.from(bytes);
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    if (m.kind === "set") out[at] = m.byte;
    else if (m.kind === "insert") out.splice(at, 0, m.byte);
    else if (m.kind === "delete") out.splice(at, m.length);
    else out = out.slice(0, at);
  }
  return Uint8Array.from(out);
}

describe("parseMessage never throws", () => {
  test("on arbitrary bytes, datagram or stream, nor does the framer", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, stream) => {
        const r = parseMessage(bytes, { stream });
        if (r.ok) assertStable(r.message, { stream });
        assertAnswerable(r);
        new SipStreamFramer({ maxMessageSize: 300 }).push(bytes);
      }),
      { numRuns: 400 },
    );
  });

  test("on arbitrary text made of SIP's special characters", () => {
    const chars = fc.constantFrom(...'SIP/2.0 INVITE sip:@;=,<>"\\\r\n\t:%0aZ?&[]'.split(""));
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 300 }), (parts) => {
        const bytes = new TextEncoder().encode(`INVITE sip:a@b SIP/2.0\r\n${parts.join("")}`);
        const r = parseMessage(bytes);
        if (r.ok) assertStable(r.message);
        assertAnswerable(r);
      }),
      { numRuns: 300 },
    );
  });

  test("on mutated RFC 4475 valid messages (flips, insertions, deletions, truncations)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: VALID.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (index, mutations) => {
          const bytes = mutate(VALID[index], mutations);
          for (const stream of [false, true]) {
            const r = parseMessage(bytes, { stream });
            if (r.ok) assertStable(r.message, { stream });
            assertAnswerable(r);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

// ---- generated valid messages ----

const ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const TOKEN_CHARS = `${ALNUM}-.!%*_+\`'~`;
const str = (alphabet: string, minLength: number, maxLength: number) =>
  fc.array(fc.constantFrom(...alphabet.split("")), { minLength, maxLength }).map((a) => a.join(""));
const token = str(TOKEN_CHARS, 1, 10);
/** Any text without CR/LF, including quotes, backslashes, controls and non-ASCII. */
const anyText = fc
  .array(
    fc.oneof(
      fc.constantFrom(...`${ALNUM} "\\;,:<>@%&=?/[]\t\x00\x07é大😀`.split("")),
      fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    ),
    { maxLength: 12 },
  )
  .map((a) => a.join(""));
const label = str("abcdefghijklmnopqrstuvwxyz0123456789", 1, 8);
const host = fc.oneof(
  fc.array(label, { minLength: 1, maxLength: 3 }).map((l) => l.join(".")),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join(".")),
  fc.constantFrom("::1", "2001:db8::7", "fe80::1:2:3"),
);
const uriParam: fc.Arbitrary<Param> = fc.record({
  name: anyText.filter((s) => s.length > 0),
  value: fc.option(anyText, { nil: null }),
});
const uri: fc.Arbitrary<Uri> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("sip" as const),
      scheme: fc.constantFrom("sip" as const, "sips" as const),
      user: fc.option(
        anyText.filter((s) => s.length > 0),
        { nil: undefined },
      ),
      password: fc.constant(undefined),
      host,
      port: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
      params: fc.array(uriParam, { maxLength: 3 }),
      headers: fc.array(fc.record({ name: anyText.filter((s) => s.length > 0), value: anyText }), { maxLength: 2 }),
    }),
  },
  fc.record({
    kind: fc.constant("tel" as const),
    number: str("0123456789+-.", 1, 12),
    params: fc.array(uriParam, { maxLength: 2 }),
  }),
);
const headerParam: fc.Arbitrary<Param> = fc.record({
  name: token,
  value: fc.option(fc.oneof(token, anyText.map(quote)), { nil: null }),
});
const nameAddr = fc
  .record({ displayName: fc.option(anyText, { nil: undefined }), uri, params: fc.array(headerParam, { maxLength: 3 }) })
  .map((na) => ({ ...na, uri: na.uri.kind === "sip" ? { ...na.uri, headers: [] } : na.uri }))
  .map((na) => formatNameAddr(na));
const via = fc
  .record({
    transport: fc.constantFrom("UDP", "TCP", "TLS", "WS"),
    host,
    port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    branch: token,
    rport: fc.boolean(),
  })
  .map((v) =>
    formatVia({
      ...v,
      params: [{ name: "branch", value: `z9hG4bK${v.branch}` }, ...(v.rport ? [{ name: "rport", value: null }] : [])],
    }),
  );
const extraHeader = fc.oneof(
  fc.tuple(
    token.map((t) => `X-${t}`),
    anyText,
  ),
  fc.tuple(
    fc.constantFrom("Allow", "Supported", "k", "Require"),
    fc.array(token, { minLength: 1, maxLength: 4 }).map((a) => a.join(", ")),
  ),
  fc.tuple(
    fc.constantFrom("Route", "Record-Route", "Contact", "m"),
    fc.array(nameAddr, { minLength: 1, maxLength: 3 }).map((a) => a.join(", ")),
  ),
  fc.tuple(
    fc.constantFrom("WWW-Authenticate", "Authorization"),
    fc.constant('Digest realm="a,b", nonce="x", qop="auth,auth-int"'),
  ),
  fc.tuple(fc.constantFrom("Subject", "s", "User-Agent", "Date"), anyText),
);
/** Random case for known names, and their compact forms. */
const spell = (name: string, how: number) =>
  how === 0 ? name : how === 1 ? name.toLowerCase() : how === 2 ? name.toUpperCase() : name;

const generated = fc
  .record({
    request: fc.boolean(),
    method: fc.oneof(fc.constantFrom("INVITE", "REGISTER", "OPTIONS", "MESSAGE", "NOTIFY"), token),
    ruri: uri,
    status: fc.integer({ min: 100, max: 699 }),
    reason: anyText.map((s) =>
      s
        .split("")
        .filter((c) => c === "\t" || (c >= " " && c !== "\x7f"))
        .join(""),
    ),
    vias: fc.array(via, { minLength: 1, maxLength: 3 }),
    from: nameAddr,
    to: nameAddr,
    callId: str(`${ALNUM}-.!%*_+\`'~()<>:\\"/[]?{}@`, 1, 20),
    seq: fc.integer({ min: 0, max: 0xffffffff }),
    maxForwards: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
    extra: fc.array(extraHeader, { maxLength: 5 }),
    body: fc.uint8Array({ maxLength: 64 }),
    spelling: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 12, maxLength: 12 }),
    compact: fc.boolean(),
    fold: fc.array(fc.nat(), { maxLength: 3 }),
  })
  .map((g) => {
    const ruri = g.ruri.kind === "sip" ? { ...g.ruri, headers: [] } : g.ruri;
    const method = g.request ? g.method : "INVITE";
    const lines = [g.request ? `${method} ${formatUri(ruri)} SIP/2.0` : `SIP/2.0 ${g.status} ${g.reason}`];
    const fields: Array<[string, string]> = [
      ...g.vias.map((v): [string, string] => [g.compact ? "v" : "Via", v]),
      [g.compact ? "f" : "From", g.from],
      [g.compact ? "t" : "To", g.to],
      [g.compact ? "i" : "Call-ID", g.callId],
      ["CSeq", `${g.seq} ${method}`],
      ...(g.maxForwards === undefined ? [] : [["Max-Forwards", String(g.maxForwards)] as [string, string]]),
      ...g.extra,
      [g.compact ? "l" : "Content-Length", String(g.body.length)],
    ];
    fields.forEach(([name, value], i) => {
      let line = `${spell(name, g.spelling[i % 12])}: ${value}`;
      // Fold at some spaces of the value (never inside the name); the tab keeps folds apart.
      for (const f of g.fold) {
        const colon = line.indexOf(":");
        const spaces = line
          .slice(colon + 2)
          .split("")
          .flatMap((c, j) => (c === " " ? [colon + 2 + j] : []));
        if (spaces.length > 0) {
          const at = spaces[f % spaces.length];
          line = `${line.slice(0, at)}\r\n\t${line.slice(at + 1)}`;
        }
      }
      lines.push(line);
    });
    const head = new TextEncoder().encode(`${lines.join("\r\n")}\r\n\r\n`);
    const bytes = new Uint8Array(head.length + g.body.length);
    bytes.set(head);
    bytes.set(g.body, head.length);
    return bytes;
  });

describe("generated valid messages", () => {
  test("parse, and parse ∘ serialize is stable", () => {
    fc.assert(
      fc.property(generated, (bytes) => {
        const r = parseMessage(bytes, { stream: true });
        assert.ok(r.ok, r.ok ? "" : `${r.reason}\n${new TextDecoder().decode(bytes)}`);
        assertStable(r.message, { stream: true });
      }),
      { numRuns: 250 },
    );
  });

  test("the framer cuts any chunking of a stream of them into the same messages", () => {
    fc.assert(
      fc.property(
        fc.array(generated, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (messages, cuts) => {
          const total = messages.reduce((n, m) => n + m.length, 0);
          const stream = new Uint8Array(total);
          let at = 0;
          for (const m of messages) {
            stream.set(m, at);
            at += m.length;
          }
          const points = [...new Set(cuts.map((c) => c % (total + 1)))].sort((a, b) => a - b);
          const framer = new SipStreamFramer();
          const out: Uint8Array[] = [];
          let from = 0;
          for (const p of [...points, total]) {
            for (const e of framer.push(stream.subarray(from, p))) {
              assert.equal(e.kind, "message");
              if (e.kind === "message") out.push(e.bytes);
            }
            from = p;
          }
          assert.deepEqual(out, messages);
        },
      ),
      { numRuns: 100 },
    );
  });
});
