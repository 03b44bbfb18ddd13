import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { extensionFor, nameVariables, roomDisplayName } from "../../src/domain/names.ts";
import { emptyGuest, newRoom, type Room } from "../../src/domain/room.ts";
import { renderTemplate, templateVariables } from "../../src/domain/template.ts";

const templates = { nameTemplate: "${vip} ${first} ${last} ${extension}", vacantNameTemplate: "Vacant ${extension}" };

function occupiedRoom(): Room {
  return {
    ...newRoom("101", "2101"),
    occupied: true,
    guests: [
      {
        ...emptyGuest("42"),
        title: "Mr.",
        firstName: "John",
        lastName: "Smith",
        fullName: "Smith, John",
        vip: "V3",
        language: "IT",
        group: "GRP1",
        arrival: "2026-11-20",
        departure: "2026-11-25",
      },
      { ...emptyGuest("43"), sharer: true, firstName: "Jane", lastName: "Doe" },
    ],
  };
}

describe("nameVariables", () => {
  test("every template variable comes from the room and its primary guest", () => {
    const vars = nameVariables(occupiedRoom());
    assert.deepEqual(vars, {
      room: "101",
      extension: "2101",
      mailbox: "2101",
      title: "Mr.",
      first: "John",
      last: "Smith",
      vip: "V3",
      language: "IT",
      group: "GRP1",
      arrival: "2026-11-20",
      departure: "2026-11-25",
    });
    assert.deepEqual(Object.keys(vars).sort(), [...templateVariables].sort());
  });

  test("all variables render through a template", () => {
    const t = templateVariables.map((v) => `${v}=\${${v}}`).join(" ");
    assert.equal(
      renderTemplate(t, nameVariables(occupiedRoom())),
      "room=101 extension=2101 mailbox=2101 title=Mr. first=John last=Smith vip=V3 language=IT group=GRP1 " +
        "arrival=2026-11-20 departure=2026-11-25",
    );
  });

  test("last falls back to the full PMS name when no last name is known", () => {
    const r = occupiedRoom();
    r.guests[0] = { ...r.guests[0], lastName: "" };
    assert.equal(nameVariables(r).last, "Smith, John");
  });

  test("a vacant room has only room, extension and mailbox", () => {
    const vars = nameVariables(newRoom("101", "2101"));
    assert.equal(vars.room, "101");
    assert.equal(vars.mailbox, "2101");
    assert.equal(vars.first, "");
    assert.equal(vars.arrival, "");
  });
});

describe("roomDisplayName", () => {
  test("an occupied room shows the primary guest", () => {
    assert.equal(roomDisplayName(occupiedRoom(), templates), "V3 John Smith 2101");
  });

  test("a guest without VIP or first name collapses spaces", () => {
    const r = occupiedRoom();
    r.guests[0] = { ...r.guests[0], vip: "", firstName: "" };
    assert.equal(roomDisplayName(r, templates), "Smith 2101");
  });

  test("GV N (stored before it meant no VIP) or 0 shows no VIP in the name", () => {
    const r = occupiedRoom();
    r.guests[0] = { ...r.guests[0], vip: "N" };
    assert.equal(roomDisplayName(r, templates), "John Smith 2101");
    r.guests[0] = { ...r.guests[0], vip: "0" };
    assert.equal(roomDisplayName(r, { ...templates, vipLabels: { "0": "X" } }), "John Smith 2101");
  });

  test("${vip} renders the configured label of the level; an unlisted level shows as itself", () => {
    const r = occupiedRoom();
    r.guests[0] = { ...r.guests[0], vip: "1" };
    assert.equal(roomDisplayName(r, { ...templates, vipLabels: { "1": "VIP" } }), "VIP John Smith 2101");
    assert.equal(roomDisplayName(r, { ...templates, vipLabels: { "2": "VVIP" } }), "1 John Smith 2101");
    assert.equal(nameVariables(r, { "1": "VIP" }).vip, "VIP");
  });

  test("a vacant room uses the vacant template", () => {
    assert.equal(roomDisplayName(newRoom("101", "2101"), templates), "Vacant 2101");
  });
});

describe("extensionFor", () => {
  test("renders the extension template with the room number", () => {
    assert.equal(extensionFor("101", "2${room}"), "2101");
    assert.equal(extensionFor("0101", "${room}"), "0101");
  });
});
