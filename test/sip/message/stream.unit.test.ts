import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseMessage, SipStreamFramer, type StreamEvent } from "../../../src/sip/message/index.ts";
import { crlf, text } from "./fixtures.ts";

const head = (method: string, n: number, extra: string[]) => [
  `${method} sip:101@pbx SIP/2.0`,
  `Via: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK${n}`,
  "From: <sip:desk@pbx>;tag=1",
  "To: <sip:101@pbx>",
  `Call-ID: s${n}`,
  `CSeq: ${n} ${method}`,
  ...extra,
];
const M1 = crlf([...head("OPTIONS", 1, ["Content-Length: 0"]), "", ""]);
const M2 = crlf([...head("MESSAGE", 2, ["l: 14", "Content-Type: text/plain"]), "", "hello\r\n\r\nworld"]);
const M3 = crlf([...head("INVITE", 3, ["Subject: folded", "  value", "content-length  :", " 4"]), "", "\r\n\r\n"]);
const STREAM = concat(M1, M2, M3);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Messages as text, other events as "!kind" / "!error reason". */
function summary(events: StreamEvent[]): string[] {
  return events.map((e) =>
    e.kind === "message" ? new TextDecoder().decode(e.bytes) : e.kind === "error" ? `!error ${e.reason}` : `!${e.kind}`,
  );
}
const decoded = [M1, M2, M3].map((m) => new TextDecoder().decode(m));

