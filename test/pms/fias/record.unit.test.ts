import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Charset, charsets, encode } from "../../../src/lib/charset.ts";
import {
  type FiasRecord,
  formatRecord,
  parseRecord,
  recordFromText,
  serializeRecord,
} from "../../../src/pms/fias/record.ts";

const latin = (s: string) => encode(s, "latin1");

function parsed(text: string, charset: Charset = "latin1"): FiasRecord {
  const r = parseRecord(encode(text, charset), charset);
  if (!r.ok) assert.fail(`expected ${text} to parse: ${r.reason}`);
  return r.record;
}

function failure(bytes: Uint8Array): string {
  const r = parseRecord(bytes);
  if (r.ok) assert.fail(`expected a parse failure, got ${formatRecord(r.record)}`);
  return r.reason;
}

describe("parseRecord", () => {
  test("reads the record ID and fields", () => {
    assert.deepEqual(parsed("GI|RN101|G#42|GNSmith|"), {
      type: "GI",
      fields: { RN: "101", "G#": "42", GN: "Smith" },
    });
  });

  test("field order is free", () => {
    const a = parsed("GO|RN2781|G#12345|GSN|");
    const b = parsed("GO|GSN|G#12345|RN2781|");
    assert.deepEqual(a.fields, b.fields);
  });

  test("empty values and empty fields", () => {
    const r = parsed("GI|RN101|GN|SF||");
    assert.deepEqual(r.fields, { RN: "101", GN: "", SF: "" });
  });

  test("a record with no fields, with or without the separator", () => {
    assert.deepEqual(parsed("LS|"), { type: "LS", fields: {} });
    assert.deepEqual(parsed("LA"), { type: "LA", fields: {} });
  });

  test("field IDs with # and $", () => {
    const r = parsed("XL|G#42|$J7|P#1729|MTCall home|");
    assert.deepEqual(r.fields, { "G#": "42", $J: "7", "P#": "1729", MT: "Call home" });
  });

  test("leading zeros of a room number are kept", () => {
    assert.equal(parsed("GI|RN0101|").fields.RN, "0101");
  });

  test("the first of a repeated field wins", () => {
    assert.equal(parsed("RE|RN1|MLY|MLN|").fields.ML, "Y");
  });

  test("a missing final separator is tolerated", () => {
    assert.deepEqual(parsed("GO|RN101|GSN").fields, { RN: "101", GS: "N" });
  });

  for (const cs of charsets) {
    test(`${cs}: Müller round-trips`, () => {
      const rec: FiasRecord = { type: "GI", fields: { RN: "101", GN: "Müller", GF: "Zoë" } };
      const bytes = serializeRecord(rec, cs);
      const back = parseRecord(bytes, cs);
      assert.ok(back.ok);
      assert.deepEqual(back.record, rec);
    });
  }

  test("charsets put ü on the wire as their own bytes", () => {
    const rec: FiasRecord = { type: "GI", fields: { GN: "Müller" } };
    const u = (cs: Charset) => [...serializeRecord(rec, cs)].slice(5, 7);
    assert.deepEqual(u("latin1"), [0x4d, 0xfc]);
    assert.deepEqual(u("cp850"), [0x4d, 0x81]);
    assert.deepEqual(u("utf8"), [0x4d, 0xc3]);
  });

  test("a cp850 byte read as cp850 is not the latin1 character", () => {
    const bytes = Uint8Array.of(...latin("GI|GNM"), 0x81, ...latin("ller|"));
    const r = parseRecord(bytes, "cp850");
    assert.ok(r.ok);
    assert.equal(r.record.fields.GN, "Müller");
  });

  test("rejects a bad record ID", () => {
    assert.match(failure(latin("G!|RN1|")), /record ID/);
    assert.match(failure(latin("|RN1|")), /record ID/);
  });

  test("rejects a record ID not followed by a separator", () => {
    assert.match(failure(latin("GIRN101|")), /not followed/);
  });

  test("rejects records shorter than an ID", () => {
    assert.match(failure(new Uint8Array(0)), /shorter/);
    assert.match(failure(latin("G")), /shorter/);
  });

  test("trims CR, LF, NUL and spaces around the record (a PMS ending every record with CR LF)", () => {
    const r = parseRecord(latin("GI|RN101|G#42|GNRossi|\r\n"));
    assert.ok(r.ok);
    assert.deepEqual(r.record, { type: "GI", fields: { RN: "101", "G#": "42", GN: "Rossi" } });
    const padded = parseRecord(latin("\r\nLS|DA260101|TI120000|\x00\x00  "));
    assert.ok(padded.ok);
    assert.deepEqual(padded.record.fields, { DA: "260101", TI: "120000" });
    const noBar = parseRecord(latin("RE|RN101|DNY\r\n"));
    assert.ok(noBar.ok);
    assert.equal(noBar.record.fields.DN, "Y");
  });

  test("rejects control bytes", () => {
    assert.match(failure(latin("GI|RN1\x0d01|")), /control byte/);
    assert.match(failure(latin("GI|GN\x7f|")), /control byte/);
  });

  test("rejects a 1-character field", () => {
    assert.match(failure(latin("GI|RN101|X|")), /shorter/);
  });

  test("rejects a field ID with a space", () => {
    assert.match(failure(latin("GI| N101|")), /invalid field ID/);
  });
});

describe("serializeRecord", () => {
  test("writes fields in insertion order with a trailing separator", () => {
    const bytes = serializeRecord({ type: "WA", fields: { RN: "101", DA: "260101", TI: "070000", AS: "OK" } });
    assert.equal(new TextDecoder().decode(bytes), "WA|RN101|DA260101|TI070000|ASOK|");
  });

  test("strips | and control characters from values", () => {
    const bytes = serializeRecord({ type: "XL", fields: { RN: "101", MT: "a|b\r\nc\x7fd" } });
    assert.equal(new TextDecoder().decode(bytes), "XL|RN101|MTabcd|");
  });

  test("a record without fields", () => {
    assert.equal(new TextDecoder().decode(serializeRecord({ type: "DR", fields: {} })), "DR|");
  });

  test("characters a charset lacks become ?", () => {
    const bytes = serializeRecord({ type: "GI", fields: { GN: "李" } }, "cp850");
    assert.equal(new TextDecoder().decode(bytes), "GI|GN?|");
  });
});

describe("text form", () => {
  test("recordFromText and formatRecord are inverse", () => {
    const text = "GC|RN9327|G#12345|GNGuest, Mr.|RO2781|GSY|";
    assert.equal(formatRecord(recordFromText(text)), text);
  });

  test("recordFromText rejects malformed text", () => {
    assert.throws(() => recordFromText("G"), /invalid FIAS record/);
  });
});
