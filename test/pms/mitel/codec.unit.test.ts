import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ACK, ENQ, ETX, MitelReader, NAK, STX, showBytes, wrapMessage } from "../../../src/pms/mitel/codec.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (b: Uint8Array) => String.fromCharCode(...b);

function kinds(r: MitelReader, chunk: Uint8Array): string[] {
  return r
    .push(chunk)
    .map((e) => (e.kind === "frame" ? `F:${text(e.bytes)}` : e.kind === "error" ? `E:${e.reason}:${e.size}` : e.kind));
}

describe("Mitel byte scanner", () => {
  test("link bytes and a frame, as in the worked exchange", () => {
    const r = new MitelReader();
    const wire = Uint8Array.of(ENQ, ...wrapMessage(bytes("CHK1   101")), ACK, NAK);
    assert.deepEqual(kinds(r, wire), ["enq", "F:CHK1   101", "ack", "nak"]);
  });

  test("a frame split across reads, byte by byte", () => {
    const r = new MitelReader();
    const out: string[] = [];
    for (const b of wrapMessage(bytes("MW 1   101"))) out.push(...kinds(r, Uint8Array.of(b)));
    assert.deepEqual(out, ["F:MW 1   101"]);
    assert.equal(r.pending, 0);
  });

  test("ACK/NAK-valued bytes inside a frame are data, not link bytes", () => {
    const r = new MitelReader();
    assert.deepEqual(kinds(r, Uint8Array.of(STX, 0x41, ACK, NAK, 0x42, ETX)), [`F:A${"\x06\x15"}B`]);
  });

  test("garbage outside frames is reported as one run; fillers are skipped", () => {
    const r = new MitelReader();
    assert.deepEqual(kinds(r, bytes("xyz\r\n  ")), ["E:garbage:3"]);
    assert.deepEqual(kinds(r, Uint8Array.of(0x0d, 0x0a, STX, 0x41, ETX)), ["F:A"]);
  });

  test("a new STX abandons the partial frame", () => {
    const r = new MitelReader();
    assert.deepEqual(kinds(r, Uint8Array.of(STX, 0x41, 0x42, STX, 0x43, ETX)), ["E:abandoned:3", "F:C"]);
  });

  test("an oversized frame is rejected whole, never buffered past the limit", () => {
    const r = new MitelReader(8);
    const big = new Uint8Array(100).fill(0x41);
    assert.deepEqual(kinds(r, Uint8Array.of(STX, ...big, ETX)), ["E:oversized:102"]);
    assert.deepEqual(kinds(r, wrapMessage(bytes("END"))), ["F:END"]);
  });

  test("abandon() drops a stalled frame", () => {
    const r = new MitelReader();
    r.push(Uint8Array.of(STX, 0x41));
    assert.equal(r.pending, 2);
    assert.equal(r.abandon()?.kind, "error");
    assert.equal(r.pending, 0);
    assert.equal(r.abandon(), undefined);
  });

  test("showBytes shows control bytes", () => {
    assert.equal(showBytes(wrapMessage(bytes("GRS"))), "<02>GRS<03>");
  });
});
