/**
 * SNOM room phones through the API: a phone reporting itself (setup / log-on action URL) gets its
 * room's current state again from the SNOM link; the check-in welcome page the phone's minibrowser
 * fetches (only the room's own phone, in the guest's language); and the link's password in no API
 * answer.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { parseConfig } from "../../src/config/load.ts";
import { PbxJobRunner } from "../../src/jobs/runner.ts";
import { memoryLogger } from "../../src/lib/logger.ts";
import { parseSnomLinkConfig } from "../../src/pbx/snom/config.ts";
import { createSnomDriver, snomCapabilities } from "../../src/pbx/snom/driver.ts";
import { loadRoom } from "../../src/store/rooms.ts";
import { ScriptedPhone } from "../pbx/snom/phone-server.ts";
import { type ApiFixture, withApi } from "./fixture.ts";

const PASSWORD = "Phone-Admin-pw-31";
const SNOM = {
  idleTemplate: "${first} ${last}",
  vacantText: "Room ${room}",
  lockWhenBarred: true,
  welcome: {
    en: { title: "Welcome", text: "Welcome, ${title} ${last}!" },
    de: { title: "Willkommen", text: "Willkommen, ${title} ${last} & Familie" },
  },
  applianceUrl: "http://127.0.0.1:8080",
};

const phones: ScriptedPhone[] = [];
after(async () => {
  await Promise.all(phones.map((p) => p.close()));
});

/** A fixture with a SNOM link (runner and driver over the fixture's store) and one phone at 127.0.0.2. */
function withSnom(
  fn: (
    f: ApiFixture,
    s: { phone: ScriptedPhone; runner: PbxJobRunner; logger: ReturnType<typeof memoryLogger> },
  ) => Promise<void>,
  snom: unknown = SNOM,
) {
  let runner: PbxJobRunner | undefined;
  return withApi(
    async (f) => {
      const logger = memoryLogger();
      f.ctx.snom = parseConfig({ snom }).snom;
      f.ctx.pbxLinks = () => [{ name: "snom", type: "snom", capabilities: snomCapabilities }];
      const phone = new ScriptedPhone();
      phones.push(phone);
      phone.auth = "basic";
      phone.password = PASSWORD;
      const port = await phone.listen("127.0.0.2");
      const driver = createSnomDriver(
        parseSnomLinkConfig({
          type: "snom",
          name: "snom",
          httpPort: port,
          username: "admin",
          password: PASSWORD,
          timeoutSeconds: 1,
        }),
        {
          logger,
          debug: () => true,
          rooms: { room: (n) => f.store.read((db) => loadRoom(db, n)) },
          snom: f.ctx.snom,
        },
      );
      runner = new PbxJobRunner({ store: f.store, clock: f.ctx.clock, logger, pollMs: 1000 }, [
        { name: "snom", type: "snom", retries: 1, intervalSeconds: 30, driver },
      ]);
      await runner.start();
      try {
        await fn(f, { phone, runner, logger });
      } finally {
        await runner.stop();
      }
    },
    {
      links: ["snom"],
      config: { phones: { networks: ["127.0.0.0/8"] } },
      pbxStatus: () => (runner as PbxJobRunner).status(),
    },
  );
}

const event = (f: ApiFixture, vendor: string, ip: string, query: string) =>
  f.app.request(`/api/v1/phone-events/${vendor}?${query}`, {}, { remoteAddress: ip });

