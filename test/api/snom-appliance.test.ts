/**
 * A SNOM link as the appliance wires it from its configuration: the driver reads each room and its
 * phone from the store, the `snom` section reaches the driver and the welcome route, and a phone that
 * reports itself gets its room's state again. Against one scripted phone at 127.0.0.2.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import { memoryLogger } from "../../src/lib/logger.ts";
import { createToken } from "../../src/store/tokens.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { eventually, freePort } from "../integration/support.ts";
import { ScriptedPhone } from "../pbx/snom/phone-server.ts";

const PASSWORD = "appliance-phone-pw";

describe("SNOM link in the appliance", () => {
  let app: Appliance;
  let t: ReturnType<typeof tempDir>;
  let phone: ScriptedPhone;
  let token: string;
  const logger = memoryLogger();

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await app.api.request(
      path,
      {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      },
      { remoteAddress: "127.0.0.1" },
    );
    // biome-ignore lint/suspicious/noExplicitAny: test code reads arbitrary JSON shapes
    return { status: res.status, body: (await res.json()) as any };
  };

  before(async () => {
    t = tempDir();
    phone = new ScriptedPhone();
    phone.auth = "digest";
    phone.password = PASSWORD;
    const port = await phone.listen("127.0.0.2");
    app = await startAppliance({
      config: parseConfig({
        pms: { port: await freePort() },
        pbx: {
          pollMs: 50,
          links: [
            { type: "snom", name: "phones", httpPort: port, username: "admin", password: PASSWORD, debug: true },
            { type: "snom", name: "off", enabled: false },
          ],
        },
        snom: {
          vacantText: "Room ${room}",
          welcome: { en: { title: "Welcome", text: "Hello ${last}" } },
          applianceUrl: "http://127.0.0.1:8080",
        },
      }),
      dataDir: t.dir,
      migrationsFolder: MIGRATIONS,
      logger,
      version: "t",
    });
    token = await app.store.tx((tx) => createToken(tx, "root", "admin", Date.now()));
  });

  after(async () => {
    await app.stop();
    await phone.close();
    t.cleanup();
  });

  test("phone event → the room's state; check-in → name and welcome; the link's status; no password anywhere", async () => {
    assert.equal((await api("PUT", "/api/v1/rooms/101", { extension: "2101" })).status, 201);
    const ev = await app.api.request(
      "/api/v1/phone-events/snom?mac=000413000101&ip=127.0.0.2&user=2101",
      {},
      { remoteAddress: "127.0.0.2" },
    );
    assert.equal(ev.status, 200);
    await eventually("the vacant state on the phone", () => phone.settings.get("keyboard_lock") === "off");
    assert.equal(phone.settings.get("user_idle_text1"), "Room 101");
    assert.equal(phone.settings.get("dnd_mode"), "off");

    assert.equal((await api("POST", "/api/v1/rooms/101/checkin", { guest: { lastName: "Rossi" } })).status, 200);
    await eventually("the guest's name and the welcome", () => phone.minibrowser.length === 1);
    assert.equal(phone.settings.get("user_idle_text1"), "Rossi");
    const page = await app.api.request(new URL(phone.minibrowser[0]).pathname, {}, { remoteAddress: "127.0.0.2" });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<Text>Hello Rossi<\/Text>/);

    const links = await api("GET", "/api/v1/pbx/links");
    const l = links.body.links.find((x: { name: string }) => x.name === "phones");
    assert.equal(l.type, "snom");
    assert.deepEqual(l.capabilities.available, ["names", "checkin-state", "dnd", "class-of-service"]);
    assert.equal(
      links.body.links.find((x: { name: string }) => x.name === "off"),
      undefined,
    );
    const text = JSON.stringify([links.body, logger.lines]);
    assert.ok(text.includes("snom packet"), "debug packet log on");
    assert.ok(!text.includes(PASSWORD));
  });
});
