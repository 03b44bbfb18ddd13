import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { encodeMessage, formatMessage, type MitelMessage, parseMessage } from "../../../src/pms/mitel/messages.ts";
import { MITEL_PROFILES, mitelProfile } from "../../../src/pms/mitel/profiles.ts";

const sx = MITEL_PROFILES.sx2000;
const m2 = MITEL_PROFILES.mitel2;
const ps = MITEL_PROFILES.phonesuite;
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function fromPms(text: string, profile = sx) {
  return parseMessage(bytes(text), { profile, charset: "latin1", direction: "from-pms" });
}
function ok(text: string, profile = sx): MitelMessage {
  const r = fromPms(text, profile);
  if (!r.ok) throw new Error(r.reason);
  return r.message;
}
function bad(text: string, profile = sx): string {
  const r = fromPms(text, profile);
  assert.equal(r.ok, false, `${text} should be invalid`);
  return r.ok ? "" : r.reason;
}

describe("Mitel messages, sx2000 (the worked exchange)", () => {
  test("check-in / check-out, room padded either side", () => {
    assert.deepEqual(ok("CHK1   101"), { type: "CHK", room: "101", checkedIn: true });
    assert.deepEqual(ok("CHK0 101  "), { type: "CHK", room: "101", checkedIn: false });
    assert.match(bad("CHK3   101"), /CHK status "3"/);
    assert.match(bad("CHK1      "), /without a room/);
    assert.match(bad("CHK1 1 01 "), /room field/);
  });

  test("name: 31 bytes, SURNAME,FIRST in 21, room in 5", () => {
    const text = "NAM1 SMITH,JOHN             101";
    assert.equal(text.length, 31);
    assert.deepEqual(ok(text), { type: "NAM", room: "101", op: 1, name: { last: "SMITH", first: "JOHN" } });
    assert.deepEqual(ok("NAM2 MADONNA              7001"), {
      type: "NAM",
      room: "7001",
      op: 2,
      name: { last: "MADONNA", first: "" },
    });
    assert.equal((ok("NAM3                        101") as { op: number }).op, 3);
    // Not padded to 21: the last word is the room.
    assert.deepEqual((ok("NAM1 VAN DER BERG,JAN 2001") as { name: unknown }).name, {
      last: "VAN DER BERG",
      first: "JAN",
    });
    assert.match(bad("NAM1                        101"), /without a name/);
    assert.match(bad("NAM0 SMITH,JOHN             101"), /op 0/);
  });

  test("message waiting, DND, RST", () => {
    assert.deepEqual(ok("MW 1   101"), { type: "MW", room: "101", on: true });
    assert.deepEqual(ok("MW 0   101"), { type: "MW", room: "101", on: false });
    assert.deepEqual(ok("DND1   302"), { type: "DND", room: "302", on: true });
    assert.deepEqual(ok("RST2   101"), { type: "RST", room: "101", level: 2 });
    assert.match(bad("RST4   101"), /RST status/);
  });

  test("wake-up set, cancel by blanks or 9999", () => {
    assert.deepEqual(ok("WKP0630  101"), { type: "WKP", room: "101", time: { hour: 6, minute: 30 } });
    assert.deepEqual(ok("WKP      101"), { type: "WKP", room: "101" });
    assert.deepEqual(ok("WKP9999  101"), { type: "WKP", room: "101" });
    assert.match(bad("WKP2460  101"), /WKP time/);
    assert.match(bad("WKP06a0  101"), /WKP time/);
  });

  test("GRS, END, AREYUTHERE; unknown and wrong-direction messages are invalid", () => {
    assert.deepEqual(ok("GRS       "), { type: "GRS" });
    assert.deepEqual(ok("END"), { type: "END" });
    assert.deepEqual(ok("AREYUTHERE"), { type: "AREYUTHERE" });
    assert.match(bad("XYZ1   101"), /unknown message "XYZ1 {3}101"/);
    assert.match(bad("STS2 101  "), /STS is not sent by a PMS/);
    assert.match(bad("RQINZ"), /RQINZ is not sent by a PMS/);
    assert.match(bad("GRSX      "), /unknown/);
    assert.match(bad("CHK1\u0006  101"), /control byte/);
    assert.match(bad(""), /unknown/);
  });

  test("system → PMS: right-padded room, exactly as the worked exchange", () => {
    assert.equal(formatMessage({ type: "STS", room: "101", status: 2 }, sx), "STS2 101  ");
    assert.equal(formatMessage({ type: "MW", room: "101", on: true }, sx), "MW 1 101  ");
    assert.equal(formatMessage({ type: "MR", room: "101", pulses: 12 }, sx), "MR 0012101  ");
    assert.equal(formatMessage({ type: "RQINZ" }, sx), "RQINZ     ");
    for (const t of ["STS2 101  ", "MW 0 101  ", "MR 0012101  ", "RQINZ     "]) {
      assert.ok(parseMessage(bytes(t), { profile: sx, charset: "latin1", direction: "to-pms" }).ok, t);
    }
  });

  test("PMS side (simulator): left-padded room", () => {
    assert.equal(formatMessage({ type: "CHK", room: "101", checkedIn: true }, sx, true), "CHK1   101");
    const nam = formatMessage({ type: "NAM", room: "101", op: 1, name: { last: "SMITH", first: "JOHN" } }, sx, true);
    assert.equal(nam, "NAM1 SMITH,JOHN             101");
    assert.equal(formatMessage({ type: "WKP", room: "101", time: { hour: 6, minute: 30 } }, sx, true), "WKP0630  101");
    assert.equal(formatMessage({ type: "WKP", room: "101" }, sx, true), "WKP      101");
    assert.equal(formatMessage({ type: "GRS" }, sx), "GRS       ");
  });

  test("names are cut to the field, and charsets carry accents", () => {
    const long = { last: "WOLFESCHLEGELSTEINHAUSEN", first: "HUBERT" };
    const t = formatMessage({ type: "NAM", room: "101", op: 1, name: long }, sx, true);
    assert.equal(t.length, 31);
    const enc = encodeMessage(
      { type: "NAM", room: "101", op: 1, name: { last: "MÜLLER", first: "JÜRGEN" } },
      sx,
      "latin1",
      true,
    );
    const back = parseMessage(enc, { profile: sx, charset: "latin1", direction: "from-pms" });
    assert.ok(back.ok && back.message.type === "NAM" && back.message.name.last === "MÜLLER");
  });

  test("a wider room field (3300 with 7-digit extensions)", () => {
    const p = mitelProfile("sx2000", 7);
    assert.equal(formatMessage({ type: "STS", room: "1234567", status: 8 }, p), "STS8 1234567");
    assert.equal(formatMessage({ type: "STS", room: "101", status: 8 }, p), "STS8 101    ");
    assert.deepEqual(ok("CHK1   1234567", p), { type: "CHK", room: "1234567", checkedIn: true });
  });
});

