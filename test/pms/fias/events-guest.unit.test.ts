import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { guestPatchFromFields, isSalutation, parseYesNo } from "../../../src/pms/fias/events-guest.ts";
import { recordFromText } from "../../../src/pms/fias/record.ts";

const fields = (text: string) => recordFromText(text).fields;
const patch = (text: string, splitGuestName = true) => guestPatchFromFields(fields(text), { splitGuestName });

describe("parseYesNo", () => {
  test("Y/N, 1/0, T/F, YES/NO, TRUE/FALSE in any case, spaces around", () => {
    for (const v of ["Y", "y", "1", "T", "t", "YES", "yes", "TRUE", "True", " Y ", " 1"]) {
      assert.equal(parseYesNo(v, "DN"), true, v);
    }
    for (const v of ["N", "n", "0", "F", "f", "NO", "no", "FALSE", "false", " N "]) {
      assert.equal(parseYesNo(v, "DN"), false, v);
    }
  });

  test("absent or empty carries no value", () => {
    assert.equal(parseYesNo(undefined, "DN"), undefined);
    assert.equal(parseYesNo("", "DN"), undefined);
    assert.equal(parseYesNo("  ", "DN"), undefined);
  });

  test("anything else is an error naming the field and the value", () => {
    for (const v of ["X", "2", "YN", "on", "-1"]) {
      assert.throws(() => parseYesNo(v, "ML"), {
        message: `ML ${JSON.stringify(v)} is not a yes/no value (Y/N, 1/0 or T/F)`,
      });
    }
  });
});

describe("guestPatchFromFields", () => {
  test("GS: Y/1/T share, N/0/F and empty do not, anything else is an error", () => {
    assert.equal(patch("GI|RN1|GSY|").sharer, true);
    assert.equal(patch("GI|RN1|GS1|").sharer, true);
    assert.equal(patch("GI|RN1|GSt|").sharer, true);
    assert.equal(patch("GI|RN1|GSN|").sharer, false);
    assert.equal(patch("GI|RN1|GS0|").sharer, false);
    assert.equal(patch("GI|RN1|GS|").sharer, false);
    assert.equal(patch("GI|RN1|").sharer, undefined, "absent: unchanged");
    assert.throws(() => patch("GI|RN1|GSX|"), /GS "X"/);
  });

  test("GV: empty, 0 and N are stored as no VIP; a level is kept", () => {
    assert.equal(patch("GI|RN1|GVN|").vip, "");
    assert.equal(patch("GI|RN1|GVn|").vip, "");
    assert.equal(patch("GI|RN1|GV0|").vip, "");
    assert.equal(patch("GI|RN1|GV|").vip, "");
    assert.equal(patch("GI|RN1|GV 2 |").vip, "2");
    assert.equal(patch("GI|RN1|GVGOLD|").vip, "GOLD");
    assert.equal(patch("GI|RN1|").vip, undefined);
  });

  test('"Last, First" without GF is split at the first comma', () => {
    const p = patch("GI|RN1|GNDupont, Élise|");
    assert.equal(p.lastName, "Dupont");
    assert.equal(p.firstName, "Élise");
    assert.equal(p.fullName, "Élise Dupont");
    assert.equal(p.title, undefined);
    const q = patch("GI|RN1|GN  Rossi ,  Anna Maria , jr |");
    assert.equal(q.lastName, "Rossi");
    assert.equal(q.firstName, "Anna Maria , jr");
  });

  test('"Guest, Mr." (Oracle\'s example): the salutation is the title, not the first name', () => {
    const p = patch("GI|RN2781|G#12345|GNGuest, Mr.|GLEA|GV3|");
    assert.equal(p.lastName, "Guest");
    assert.equal(p.title, "Mr.");
    assert.equal(p.firstName, "");
    assert.equal(p.fullName, "Guest");
    for (const s of ["Mrs", "ms.", "DR.", "Herr", "frau", "Sig.", "Sig.ra", "Mme", "M.", "Mlle", "Sr.", "Sra."]) {
      const r = patch(`GI|RN1|GNX, ${s}|`);
      assert.deepEqual([r.title, r.firstName], [s, ""], s);
    }
  });

  test("GT in the same record wins over the salutation", () => {
    const p = patch("GI|RN1|GNGuest, Mr.|GTDr.|");
    assert.equal(p.title, "Dr.");
    assert.equal(p.firstName, "");
    assert.equal(p.lastName, "Guest");
  });

  test("GF present: GN is the last name as sent; an empty GF does not stop the split", () => {
    const p = patch("GI|RN1|GNRossi, Mario|GFMario|");
    assert.equal(p.lastName, "Rossi, Mario");
    assert.equal(p.firstName, "Mario");
    const q = patch("GI|RN1|GNRossi, Mario|GF|");
    assert.equal(q.lastName, "Rossi");
    assert.equal(q.firstName, "Mario");
    const r = patch("GI|RN1|GNRossi|GF|");
    assert.equal(r.firstName, "", "an empty GF still clears the first name");
  });

  test("no comma, a leading comma, or the split switched off: GN is the last name", () => {
    assert.deepEqual([patch("GI|RN1|GNSmith|").lastName, patch("GI|RN1|GNSmith|").firstName], ["Smith", undefined]);
    assert.equal(patch("GI|RN1|GN, Anna|").lastName, ", Anna");
    const off = patch("GI|RN1|GNDupont, Élise|", false);
    assert.equal(off.lastName, "Dupont, Élise");
    assert.equal(off.fullName, "Dupont, Élise");
    assert.equal(off.firstName, undefined);
  });

  test("isSalutation: a short list, with or without the dot, any case", () => {
    assert.ok(isSalutation("MR"));
    assert.ok(isSalutation(" mrs. "));
    assert.ok(!isSalutation("Mario"));
    assert.ok(!isSalutation(""));
    assert.ok(!isSalutation("Mr. Mario"));
  });
});