describe("SNOM phone back: its room's state again", () => {
  test("a phone learned after the check-in, and again after a reboot, gets name, DND and lock", () =>
    withSnom(async (f, { phone, runner }) => {
      assert.equal(
        (await f.call("PUT", "/api/v1/rooms/101", { as: "installer", body: { extension: "2101" } })).status,
        201,
      );
      const ci = await f.call("POST", "/api/v1/rooms/101/checkin", {
        as: "frontdesk",
        body: { guest: { lastName: "Rossi", firstName: "Anna", reservation: "R1" }, classOfService: 0 },
      });
      assert.equal(ci.status, 200);
      assert.equal((await f.call("PATCH", "/api/v1/rooms/101", { as: "frontdesk", body: { dnd: true } })).status, 200);
      await runner.tick();
      const before = await f.call("GET", "/api/v1/pbx/jobs?link=snom", { as: "installer" });
      assert.ok(
        before.body.jobs
          .filter((j: { op: string }) => j.op !== "voicemail-cleanup")
          .every(
            (j: { state: string; lastError: string }) => j.state === "dead" && /has no known phone/.test(j.lastError),
          ),
      );
      assert.equal(phone.requests.length, 0);

      const r = await event(f, "snom", "127.0.0.2", "mac=000413AABB01&ip=127.0.0.2&user=2101");
      assert.equal(r.status, 200);
      assert.equal(((await r.json()) as { room: string }).room, "101");
      await runner.tick();
      assert.equal(phone.settings.get("user_idle_text1"), "Anna Rossi");
      assert.equal(phone.settings.get("dnd_mode"), "on");
      assert.equal(phone.settings.get("keyboard_lock"), "on", "CS 0, lockWhenBarred");
      assert.equal(phone.minibrowser.length, 0, "no welcome again: the state, not a check-in");

      // The phone reboots with its settings lost, at the same address: reported unchanged, state again.
      phone.settings.clear();
      const again = await event(f, "snom", "127.0.0.2", "mac=000413AABB01&ip=127.0.0.2&user=2101");
      assert.equal(again.status, 200);
      assert.equal(((await again.json()) as { updated: boolean }).updated, false);
      await runner.tick();
      assert.deepEqual(
        [phone.settings.get("user_idle_text1"), phone.settings.get("dnd_mode"), phone.settings.get("keyboard_lock")],
        ["Anna Rossi", "on", "on"],
      );
      const after = await f.call("GET", "/api/v1/pbx/jobs?link=snom&state=done", { as: "installer" });
      assert.deepEqual(
        after.body.jobs.map((j: { op: string }) => j.op),
        ["cos", "dnd", "name", "cos", "dnd", "name"],
        "name, DND, class of service, twice (newest first)",
      );

      // A Yealink event is not the SNOM link's business; a refused claim re-sends nothing.
      const count = phone.requests.length;
      await event(f, "yealink", "127.0.0.2", "mac=000413AABB01&ip=127.0.0.2");
      assert.equal((await event(f, "snom", "127.0.0.9", "mac=000413AABB09&ip=127.0.0.9&user=2101")).status, 409);
      await runner.tick();
      assert.equal(phone.requests.length, count);
    }));

  test("the state of a vacant room: the vacant text, DND off, barred", () =>
    withSnom(async (f, { phone, runner }) => {
      await f.call("PUT", "/api/v1/rooms/102", { as: "installer", body: { extension: "2102" } });
      assert.equal((await event(f, "snom", "127.0.0.2", "mac=000413AABB02&ip=127.0.0.2&user=2102")).status, 200);
      await runner.tick();
      assert.deepEqual(Object.fromEntries(phone.settings), {
        user_idle_text1: "Room 102",
        dnd_mode: "off",
        keyboard_lock: "on",
      });
    }));

  test("the link's password is in no API answer", () =>
    withSnom(async (f, { phone, runner, logger }) => {
      phone.password = "changed-on-the-phone";
      await f.call("PUT", "/api/v1/rooms/101", {
        as: "installer",
        body: { extension: "2101", phone: { address: "127.0.0.2:5060" } },
      });
      await f.call("POST", "/api/v1/rooms/101/checkin", { as: "frontdesk", body: { guest: { lastName: "Rossi" } } });
      await runner.tick();
      const links = await f.call("GET", "/api/v1/pbx/links", { as: "installer" });
      assert.equal(links.status, 200);
      assert.match(JSON.stringify(links.body), /refused the user and password/);
      const jobs = await f.call("GET", "/api/v1/pbx/jobs?link=snom", { as: "admin" });
      const text = JSON.stringify([links.body, jobs.body, logger.lines]);
      assert.ok(!text.includes(PASSWORD));
    }));
});

