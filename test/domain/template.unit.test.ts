import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { renderTemplate, templateVariables } from "../../src/domain/template.ts";

const DEFAULT = "${vip} ${first} ${last} ${extension}";

describe("renderTemplate", () => {
  test("the default name template with every variable set", () => {
    assert.equal(
      renderTemplate(DEFAULT, { vip: "V3", first: "Ann", last: "Smith", extension: "2101" }),
      "V3 Ann Smith 2101",
    );
  });

  test("empty variables leave no double or edge spaces", () => {
    assert.equal(renderTemplate(DEFAULT, { vip: "", first: "", last: "Smith", extension: "101" }), "Smith 101");
    assert.equal(renderTemplate(DEFAULT, { vip: "", first: "Ann", last: "", extension: "" }), "Ann");
    assert.equal(renderTemplate(DEFAULT, {}), "");
  });

  test("null and undefined values render empty, numbers render as text", () => {
    assert.equal(renderTemplate("${a}-${b}-${c}", { a: null, b: undefined, c: 0 }), "--0");
  });

  test("an unknown variable renders empty", () => {
    assert.equal(renderTemplate("Room ${nope} ${room}", { room: "101" }), "Room 101");
  });

  test("spaces inside the braces are ignored", () => {
    assert.equal(renderTemplate("${ room }", { room: "101" }), "101");
  });

  test("an unterminated ${ is kept as text", () => {
    assert.equal(renderTemplate("Room ${room", { room: "101" }), "Room ${room");
    assert.equal(renderTemplate("${room} ${", { room: "101" }), "101 ${");
  });

  test("text without variables is kept, literal $ and } too", () => {
    assert.equal(renderTemplate("Vacant", {}), "Vacant");
    assert.equal(renderTemplate("$5 } room", {}), "$5 } room");
  });

  test("the extension template", () => {
    assert.equal(renderTemplate("2${room}", { room: "101" }), "2101");
    assert.equal(renderTemplate("${room}", { room: "0101" }), "0101");
  });

  test("lists the variables a name template may use", () => {
    assert.deepEqual([...templateVariables].sort(), [
      "arrival",
      "departure",
      "extension",
      "first",
      "group",
      "language",
      "last",
      "mailbox",
      "room",
      "title",
      "vip",
    ]);
  });
});
