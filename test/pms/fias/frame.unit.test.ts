import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { encode } from "../../../src/lib/charset.ts";
import {
  crlfFraming,
  ETX,
  type FrameEvent,
  FrameReader,
  framingOf,
  LineFrameReader,
  MAX_RECORD_LENGTH,
  STX,
  showBytes,
  wrapFrame,
} from "../../../src/pms/fias/frame.ts";

const latin = (s: string) => encode(s, "latin1");
const frame = (s: string) => wrapFrame(latin(s));

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Frames as text, errors as "!reason". */
function summary(events: FrameEvent[]): string[] {
  return events.map((e) => (e.kind === "frame" ? showBytes(e.bytes) : `!${e.reason}`));
}

const THREE = ["LS|DA260101|TI120000|", "GI|RN101|G#42|GNMüller|", "LA|"];

describe("FrameReader", () => {
  test("reads a 3-frame stream split at every byte boundary", () => {
    const stream = concat(...THREE.map(frame));
    const expected = THREE.map((t) => showBytes(latin(t)));
    for (let cut = 0; cut <= stream.length; cut++) {
      const r = new FrameReader();
      const got = summary([...r.push(stream.subarray(0, cut)), ...r.push(stream.subarray(cut))]);
      assert.deepEqual(got, expected, `split at ${cut}`);
      assert.equal(r.pending, 0);
    }
  });

  test("reads a stream fed one byte at a time", () => {
    const stream = concat(...THREE.map(frame));
    const r = new FrameReader();
    const got: FrameEvent[] = [];
    for (const b of stream) got.push(...r.push(Uint8Array.of(b)));
    assert.deepEqual(
      summary(got),
      THREE.map((t) => showBytes(latin(t))),
    );
  });

  test("reads coalesced frames from one push", () => {
    const r = new FrameReader();
    const events = r.push(concat(...THREE.map(frame)));
    assert.equal(events.length, 3);
    assert.ok(events.every((e) => e.kind === "frame"));
  });

  test("keeps a partial frame until its ETX arrives", () => {
    const r = new FrameReader();
    assert.deepEqual(r.push(latin("\x02GI|RN1")), []);
    assert.equal(r.pending, 6);
    assert.deepEqual(summary(r.push(latin("01|\x03"))), ["GI|RN101|"]);
  });

  test("reports garbage between frames and still reads the frames around it", () => {
    const r = new FrameReader();
    const events = r.push(concat(frame("LS|"), latin("\r\nxx\x03"), frame("LA|")));
    assert.deepEqual(summary(events), ["LS|", "!garbage", "LA|"]);
    const junk = events[1];
    assert.equal(junk.kind, "error");
    assert.equal(showBytes(junk.bytes), "xx<03>", "line ends before the junk are filler, not garbage");
  });

  test("CR, LF, NUL and spaces between frames are skipped without a report", () => {
    const r = new FrameReader();
    const events = r.push(concat(frame("LS|"), latin("\r\n"), frame("LA|"), latin("\r\n\x00 ")));
    assert.deepEqual(summary(events), ["LS|", "LA|"]);
  });

  test("leading garbage before the first STX is reported", () => {
    const r = new FrameReader();
    assert.deepEqual(summary(r.push(concat(latin("hello"), frame("LS|")))), ["!garbage", "LS|"]);
  });

  test("STX inside a frame drops the partial frame and starts a new one", () => {
    const r = new FrameReader();
    const events = r.push(latin("\x02GI|RN10\x02GO|RN102|\x03"));
    assert.deepEqual(summary(events), ["!unterminated", "GO|RN102|"]);
    assert.equal(showBytes(events[0].bytes), "GI|RN10");
  });

  test("an oversized frame is skipped and the next frame is still read", () => {
    const r = new FrameReader();
    const big = new Uint8Array(MAX_RECORD_LENGTH + 500).fill(0x41);
    const events = r.push(concat(Uint8Array.of(STX), big, Uint8Array.of(ETX), frame("LA|")));
    assert.deepEqual(summary(events).slice(0, 1), ["!oversized"]);
    assert.deepEqual(summary(events).slice(1), ["LA|"]);
  });

  test("a frame of exactly the maximum length is accepted", () => {
    const r = new FrameReader();
    const payload = new Uint8Array(MAX_RECORD_LENGTH).fill(0x41);
    const events = r.push(wrapFrame(payload));
    assert.equal(events.length, 1);
    assert.equal(events[0].kind, "frame");
    assert.equal(events[0].bytes.length, MAX_RECORD_LENGTH);
  });

  test("an oversized frame split over many pushes is skipped", () => {
    const r = new FrameReader();
    const events: FrameEvent[] = [];
    events.push(...r.push(Uint8Array.of(STX)));
    for (let i = 0; i < 30; i++) events.push(...r.push(new Uint8Array(100).fill(0x42)));
    events.push(...r.push(concat(Uint8Array.of(ETX), frame("LS|"))));
    assert.deepEqual(summary(events), ["!oversized", "LS|"]);
  });

  test("an empty frame is returned as an empty payload", () => {
    const r = new FrameReader();
    const events = r.push(concat(Uint8Array.of(STX, ETX), frame("LA|")));
    assert.equal(events.length, 2);
    assert.equal(events[0].kind, "frame");
    assert.equal(events[0].bytes.length, 0);
    assert.deepEqual(summary(events.slice(1)), ["LA|"]);
  });

  test("reset() forgets a partial frame", () => {
    const r = new FrameReader();
    r.push(latin("\x02GI|RN1"));
    r.reset();
    assert.equal(r.pending, 0);
    assert.deepEqual(summary(r.push(frame("LA|"))), ["LA|"]);
  });
});

