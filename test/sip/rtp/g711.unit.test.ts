import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ALAW_SILENCE,
  alawToLinear,
  alawToUlaw,
  decodeAlaw,
  decodeUlaw,
  encodeAlaw,
  encodeUlaw,
  linearToAlaw,
  linearToUlaw,
  ULAW_SILENCE,
  ulawToAlaw,
  ulawToLinear,
} from "../../../src/sip/rtp/g711.ts";

const allCodes = Uint8Array.from({ length: 256 }, (_, i) => i);
const allSamples = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);

describe("G.711 μ-law", () => {
  test("known values", () => {
    assert.equal(encodeUlaw(0), 0xff);
    assert.equal(ULAW_SILENCE, 0xff);
    assert.equal(encodeUlaw(32767), 0x80);
    assert.equal(encodeUlaw(-32768), 0x00);
    assert.equal(encodeUlaw(-32767), 0x00);
    assert.equal(encodeUlaw(100_000), 0x80, "clamped");
    assert.equal(decodeUlaw(0xff), 0);
    assert.equal(decodeUlaw(0x7f), 0);
    assert.equal(decodeUlaw(0x80), 32124);
    assert.equal(decodeUlaw(0x00), -32124);
    assert.equal(decodeUlaw(0xfe), 8);
    assert.equal(decodeUlaw(0x7e), -8);
    assert.deepEqual([...linearToUlaw(Int16Array.of(0, 32767, -32768))], [0xff, 0x80, 0x00]);
  });

  test("every code survives decode then encode (but negative zero becomes zero)", () => {
    const back = linearToUlaw(ulawToLinear(allCodes));
    for (let c = 0; c < 256; c++) assert.equal(back[c], c === 0x7f ? 0xff : c, `code ${c}`);
  });

  test("decode is monotonic in magnitude within each sign", () => {
    for (let c = 0x81; c <= 0xff; c++) assert.ok(decodeUlaw(c) < decodeUlaw(c - 1), `code ${c}`);
    for (let c = 0x01; c <= 0x7f; c++) assert.ok(decodeUlaw(c) > decodeUlaw(c - 1), `code ${c}`);
  });

  test("encode then decode stays within the quantisation error for every 16-bit sample", () => {
    const decoded = ulawToLinear(linearToUlaw(allSamples));
    for (let i = 0; i < allSamples.length; i++) {
      const x = allSamples[i];
      const err = Math.abs(decoded[i] - x);
      assert.ok(err <= Math.max(16, Math.abs(x) / 16), `sample ${x} → ${decoded[i]}`);
      assert.ok(Math.sign(decoded[i]) === Math.sign(x) || decoded[i] === 0 || Math.abs(x) < 8, `sign of ${x}`);
    }
  });
});

describe("G.711 A-law", () => {
  test("known values", () => {
    assert.equal(encodeAlaw(0), 0xd5);
    assert.equal(ALAW_SILENCE, 0xd5);
    assert.equal(encodeAlaw(32767), 0xaa);
    assert.equal(encodeAlaw(-32768), 0x2a);
    assert.equal(encodeAlaw(-100_000), 0x2a, "clamped");
    assert.equal(decodeAlaw(0xd5), 8);
    assert.equal(decodeAlaw(0x55), -8);
    assert.equal(decodeAlaw(0xaa), 32256);
    assert.equal(decodeAlaw(0x2a), -32256);
    assert.deepEqual([...linearToAlaw(Int16Array.of(0, 32767, -32768))], [0xd5, 0xaa, 0x2a]);
  });

  test("every code survives decode then encode", () => {
    assert.deepEqual([...linearToAlaw(alawToLinear(allCodes))], [...allCodes]);
  });

  test("encode then decode stays within the quantisation error for every 16-bit sample", () => {
    const decoded = alawToLinear(linearToAlaw(allSamples));
    for (let i = 0; i < allSamples.length; i++) {
      const x = allSamples[i];
      assert.ok(Math.abs(decoded[i] - x) <= Math.max(16, Math.abs(x) / 16), `sample ${x} → ${decoded[i]}`);
    }
  });
});

describe("μ-law ↔ A-law", () => {
  test("each μ-law code maps to the A-law code of its linear value, and back", () => {
    const a = ulawToAlaw(allCodes);
    const u = alawToUlaw(allCodes);
    for (let c = 0; c < 256; c++) {
      assert.equal(a[c], encodeAlaw(decodeUlaw(c)), `μ ${c}`);
      assert.equal(u[c], encodeUlaw(decodeAlaw(c)), `A ${c}`);
      const lu = decodeUlaw(c);
      assert.ok(Math.abs(decodeAlaw(a[c]) - lu) <= Math.max(16, Math.abs(lu) / 16), `μ ${c} via A-law`);
      const la = decodeAlaw(c);
      assert.ok(Math.abs(decodeUlaw(u[c]) - la) <= Math.max(16, Math.abs(la) / 16), `A ${c} via μ-law`);
    }
    assert.equal(a[0xff], 0xd5, "silence stays silence");
    assert.equal(decodeUlaw(u[0xd5]), 8, "A-law's smallest level (+8) has an exact μ-law code");
  });

  test("transcoding keeps the sign and the order of levels", () => {
    const a = ulawToAlaw(allCodes);
    for (let c = 1; c < 256; c++) {
      if (c === 0x80) continue;
      const prev = decodeAlaw(a[c - 1]);
      const cur = decodeAlaw(a[c]);
      if (c < 0x80) assert.ok(cur >= prev, `μ ${c}`);
      else assert.ok(cur <= prev, `μ ${c}`);
    }
  });

  test("μ-law → A-law → μ-law returns to a neighbouring code at most", () => {
    const back = alawToUlaw(ulawToAlaw(allCodes));
    for (let c = 0; c < 256; c++) {
      const before = decodeUlaw(c);
      const after = decodeUlaw(back[c]);
      assert.ok(Math.abs(after - before) <= Math.max(32, Math.abs(before) / 8), `μ ${c}: ${before} → ${after}`);
    }
  });
});
