import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sanitizeNumber } from "../../../src/sim/voispeed/phonebook.ts";
import { outcome, startSim, value, values } from "./helpers.ts";

function form(contacts: unknown, extra: Record<string, string> = {}): FormData {
  const f = new FormData();
  f.append("contacts", typeof contacts === "string" ? contacts : JSON.stringify(contacts));
  for (const [k, v] of Object.entries(extra)) f.append(k, v);
  return f;
}

const guest = (ext: string, name: string, surname: string) => ({
  name,
  surname,
  numoffice: ext,
  uc_app_name: "bellhop",
  uc_external_id: `room-${ext}`,
});

describe("VOIspeed simulator: phonebook", () => {
  test("sanitised numbers keep digits and one leading +", () => {
    assert.equal(sanitizeNumber("+39 (0733) 123-123"), "+390733123123");
    assert.equal(sanitizeNumber("tel. 0733/12 +3"), "0733123");
    assert.equal(sanitizeNumber("++39"), "+39");
  });

  test("phonebook_import_sync: multipart field contacts, upsert by uc_app_name + uc_external_id", async () => {
    const { sim, post } = await startSim();
    const first = await post(
      { service: "phonebook_import_sync" },
      form([guest("101", "Élise", "Dupont"), guest("102", "Ann", "Lee")]),
    );
    assert.equal(first.status, 200);
    assert.equal(outcome(first.text), "0");
    assert.deepEqual(
      ["processed", "skipped", "warnings", "errors"].map((t) => value(first.text, t)),
      ["2", "0", "0", "0"],
    );
    assert.equal(value(first.text, "contacts"), undefined, "basic result without the report");
    // The same key again updates (another app's contact with the same external id is a different one).
    const second = await post(
      { service: "phonebook_import_sync", verbose_output: "1" },
      form([guest("101", "Marc", "Dupont"), { ...guest("101", "Other", "App"), uc_app_name: "crm" }]),
    );
    assert.deepEqual(values(second.text, "act"), ["update", "insert"]);
    assert.deepEqual(values(second.text, "uc_external_id"), ["room-101", "room-101"]);
    const ids = values(second.text, "id");
    assert.equal(sim.contacts().length, 3);
    const room101 = sim.phonebook.find("bellhop", "room-101");
    assert.equal(room101?.name, "Marc");
    assert.equal(String(room101?.contactId), ids[0]);
    assert.equal(sim.phonebook.find("crm", "room-101")?.name, "Other");
    assert.equal(sim.requests[1].contacts, 2);
    assert.equal(sim.requests[1].params.verbose_output, "1");
  });

  test("verbose_output in the form, skipped and warned contacts with their reasons", async () => {
    const { sim, post } = await startSim();
    const r = await post(
      { service: "phonebook_import_sync" },
      form(
        [
          { ...guest("103", "Bo", "Kim"), numoffice: "+39 0733-103", ext_info: [{ caption: "VIP", value: "gold" }] },
          { name: "No key" },
          "not a contact",
          { uc_app_name: "bellhop", uc_external_id: "x" },
          { ...guest("104", "Al", "Ng"), colour: "red" },
        ],
        { verbose_output: "1" },
      ),
    );
    assert.deepEqual(
      ["processed", "skipped", "warnings", "errors"].map((t) => value(r.text, t)),
      ["2", "3", "2", "0"],
    );
    assert.deepEqual(values(r.text, "act"), ["insert", "skip", "skip", "skip", "insert"]);
    assert.match(values(r.text, "info")[0], /numoffice sanitised/);
    assert.match(values(r.text, "info")[4], /unknown field colour/);
    const c = sim.phonebook.find("bellhop", "room-103");
    assert.equal(c?.numoffice, "+390733103");
    assert.deepEqual(JSON.parse(c?.ext_info ?? ""), [{ caption: "VIP", value: "gold" }]);
  });

  test("refusals: GET, a non-multipart body, no contacts field, bad JSON, not an array, token in the form only", async () => {
    const { get, post, url } = await startSim();
    assert.equal(outcome((await get({ service: "phonebook_import_sync" })).text), "1");
    const json = await fetch(url({ service: "phonebook_import_sync" }), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ contacts: [] }),
    });
    assert.equal(outcome(await json.text()), "1");
    const urlenc = await fetch(url({ service: "phonebook_import_sync" }), {
      method: "POST",
      body: new URLSearchParams({ contacts: "[]" }),
    });
    assert.equal(outcome(await urlenc.text()), "1");
    const noField = new FormData();
    noField.append("other", "x");
    assert.equal(outcome((await post({ service: "phonebook_import_sync" }, noField)).text), "1");
    assert.equal(outcome((await post({ service: "phonebook_import_sync" }, form("[{"))).text), "1");
    assert.equal(outcome((await post({ service: "phonebook_import_sync" }, form({ a: 1 }))).text), "1");
    const inForm = await fetch(url({ service: "phonebook_import_sync" }).replace("token=sim-token&", ""), {
      method: "POST",
      body: form([], { token: "sim-token" }),
    });
    assert.equal(outcome(await inForm.text()), "1");
  });

  test("delete_phonebook by app_name + external_contact_id or contact_id; a missing contact is outcome 1", async () => {
    const { sim, get, post } = await startSim();
    await post({ service: "phonebook_import_sync" }, form([guest("101", "A", "B"), guest("102", "C", "D")]));
    const del = await get({ service: "delete_phonebook", app_name: "bellhop", external_contact_id: "room-101" });
    assert.equal(outcome(del.text), "0");
    assert.equal(sim.phonebook.find("bellhop", "room-101"), undefined);
    const again = await get({ service: "delete_phonebook", app_name: "bellhop", external_contact_id: "room-101" });
    assert.deepEqual([outcome(again.text), value(again.text, "error")], ["1", "contact not found"]);
    // The sync's field names are not delete's.
    assert.equal(
      outcome((await get({ service: "delete_phonebook", uc_app_name: "bellhop", uc_external_id: "room-102" })).text),
      "1",
    );
    const id = sim.phonebook.find("bellhop", "room-102")?.contactId;
    assert.equal(outcome((await get({ service: "delete_phonebook", contact_id: String(id) })).text), "0");
    assert.equal(sim.contacts().length, 0);
  });

  test("add_phonebook → contact_id, update_phonebook, get_phonebook search over names and numbers (no id shown)", async () => {
    const { get, post } = await startSim();
    await post({ service: "phonebook_import_sync" }, form([guest("101", "Élise", "Dupont")]));
    const add = await get({ service: "add_phonebook", name: "Taxi", company: "Radio Taxi", mobile: "+39 333 1234567" });
    const id = value(add.text, "contact_id");
    assert.match(id ?? "", /^\d+$/);
    assert.equal(outcome((await get({ service: "add_phonebook", email: "x@y" })).text), "1");
    assert.equal(
      outcome((await get({ service: "update_phonebook", contact_id: String(id), is_favourite: "1" })).text),
      "0",
    );
    assert.equal(outcome((await get({ service: "update_phonebook", contact_id: "999999" })).text), "1");
    const all = await get({ service: "get_phonebook" });
    assert.deepEqual(values(all.text, "name"), ["Élise", "Taxi"]);
    const byNumber = await get({ service: "get_phonebook", search: "1234567" });
    assert.deepEqual(values(byNumber.text, "mobile"), ["+393331234567"]);
    assert.deepEqual(values(byNumber.text, "is_favourite"), ["1"]);
    assert.deepEqual(values((await get({ service: "get_phonebook", search: "dupont" })).text, "office"), ["101"]);
    assert.doesNotMatch(all.text, /<id>|contact_id/);
  });

  test("the phonebook names the parties of call reports", async () => {
    const { sim, get, post } = await startSim();
    await post({ service: "phonebook_import_sync" }, form([guest("101", "Élise", "Dupont")]));
    await sim.placeCall("101", "102");
    const r = await get({ service: "get_user_call_report", ext: "102" });
    assert.deepEqual([value(r.text, "remote_name"), value(r.text, "remote_surname")], ["Élise", "Dupont"]);
    assert.deepEqual([value(r.text, "name"), value(r.text, "surname")], ["Room", "102"]);
  });
});