describe("SNOM welcome page", () => {
  const page = (f: ApiFixture, file: string, from: string) =>
    f.app.request(`/api/v1/snom/welcome/${file}`, {}, { remoteAddress: from });

  test("check-in pushes the page's URL; the room's phone fetches it in the guest's language", () =>
    withSnom(async (f, { phone, runner }) => {
      await f.call("PUT", "/api/v1/rooms/101", {
        as: "installer",
        body: { extension: "2101", phone: { address: "127.0.0.2:5060" } },
      });
      await f.call("POST", "/api/v1/rooms/101/checkin", {
        as: "frontdesk",
        body: { guest: { lastName: "Müller", title: "Herr", language: "GE", reservation: "R1" } },
      });
      await runner.tick();
      assert.deepEqual(phone.minibrowser, ["http://127.0.0.1:8080/api/v1/snom/welcome/101.xml"]);
      const path = new URL(phone.minibrowser[0]).pathname;
      const r = await f.app.request(path, {}, { remoteAddress: "127.0.0.2" });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-type"), "text/xml; charset=utf-8");
      assert.equal(r.headers.get("cache-control"), "no-store");
      assert.equal(
        await r.text(),
        '<?xml version="1.0" encoding="UTF-8"?>\n<SnomIPPhoneText><Title>Willkommen</Title><Text>Willkommen, Herr Müller &amp; Familie</Text>' +
          "<SoftKeyItem><Name>F1</Name><Label>OK</Label><URL>snom://mb_exit</URL></SoftKeyItem></SnomIPPhoneText>\n",
      );

      // Another language falls back to English.
      await f.call("POST", "/api/v1/rooms/101/checkin", {
        as: "frontdesk",
        body: { guest: { lastName: "Müller", title: "M.", language: "FR", reservation: "R1" } },
      });
      const en = await page(f, "101.xml", "127.0.0.2");
      assert.match(await en.text(), /<Title>Welcome<\/Title><Text>Welcome, M\. Müller!<\/Text>/);
    }));

  test("only the room's own phone, only from the phone networks, only for an occupied room", () =>
    withSnom(async (f) => {
      await f.call("PUT", "/api/v1/rooms/101", {
        as: "installer",
        body: { extension: "2101", phone: { address: "127.0.0.2:5060" } },
      });
      await f.call("PUT", "/api/v1/rooms/102", {
        as: "installer",
        body: { extension: "2102", phone: { address: "127.0.0.3:5060" } },
      });
      await f.call("POST", "/api/v1/rooms/101/checkin", { as: "frontdesk", body: { guest: { lastName: "Rossi" } } });
      const status = async (file: string, from: string) => {
        const r = await page(f, file, from);
        return [r.status, ((await r.json()) as { error: { message: string } }).error.message];
      };
      assert.deepEqual(await status("101.xml", "127.0.0.3"), [
        403,
        "only the phone of room 101 may fetch its welcome page",
      ]);
      assert.deepEqual(await status("101.xml", "192.0.2.7"), [
        403,
        "SNOM pages are not served to 192.0.2.7: not in phones.networks",
      ]);
      assert.deepEqual(await status("102.xml", "127.0.0.3"), [404, "room 102 is vacant"]);
      assert.deepEqual(await status("109.xml", "127.0.0.3"), [404, "room 109 does not exist"]);
      assert.equal((await page(f, "101.html", "127.0.0.2")).status, 400);
      assert.equal(
        (await page(f, "101.xml", "::ffff:127.0.0.2")).status,
        200,
        "an IPv4-mapped source is the same phone",
      );
    }));

  test("no welcome configured: 404", () =>
    withSnom(
      async (f) => {
        await f.call("PUT", "/api/v1/rooms/101", {
          as: "installer",
          body: { extension: "2101", phone: { address: "127.0.0.2:5060" } },
        });
        await f.call("POST", "/api/v1/rooms/101/checkin", { as: "frontdesk", body: { guest: { lastName: "Rossi" } } });
        const r = await page(f, "101.xml", "127.0.0.2");
        assert.equal(r.status, 404);
      },
      { welcome: null },
    ));
});