describe("SipStreamFramer", () => {
  test("three coalesced messages in one read", () => {
    assert.deepEqual(summary(new SipStreamFramer().push(STREAM)), decoded);
  });

  test("every split point of a three-message stream", () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const framer = new SipStreamFramer();
      const events = [...framer.push(STREAM.subarray(0, cut)), ...framer.push(STREAM.subarray(cut))];
      assert.deepEqual(summary(events), decoded, `cut at ${cut}`);
      assert.equal(framer.buffered, 0);
    }
  });

  test("every pair of split points, and one byte at a time", () => {
    for (let a = 0; a <= STREAM.length; a += 3) {
      for (let b = a; b <= STREAM.length; b += 5) {
        const framer = new SipStreamFramer();
        const events = [
          ...framer.push(STREAM.subarray(0, a)),
          ...framer.push(STREAM.subarray(a, b)),
          ...framer.push(STREAM.subarray(b)),
        ];
        assert.deepEqual(summary(events), decoded, `cuts at ${a}, ${b}`);
      }
    }
    const framer = new SipStreamFramer();
    const events: StreamEvent[] = [];
    for (let i = 0; i < STREAM.length; i++) events.push(...framer.push(STREAM.subarray(i, i + 1)));
    assert.deepEqual(summary(events), decoded);
  });

  test("the framed messages parse as stream messages", () => {
    for (const e of new SipStreamFramer().push(STREAM)) {
      assert.equal(e.kind, "message");
      if (e.kind !== "message") continue;
      const r = parseMessage(e.bytes, { stream: true });
      assert.ok(r.ok, r.ok ? "" : r.reason);
    }
  });

  test("CRLFCRLF ping is a keepalive, a lone CRLF is a pong", () => {
    assert.deepEqual(summary(new SipStreamFramer().push(text("\r\n\r\n"))), ["!keepalive"]);
    assert.deepEqual(summary(new SipStreamFramer().push(text("\r\n"))), ["!pong"]);
    assert.deepEqual(summary(new SipStreamFramer().push(concat(text("\r\n\r\n"), M1))), ["!keepalive", decoded[0]]);
    assert.deepEqual(summary(new SipStreamFramer().push(concat(text("\r\n"), M1))), ["!pong", decoded[0]]);
    assert.deepEqual(summary(new SipStreamFramer().push(concat(M1, text("\r\n\r\n\r\n\r\n")))), [
      decoded[0],
      "!keepalive",
      "!keepalive",
    ]);
    // A ping split between reads: reported as pong at once, then the keepalive when it completes.
    const framer = new SipStreamFramer();
    assert.deepEqual(summary(framer.push(text("\r\n"))), ["!pong"]);
    assert.deepEqual(summary(framer.push(text("\r\n"))), ["!keepalive"]);
    assert.deepEqual(summary(framer.push(text("\r"))), []);
    assert.deepEqual(summary(framer.push(text("\n"))), ["!pong"]);
    assert.deepEqual(summary(framer.push(M1)), [decoded[0]]);
  });

  test("after our own ping, pongs in separate reads are pongs, never a ping of the peer's (RFC 5626 flows)", () => {
    const framer = new SipStreamFramer();
    for (let i = 0; i < 3; i++) {
      framer.expectPong();
      assert.deepEqual(summary(framer.push(text("\r\n"))), ["!pong"], `pong ${i + 1}`);
    }
    framer.expectPong();
    assert.deepEqual(summary(framer.push(text("\r"))), []);
    assert.deepEqual(summary(framer.push(text("\n"))), ["!pong"], "a pong split between reads");
    framer.expectPong();
    assert.deepEqual(summary(framer.push(concat(text("\r\n"), M1))), ["!pong", decoded[0]]);
    // Nothing expected: back to reading a split ping of the peer's.
    assert.deepEqual(summary(framer.push(text("\r\n"))), ["!pong"]);
    assert.deepEqual(summary(framer.push(text("\r\n"))), ["!keepalive"]);
  });

  test("a message without Content-Length is a framing error; the stream is dead afterwards", () => {
    const framer = new SipStreamFramer();
    const noLength = crlf([...head("OPTIONS", 9, []), "", ""]);
    assert.deepEqual(summary(framer.push(concat(M1, noLength, M2))), [decoded[0], "!error missing Content-Length"]);
    assert.equal(framer.failed, true);
    assert.deepEqual(framer.push(M2), []);
  });

  test("invalid and duplicate Content-Length values", () => {
    for (const [line, reason] of [
      ["Content-Length: -5", "invalid Content-Length"],
      ["Content-Length: 5x", "invalid Content-Length"],
      ["Content-Length: 1 2", "invalid Content-Length"],
      ["Content-Length:", "invalid Content-Length"],
      ["Content-Length: 99999999999", "invalid Content-Length"],
    ]) {
      const events = new SipStreamFramer().push(crlf([...head("OPTIONS", 9, [line]), "", ""]));
      assert.deepEqual(summary(events), [`!error ${reason}`], line);
    }
    const twice = crlf([...head("OPTIONS", 9, ["l: 0", "Content-Length: 0"]), "", ""]);
    assert.deepEqual(summary(new SipStreamFramer().push(twice)), ["!error more than one Content-Length header field"]);
  });

  test("oversized message: by Content-Length, or a header section that never ends", () => {
    const framer = new SipStreamFramer({ maxMessageSize: 1000 });
    assert.deepEqual(summary(framer.push(crlf([...head("MESSAGE", 1, ["Content-Length: 2000"]), "", ""]))), [
      "!error message too large (limit 1000 bytes)",
    ]);
    const endless = new SipStreamFramer({ maxMessageSize: 1000 });
    const events: StreamEvent[] = [];
    const line = text("X-Filler: 0123456789012345678901234567890123456789\r\n");
    events.push(...endless.push(text("OPTIONS sip:a@b SIP/2.0\r\n")));
    for (let i = 0; i < 30 && events.length === 0; i++) events.push(...endless.push(line));
    assert.deepEqual(summary(events), ["!error message too large (limit 1000 bytes)"]);
    assert.ok(endless.failed);
  });

  test("too many header fields", () => {
    const many = Array.from({ length: 100 }, (_, i) => `X-${i}: ${i}`);
    const events = new SipStreamFramer().push(crlf([...head("OPTIONS", 1, ["Content-Length: 0", ...many]), "", ""]));
    assert.deepEqual(summary(events), ["!error too many header fields (limit 100)"]);
    const fine = new SipStreamFramer({ maxHeaders: 200 }).push(
      crlf([...head("OPTIONS", 1, ["Content-Length: 0", ...many]), "", ""]),
    );
    assert.equal(fine[0].kind, "message");
  });

  test("the emitted bytes are copies: reusing the read buffer does not change them", () => {
    const buf = STREAM.slice();
    const events = new SipStreamFramer().push(buf);
    buf.fill(0);
    assert.deepEqual(summary(events), decoded);
  });
});
