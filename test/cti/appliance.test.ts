/**
 * The CTI server as the appliance wires it: `companion.listen` starts it, a room's extension finds the
 * room's phone in the store, MonitorStart points the phone at the staff API, and the phone's
 * callbacks (through the API, from the phone's address only) come out as events on the channel.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { defineRoom } from "../../src/services/rooms.ts";
import { createToken } from "../../src/store/tokens.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { freePort } from "../integration/support.ts";
import { FakePhones, StliClient } from "./support.ts";

describe("CTI server in the appliance", () => {
  let app: Appliance;
  let off: Appliance;
  let t: ReturnType<typeof tempDir>;
  let t2: ReturnType<typeof tempDir>;
  const phones = new FakePhones();
  let token: string;

  before(async () => {
    t = tempDir();
    t2 = tempDir();
    app = await startAppliance({
      config: parseConfig({
        pms: { port: await freePort() },
        api: { listen: "10.20.0.2:8080" },
        companion: { listen: "127.0.0.1:0", networks: ["127.0.0.1"] },
      }),
      dataDir: t.dir,
      migrationsFolder: MIGRATIONS,
      logger: silentLogger,
      version: "t",
      phoneControl: phones,
    });
    await defineRoom(app.ctx, "api:installer", "101", { extension: "2101", phone: { address: "10.20.0.31:5060" } });
    token = await app.store.tx((tx) => createToken(tx, "tech", "installer", Date.now()));
    off = await startAppliance({
      config: parseConfig({ pms: { port: await freePort() } }),
      dataDir: t2.dir,
      migrationsFolder: MIGRATIONS,
      logger: silentLogger,
      version: "t",
    });
  });

  after(async () => {
    await app.stop();
    await off.stop();
    t.cleanup();
    t2.cleanup();
  });

  const callback = (path: string, from: string) => app.api.request(path, {}, { remoteAddress: from });

  test("a room's extension: MonitorStart, callbacks from the room's phone become events; others are refused", async () => {
    assert.ok(app.cti?.port);
    const cl = await StliClient.connect(app.cti.port);
    try {
      assert.equal(await cl.command("STLI;Version=2"), "error_ind SUCCESS STLI");
      assert.equal(await cl.command("MakeCall 2101 0612345678"), "error_ind SUCCESS MakeCall");
      assert.deepEqual(phones.requests[0], { ip: "10.20.0.31", op: "dial", number: "0612345678", transfer: false });
      assert.equal(await cl.command("MakeCall 2999 1"), "error_ind ERROR MakeCall", "no such room extension");

      assert.equal(await cl.command("MonitorStart 2101"), "error_ind SUCCESS MonitorStart");
      const set = phones.requests.find((r) => r.op === "actionUrls");
      assert.ok(set?.op === "actionUrls");
      // api.listen names an address, so the phones call back there.
      assert.equal(
        set.urls.connected,
        "http://10.20.0.2:8080/api/v1/cti/snom/2101/connected?remote=$remote&call=$call-id",
      );

      const q = "?remote=sip%3A0612345678%40pbx&call=abc";
      for (const ev of ["incoming", "connected", "disconnected"]) {
        const r = await callback(`/api/v1/cti/snom/2101/${ev}${q}`, "10.20.0.31");
        assert.equal(r.status, 200, ev);
        assert.deepEqual(await r.json(), { delivered: 1 });
      }
      assert.deepEqual(await cl.next(5), [
        'Delivered 2101 newCall 2101 0612345678 2101 ""',
        "DeviceInformation 2101 1 (alerting)",
        'Established 2101 "" 2101 0612345678 2101 ""',
        'ConnectionCleared 2101 normalClearing 2101 ""',
        "DeviceInformation 2101 0 (idle)",
      ]);

      assert.equal((await callback(`/api/v1/cti/snom/2101/incoming${q}`, "10.20.0.99")).status, 403);
      assert.equal((await callback(`/api/v1/cti/snom/2999/incoming${q}`, "10.20.0.31")).status, 404);
      assert.equal((await callback(`/api/v1/cti/snom/2101/ringing${q}`, "10.20.0.31")).status, 400);

      const status = await app.api.request("/api/v1/cti", { headers: { authorization: `Bearer ${token}` } });
      assert.equal(status.status, 200);
      const body = (await status.json()) as {
        channels: { monitored: string[] }[];
        callbacks: { accepted: number; refused: number };
      };
      assert.deepEqual(body.channels[0]?.monitored, ["2101"]);
      assert.deepEqual(body.callbacks, { accepted: 3, refused: 2 });
    } finally {
      cl.close();
    }
  });

  test("companion.listen null: no server, the routes answer 404", async () => {
    assert.equal(off.cti, undefined);
    const r = await off.api.request("/api/v1/cti/snom/2101/incoming", {}, { remoteAddress: "127.0.0.1" });
    assert.equal(r.status, 404);
  });

  test("stopping the appliance closes the channels", async () => {
    const cl = await StliClient.connect(app.cti?.port as number);
    assert.equal(await cl.command("STLI"), "error_ind SUCCESS STLI");
    await app.cti?.stop();
    await cl.waitClosed();
  });
});
