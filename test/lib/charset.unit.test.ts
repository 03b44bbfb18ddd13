// Record-level round-trips (Müller in every charset, ü's bytes, "?" for 李 in cp850) live in
// test/pms/fias/record.unit.test.ts; this file covers the tables themselves.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Charset, charsets, decode, encode } from "../../src/lib/charset.ts";

const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);

describe("charset tables", () => {
  for (const cs of ["latin1", "cp850", "cp1252"] as Charset[]) {
    test(`${cs}: every byte decodes to one character and encodes back to itself`, () => {
      const text = decode(allBytes, cs);
      assert.equal(text.length, 256);
      assert.deepEqual(encode(text, cs), allBytes);
    });

    test(`${cs}: ASCII is ASCII`, () => {
      assert.equal(decode(encode("GI|RN101|GNSmith|", cs), cs), "GI|RN101|GNSmith|");
      assert.deepEqual([...encode("A|z", cs)], [0x41, 0x7c, 0x7a]);
    });
  }

  test("cp850 and cp1252 characters at known positions", () => {
    assert.equal(decode(Uint8Array.of(0x80, 0x9a, 0xe1, 0xff), "cp850"), "ÇÜß\u00a0");
    assert.equal(decode(Uint8Array.of(0x80, 0x8a, 0x99, 0xe9), "cp1252"), "€Š™é");
    assert.deepEqual([...encode("€", "cp1252")], [0x80]);
    assert.deepEqual([...encode("é", "cp850")], [0x82]);
  });

  test("cp1252's undefined slots map to themselves", () => {
    for (const b of [0x81, 0x8d, 0x8f, 0x90, 0x9d]) {
      assert.equal(decode(Uint8Array.of(b), "cp1252"), String.fromCharCode(b));
    }
  });

  test("characters a single-byte charset lacks become ?", () => {
    assert.deepEqual([...encode("€", "latin1")], [0x3f]);
    assert.deepEqual([...encode("€", "cp850")], [0x3f]);
    assert.deepEqual([...encode("李", "cp1252")], [0x3f]);
  });

  test("utf8 is multi-byte", () => {
    assert.deepEqual([...encode("é€", "utf8")], [0xc3, 0xa9, 0xe2, 0x82, 0xac]);
    assert.equal(decode(Uint8Array.of(0xc3, 0xa9, 0xe2, 0x82, 0xac), "utf8"), "é€");
  });

  test("latin1 decodes short values byte by byte", () => {
    assert.equal(decode(Uint8Array.of(0x4d, 0xfc, 0x6c), "latin1"), "Mül");
    assert.equal(decode(new Uint8Array(0), "latin1"), "");
  });

  test("latin1 decodes records longer than its 4096-byte chunks", () => {
    const text = `GI|GN${"ü".repeat(10_000)}|`;
    const bytes = encode(text, "latin1");
    assert.equal(bytes.length, text.length);
    assert.equal(decode(bytes, "latin1"), text);
  });

  test("lists the supported charsets", () => {
    assert.deepEqual([...charsets], ["latin1", "utf8", "cp850", "cp1252"]);
  });
});
