/**
 * The FIAS adapter of the PMS event model: every record type the appliance applies → events, and
 * every outgoing action → the FIAS text the outbox stores.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PmsAction, PmsEvent } from "../../../src/domain/pms-events.ts";
import { parseWakeupDayKey, parseWakeupTimeKey, wakeupDayKey, wakeupTimeKey } from "../../../src/domain/pms-events.ts";
import { encode } from "../../../src/lib/charset.ts";
import { fiasAdapter, fiasRecordToEvents } from "../../../src/pms/fias/events.ts";
import { renderAction } from "../../../src/pms/fias/outgoing.ts";
import { recordFromText } from "../../../src/pms/fias/record.ts";

function events(text: string, splitGuestName = true): PmsEvent[] {
  return fiasRecordToEvents(recordFromText(text), { splitGuestName });
}

function one(text: string, splitGuestName = true): PmsEvent {
  const evs = events(text, splitGuestName);
  assert.equal(evs.length, 1, text);
  return evs[0] as PmsEvent;
}

function rejects(text: string, message: RegExp): void {
  assert.throws(
    () => events(text),
    (err: Error & { code?: string }) => {
      assert.match(err.message, message);
      return true;
    },
  );
}

describe("FIAS record → PMS events", () => {
  test("GI: check-in with every guest field, protocol-neutral", () => {
    assert.deepEqual(one("GI|RN101|G#42|GNRossi|GFMario|GTSig.|GLIT|GV2|GGTOUR|GSN|GA260301|GD260305|CS2|"), {
      kind: "check-in",
      via: "GI",
      room: "101",
      guest: {
        reservation: "42",
        lastName: "Rossi",
        fullName: "Rossi",
        firstName: "Mario",
        title: "Sig.",
        language: "IT",
        vip: "2",
        group: "TOUR",
        sharer: false,
        arrival: "2026-03-01",
        departure: "2026-03-05",
      },
      classOfService: 2,
      resync: false,
    });
  });

  test("GI with SF is a resync check-in; only the sent fields are there", () => {
    const ev = one("GI|RN101|G#42|SF|");
    assert.equal(ev.kind, "check-in");
    if (ev.kind !== "check-in") return;
    assert.equal(ev.resync, true);
    assert.deepEqual(ev.guest, { reservation: "42" });
    assert.equal(ev.classOfService, undefined);
  });

  test('GN "Last, First" is split unless the option says not to', () => {
    const split = one("GI|RN101|GNRossi, Mario|");
    const whole = one("GI|RN101|GNRossi, Mario|", false);
    assert.ok(split.kind === "check-in" && whole.kind === "check-in");
    if (split.kind !== "check-in" || whole.kind !== "check-in") return;
    assert.equal(split.guest.lastName, "Rossi");
    assert.equal(split.guest.firstName, "Mario");
    assert.equal(split.guest.fullName, "Mario Rossi");
    assert.equal(whole.guest.lastName, "Rossi, Mario");
    assert.equal(whole.guest.firstName, undefined);
  });

  test("VIP 0/N is no VIP; sharer yes/no as Y/N, 1/0, T/F", () => {
    const a = one("GI|RN101|GVN|GS1|");
    const b = one("GI|RN101|GV0|GST|");
    assert.ok(a.kind === "check-in" && b.kind === "check-in");
    if (a.kind !== "check-in" || b.kind !== "check-in") return;
    assert.equal(a.guest.vip, "");
    assert.equal(b.guest.vip, "");
    assert.equal(a.guest.sharer, true);
    assert.equal(b.guest.sharer, true);
  });

  test("GO: check-out with or without a reservation", () => {
    assert.deepEqual(one("GO|RN101|G#42|"), {
      kind: "check-out",
      via: "GO",
      room: "101",
      reservation: "42",
      resync: false,
    });
    assert.deepEqual(one("GO|RN101|"), {
      kind: "check-out",
      via: "GO",
      room: "101",
      reservation: undefined,
      resync: false,
    });
  });

  test("GC: guest change, and a room move with RO", () => {
    assert.deepEqual(one("GC|RN102|G#42|GNBianchi|"), {
      kind: "guest-change",
      via: "GC",
      room: "102",
      fromRoom: undefined,
      guest: { reservation: "42", lastName: "Bianchi", fullName: "Bianchi" },
      classOfService: undefined,
      resync: false,
    });
    const move = one("GC|RN102|RO101|G#42|CS1|");
    assert.equal(move.kind, "guest-change");
    if (move.kind !== "guest-change") return;
    assert.equal(move.fromRoom, "101");
    assert.equal(move.classOfService, 1);
  });

  test("RE: DND, lamp, class of service and housekeeping in one room-status event", () => {
    assert.deepEqual(one("RE|RN101|DNY|MLN|CS0|RS3|IDM7|"), {
      kind: "room-status",
      via: "RE",
      room: "101",
      dnd: true,
      messageWaiting: false,
      classOfService: 0,
      housekeeping: { status: 3, maid: "M7" },
    });
    assert.deepEqual(one("RE|RN101|ML1|"), { kind: "room-status", via: "RE", room: "101", messageWaiting: true });
    assert.deepEqual(one("RE|RN101|DN|"), { kind: "room-status", via: "RE", room: "101" });
  });

  test("WR: with DA, and a time of day alone", () => {
    assert.deepEqual(one("WR|RN101|DA260301|TI0700|"), {
      kind: "wakeup-set",
      via: "WR",
      room: "101",
      date: { year: 2026, month: 3, day: 1 },
      time: { hour: 7, minute: 0, second: 0, withSeconds: false },
    });
    assert.deepEqual(one("WR|RN101|TI063015|"), {
      kind: "wakeup-set",
      via: "WR",
      room: "101",
      date: undefined,
      time: { hour: 6, minute: 30, second: 15, withSeconds: true },
    });
  });

  test("WC: one, a day's, a time of day's, all", () => {
    const time = { hour: 7, minute: 0, second: 0, withSeconds: false };
    const date = { year: 2026, month: 3, day: 1 };
    assert.deepEqual(one("WC|RN101|DA260301|TI0700|"), { kind: "wakeup-cancel", via: "WC", room: "101", date, time });
    assert.deepEqual(one("WC|RN101|DA260301|"), { kind: "wakeup-cancel", via: "WC", room: "101", date });
    assert.deepEqual(one("WC|RN101|TI0700|"), { kind: "wakeup-cancel", via: "WC", room: "101", time });
    assert.deepEqual(one("WC|RN101|"), { kind: "wakeup-cancel", via: "WC", room: "101" });
  });

  test("XL / XD: messages, the room by RN or by reservation alone", () => {
    assert.deepEqual(one("XL|RN101|G#42|MI7|MTCall the desk|"), {
      kind: "message-waiting",
      via: "XL",
      room: "101",
      reservation: "42",
      messageId: "7",
      text: "Call the desk",
    });
    assert.deepEqual(one("XD|G#42|MI7|"), {
      kind: "message-deleted",
      via: "XD",
      room: undefined,
      reservation: "42",
      messageId: "7",
    });
  });

  test("DS / DE: resync start and end; NS / NE: night audit", () => {
    assert.deepEqual(one("DS|DA260301|TI0100|"), { kind: "resync-start", via: "DS" });
    assert.deepEqual(one("DE|DA260301|TI0105|"), { kind: "resync-end", via: "DE" });
    assert.deepEqual(one("NS|"), { kind: "night-audit", via: "NS", running: true });
    assert.deepEqual(one("NE|"), { kind: "night-audit", via: "NE", running: false });
  });

  test("records the appliance cannot apply say why", () => {
    rejects("GI|G#42|", /GI without a room number \(RN\)/);
    rejects("GC|RN102|RO1 01|", /RO/);
    rejects("RE|RN101|DNmaybe|", /DN "maybe" is not a yes\/no value/);
    rejects("RE|RN101|RSx|", /RS "x" is not a status code/);
    rejects("GI|RN101|CS7|", /class of service "7" is not 0..3/);
    rejects("WR|RN101|DA260301|", /WR without a time \(TI\)/);
    rejects("WR|RN101|TI2500|", /not a time HHMM or HHMMSS/);
    rejects("WR|RN101|DA261301|TI0700|", /WR with invalid DA\/TI/);
    rejects("WC|RN101|DAxx|", /WC with invalid DA/);
    rejects("PS|RN101|P#1|TA100|", /record type PS is not handled by a PBX interface/);
  });
});

describe("PA → posting-answer", () => {
  test("OK is accepted, with P# and room", () => {
    assert.deepEqual(one("PA|RN101|ASOK|P#42|DA250301|TI101500|"), {
      kind: "posting-answer",
      via: "PA",
      status: "accepted",
      code: "OK",
      text: "",
      sequence: 42,
      room: "101",
    });
  });
  test("refusals keep the PMS's code and text", () => {
    for (const code of ["NG", "NP", "UR", "DN", "CO", "IA", "FX", "DM", "ZZ", ""]) {
      const ev = one(`PA|RN101|AS${code}|P#5|CTINVALID ROOM|`);
      assert.equal(ev.kind === "posting-answer" && ev.status, "rejected", code);
      assert.equal(ev.kind === "posting-answer" && ev.text, "INVALID ROOM");
      assert.equal(ev.kind === "posting-answer" && ev.code, code);
    }
  });
  test("RY, NA and BY mean send it again later; codes in any case", () => {
    for (const code of ["RY", "NA", "BY", "ry"]) {
      const ev = one(`PA|AS${code}|P#5|`);
      assert.equal(ev.kind === "posting-answer" && ev.status, "retry", code);
    }
  });
  test("without P# it answers the posting in flight; a P# that is no number is refused", () => {
    const ev = one("PA|ASOK|");
    assert.equal(ev.kind === "posting-answer" && ev.sequence, undefined);
    rejects("PA|ASOK|P#4x|", /P# "4x": not a posting sequence number/);
    rejects("PA|RN$1|ASOK|P#4|", /not a room number/);
  });
});

describe("the FIAS adapter", () => {
  test("parses a stored frame again, names its type, maps and prints it", () => {
    const a = fiasAdapter({ charset: "latin1", splitGuestName: true });
    const parsed = a.parse(encode("GI|RN101|G#42|GNRossi|\r\n", "latin1"));
    assert.ok(parsed.ok);
    if (!parsed.ok) return;
    assert.equal(a.typeOf(parsed.frame), "GI");
    assert.equal(a.toEvents(parsed.frame)[0]?.kind, "check-in");
    assert.equal(a.parse(encode("G", "latin1")).ok, false);
    assert.equal(typeof a.printable(encode("GO|RN101|", "latin1")), "string");
  });
});

describe("PMS actions → FIAS records", () => {
  const at = { year: 2025, month: 3, day: 1, hour: 10, minute: 15, second: 0 };
  const cases: [PmsAction, string, string][] = [
    [
      {
        kind: "wakeup-result",
        room: "101",
        date: { year: 2026, month: 3, day: 1 },
        time: { hour: 7, minute: 0, second: 0, withSeconds: false },
        status: "OK",
      },
      "WA",
      "WA|RN101|DA260301|TI0700|ASOK|",
    ],
    [
      {
        kind: "wakeup-result",
        room: "101",
        date: { year: 2026, month: 12, day: 31 },
        time: { hour: 6, minute: 30, second: 15, withSeconds: true },
        status: "NR",
      },
      "WA",
      "WA|RN101|DA261231|TI063015|ASNR|",
    ],
    [{ kind: "housekeeping", room: "101", status: 3, maid: "M7" }, "RE", "RE|RN101|RS3|IDM7|"],
    [{ kind: "housekeeping", room: "101", status: 1 }, "RE", "RE|RN101|RS1|"],
    [{ kind: "voicemail-count", room: "101", unread: 1, read: 3 }, "RE", "RE|RN101|VM0103|"],
    [{ kind: "voicemail-count", room: "101", unread: 120, read: 0 }, "RE", "RE|RN101|VM9900|"],
    [{ kind: "message-retrieved", room: "101", reservation: "42", messageId: "7" }, "XD", "XD|RN101|G#42|MI7|"],
    [
      { kind: "resync-request", at: { year: 2026, month: 3, day: 1, hour: 9, minute: 5, second: 0 } },
      "DR",
      "DR|DA260301|TI090500|",
    ],
    // FIAS postings are room-based: the reservation stays with the row, never in the PS.
    [
      {
        kind: "posting",
        room: "101",
        reservation: "42",
        sequence: 12,
        charge: "charge",
        at,
        amount: 1250,
        text: "Room service",
      },
      "PS",
      "PS|RN101|PTC|TA1250|CTRoom service|DA250301|TI101500|P#12|",
    ],
    [
      { kind: "posting", room: "101", sequence: 13, charge: "call", at, pulses: 8 },
      "PS",
      "PS|RN101|PTT|MP8|DA250301|TI101500|P#13|",
    ],
    [
      {
        kind: "posting",
        room: "2781",
        sequence: 1731,
        charge: "call",
        at,
        durationSeconds: 225,
        dialled: "+39 051 123",
        callType: "N",
      },
      "PS",
      "PS|RN2781|PTT|DU000345|DD0039051123|PCN|DA250301|TI101500|P#1731|",
    ],
    [
      {
        kind: "posting",
        room: "101",
        sequence: 42,
        charge: "call",
        at,
        amount: 1250,
        dialled: "004989920920",
        callType: "I",
        text: "International",
      },
      "PS",
      "PS|RN101|PTC|TA1250|DD004989920920|PCI|CTInternational|DA250301|TI101500|P#42|",
    ],
    [
      { kind: "posting", room: "101", sequence: 7, charge: "minibar", at, article: "12", quantity: 2 },
      "PS",
      "PS|RN101|PTM|MA12|M#2|DA250301|TI101500|P#7|",
    ],
    // A minibar with a price is a direct charge; the text is cut to the 20 characters FIAS keeps.
    [
      {
        kind: "posting",
        room: "101",
        sequence: 8,
        charge: "minibar",
        at,
        article: "12",
        quantity: 2,
        amount: 900,
        text: "Minibar | 2 x water and more",
      },
      "PS",
      "PS|RN101|PTC|TA900|CTMinibar   2 x water|DA250301|TI101500|P#8|",
    ],
  ];
  for (const [action, type, text] of cases) {
    test(`${action.kind} → ${text}`, () => {
      assert.deepEqual(renderAction(action), { type, text });
    });
  }
});

describe("wake-up keys (the wake-up row's day and time of day)", () => {
  test("round-trip what a PMS sends", () => {
    for (const d of ["260301", "991231", "000101"])
      assert.equal(wakeupDayKey(parseWakeupDayKey(d) ?? assert.fail(d)), d);
    for (const t of ["0700", "070000", "235959", "0000"])
      assert.equal(wakeupTimeKey(parseWakeupTimeKey(t) ?? assert.fail(t)), t);
    for (const bad of ["2603", "261301", "26030x"]) assert.equal(parseWakeupDayKey(bad), undefined, bad);
    for (const bad of ["700", "2400", "0760", "07a0"]) assert.equal(parseWakeupTimeKey(bad), undefined, bad);
  });
});