describe("wrapFrame / showBytes", () => {
  test("wrapFrame adds STX and ETX", () => {
    assert.deepEqual([...wrapFrame(latin("LA|"))], [STX, 0x4c, 0x41, 0x7c, ETX]);
  });

  test("showBytes prints control bytes as <xx> and keeps the rest", () => {
    assert.equal(showBytes(Uint8Array.of(0x02, 0x41, 0x7f, 0x03)), "<02>A<7f><03>");
  });
});

describe("LineFrameReader (crlf framing)", () => {
  test("one record a line, CR LF or bare LF or bare CR, split anywhere", () => {
    const stream = latin("LS|DA260101|TI120000|\r\nGI|RN101|G#42|GNM\u00fcller|\nLA|\r");
    for (let cut = 0; cut <= stream.length; cut++) {
      const r = new LineFrameReader();
      const got = summary([...r.push(stream.subarray(0, cut)), ...r.push(stream.subarray(cut))]);
      assert.deepEqual(
        got,
        THREE.map((t) => showBytes(latin(t))),
        `split at ${cut}`,
      );
      assert.equal(r.pending, 0);
    }
  });

  test("blank lines and a doubled STX…ETX framing are tolerated", () => {
    const r = new LineFrameReader();
    assert.deepEqual(summary(r.push(latin("\r\n\r\n\x02LS|\x03\r\n  LA|\r\n"))), ["LS|", "LA|"]);
  });

  test("a line longer than the limit is reported once and the next line is read", () => {
    const r = new LineFrameReader(10);
    assert.deepEqual(summary(r.push(latin("GI|RN12345678901|\r\nLA|\r\n"))), ["!oversized", "LA|"]);
  });

  test("writes CR LF after the record, no STX/ETX", () => {
    assert.equal(showBytes(crlfFraming.wrap(latin("LA|"))), "LA|<0d><0a>");
    assert.equal(showBytes(framingOf("stx-etx").wrap(latin("LA|"))), "<02>LA|<03>");
    assert.equal(framingOf("crlf"), crlfFraming);
  });
});
