/**
 * The whole appliance, served over HTTP, with a VOIspeed link to the simulator (src/sim/voispeed): the
 * real driver, the callbacks as configured (callbackNetworks by default the url's host, 127.0.0.1),
 * events and IVR script calls from the simulator, call records completed through the driver's
 * get_call_report.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { eq } from "drizzle-orm";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { serve } from "../../src/runtime/serve.ts";
import { defineRoom, patchRoom } from "../../src/services/rooms.ts";
import { VoispeedSimulator } from "../../src/sim/voispeed/simulator.ts";
import { pmsOutbox } from "../../src/store/schema/index.ts";
import { createToken } from "../../src/store/tokens.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { eventually, freePort } from "../integration/support.ts";

const KEY = "sim-notify-key-0123456789";

describe("VOIspeed link against the simulator: callbacks and call records", () => {
  let sim: VoispeedSimulator;
  let app: Appliance;
  let t: ReturnType<typeof tempDir>;
  let token: string;
  let base: string;

  before(async () => {
    sim = new VoispeedSimulator({ users: 3, firstExtension: 2101, asyncDelayMs: 0 });
    const simPort = await sim.listen(0);
    t = tempDir();
    app = await startAppliance({
      config: parseConfig({
        api: { listen: "127.0.0.1:0" },
        pms: { port: await freePort() },
        pbx: {
          pollMs: 50,
          links: [
            {
              type: "voispeed",
              name: "vs",
              url: `http://127.0.0.1:${simPort}/PBX/seri_endpoint.php`,
              token: "sim-token",
              notifyKey: KEY,
              intervalSeconds: 1,
              // The default replies (ok → key 2, invalid → key 1) fit the simulator's hotel IVR as shipped.
              ivrNodes: { "9/0": "housekeeping" },
            },
          ],
        },
      }),
      dataDir: t.dir,
      migrationsFolder: MIGRATIONS,
      logger: silentLogger,
      version: "t",
      serve,
    });
    base = `http://127.0.0.1:${app.apiPort}/api/v1/pbx/voispeed/vs`;
    sim.notifyUrl = `${base}/events?key=${KEY}`;
    const hotel = sim.state.ivrs.find((i) => i.id === 9)?.nodes.find((n) => n.node_id === 0);
    if (hotel) hotel.script = `${base}/ivr?key=${KEY}`;
    await defineRoom(app.ctx, "api:installer", "101", { extension: "2101" });
    await defineRoom(app.ctx, "api:installer", "102", { extension: "2102" });
    token = await app.store.tx((tx) => createToken(tx, "desk", "frontdesk", Date.now()));
  });

  after(async () => {
    await app?.stop();
    await sim?.close();
    t?.cleanup();
  });

  const calls = async (room: string) => {
    const res = await fetch(`http://127.0.0.1:${app.apiPort}/api/v1/calls?room=${room}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return ((await res.json()) as { calls: Record<string, unknown>[] }).calls;
  };

  test("a call whose events all arrive twice → one call record, completed by get_call_report", async () => {
    sim.notifier.duplicateAll = true;
    await sim.placeCall("2101", "0612345678", { answer: true, hangupBy: "caller", talkSeconds: 42 });
    await sim.idle();
    sim.notifier.duplicateAll = false;
    assert.deepEqual(
      sim.events.filter((e) => e.status !== 200).map((e) => `${e.name} ${e.status}`),
      [],
    );
    await eventually("the call record", async () => (await calls("101")).length === 1);
    await app.callRecords?.idle();
    const [c] = await calls("101");
    assert.equal(c?.direction, "out");
    assert.equal(c?.number, "0612345678");
    assert.equal(c?.talkSeconds, 42);
    assert.equal(c?.outcomeName, "ok");
    assert.equal(c?.internal, false);
    assert.ok(c?.trunk, "the gateway");
    assert.ok(sim.requests.some((r) => r.service === "get_call_report"));
    assert.equal((await calls("101")).length, 1);
  });

  test("IVR housekeeping from the room phone → RE RS queued for the PMS", async () => {
    const out = await sim.ivrInput({ ivrid: 9, nodeid: 0, calling: "2102", called: "500", input: "4" });
    assert.equal(out.nodeid, 2, "the OK child (key 2)");
    const rows = await app.store.read((db) => db.select().from(pmsOutbox).where(eq(pmsOutbox.type, "RE")));
    assert.ok(rows.some((r) => r.record === "RE|RN102|RS4|"));
  });

  test("events with a wrong key → 403", async () => {
    sim.notifyUrl = `${base}/events?key=not-the-key-at-all`;
    try {
      await sim.newVoicemail("2101");
    } finally {
      sim.notifyUrl = `${base}/events?key=${KEY}`;
    }
    assert.equal(sim.events.at(-1)?.status, 403);
  });

  test("set_user_mode accepted, then cmd_failed → the DND job runs again", async () => {
    sim.failNext("set_user_mode", 1, "user not reachable");
    await patchRoom(app.ctx, "api:desk", "101", { dnd: true });
    const modes = () => sim.requests.filter((r) => r.service === "set_user_mode").length;
    await eventually("set_user_mode twice", () => modes() >= 2, 8000);
    assert.ok(sim.events.some((e) => e.name === "cmd_failed" && e.status === 200));
  });
});