describe("Mitel 2 and PhoneSuite profiles", () => {
  test("Mitel 2: room first, a 40-character name after it; check-in may carry the name", () => {
    assert.deepEqual(ok("NAM2  101 LAST,FIRST", m2), {
      type: "NAM",
      room: "101",
      op: 2,
      name: { last: "LAST", first: "FIRST" },
    });
    assert.equal(
      formatMessage({ type: "NAM", room: "101", op: 2, name: { last: "LAST", first: "FIRST" } }, m2, true),
      "NAM2  101 LAST,FIRST",
    );
    assert.deepEqual(ok("CHK1   101 SMITH,JOHN", m2), {
      type: "CHK",
      room: "101",
      checkedIn: true,
      name: { last: "SMITH", first: "JOHN" },
    });
    assert.deepEqual(ok("CHK1   101", m2), { type: "CHK", room: "101", checkedIn: true });
    assert.equal(
      formatMessage({ type: "CHK", room: "101", checkedIn: true, name: { last: "A", first: "B" } }, m2, true),
      "CHK1   101 A,B",
    );
  });

  test("PhoneSuite: unpadded 3–4 digit rooms after one space", () => {
    assert.equal(formatMessage({ type: "CHK", room: "101", checkedIn: true }, ps, true), "CHK1 101");
    assert.equal(formatMessage({ type: "STS", room: "1012", status: 2 }, ps), "STS2 1012");
    assert.equal(formatMessage({ type: "MW", room: "101", on: true }, ps), "MW 1 101");
    assert.equal(formatMessage({ type: "WKP", room: "101", time: { hour: 7, minute: 5 } }, ps, true), "WKP0705 101");
    assert.equal(formatMessage({ type: "MR", room: "101", pulses: 3 }, ps), "MR 0003 101");
    assert.deepEqual(ok("CHK1 101", ps), { type: "CHK", room: "101", checkedIn: true });
    assert.deepEqual(ok("NAM1 101 VAN DER BERG,JAN", ps), {
      type: "NAM",
      room: "101",
      op: 1,
      name: { last: "VAN DER BERG", first: "JAN" },
    });
    assert.deepEqual(ok("WKP0705 101", ps), { type: "WKP", room: "101", time: { hour: 7, minute: 5 } });
  });
});
