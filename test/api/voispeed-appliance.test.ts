/**
 * The VOIspeed callbacks as the appliance wires them from its configuration: the enabled VOIspeed
 * links, their key, callbackNetworks (by default the address of the host in `url`) and ivrNodes.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { asc } from "drizzle-orm";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { defineRoom, patchRoom } from "../../src/services/rooms.ts";
import { pmsOutbox } from "../../src/store/schema/index.ts";
import { createToken } from "../../src/store/tokens.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { TestDriver } from "../helpers/test-driver.ts";
import { eventually, freePort } from "../integration/support.ts";
import { AsyncDriver } from "../jobs/async-driver.ts";
import { FakeReports, ssnRow } from "./voispeed-fixture.ts";

const KEY = "appliance-Notify-Key_01";

describe("VOIspeed callbacks in the appliance", () => {
  let app: Appliance;
  let t: ReturnType<typeof tempDir>;
  let token: string;
  const vs1 = new AsyncDriver();

  const get = async (path: string, from: string) => {
    const res = await app.api.request(path, {}, { remoteAddress: from });
    return { status: res.status, text: await res.text() };
  };

  before(async () => {
    t = tempDir();
    const link = { type: "voispeed", token: "module-token", notifyKey: KEY, intervalSeconds: 1 };
    app = await startAppliance({
      config: parseConfig({
        pms: { port: await freePort() },
        pbx: {
          pollMs: 50,
          links: [
            // callbackNetworks by default: the host in url.
            {
              ...link,
              name: "vs1",
              url: "http://127.0.0.1:9/PBX/seri_endpoint.php",
              ivrNodes: { "9/0": "housekeeping" },
            },
            {
              ...link,
              name: "vs2",
              url: "http://127.0.0.2:9/PBX/seri_endpoint.php",
              callbackNetworks: ["10.9.0.0/24"],
            },
            { ...link, name: "off", url: "http://127.0.0.1:9/x", enabled: false },
          ],
        },
      }),
      dataDir: t.dir,
      migrationsFolder: MIGRATIONS,
      logger: silentLogger,
      version: "t",
      drivers: { vs1, vs2: new TestDriver() },
    });
    await defineRoom(app.ctx, "api:installer", "101", { extension: "2101" });
    token = await app.store.tx((tx) => createToken(tx, "desk", "frontdesk", Date.now()));
  });

  after(async () => {
    await app.stop();
    t.cleanup();
  });

  test("callbackNetworks: the url's host by default, or as configured; a disabled link is not served", async () => {
    const ev = (link: string, key = KEY) => `/api/v1/pbx/voispeed/${link}/events?key=${key}&event_name=call_answered`;
    assert.equal((await get(ev("vs1"), "127.0.0.1")).status, 200);
    assert.equal((await get(ev("vs1"), "127.0.0.2")).status, 403);
    assert.equal((await get(ev("vs1", "wrong-key-wrong-key"), "127.0.0.1")).status, 403);
    assert.equal((await get(ev("vs2"), "10.9.0.77")).status, 200);
    assert.equal((await get(ev("vs2"), "127.0.0.2")).status, 403, "callbackNetworks replaces the default");
    assert.equal((await get(ev("off"), "127.0.0.1")).status, 404);
    assert.equal((await get(ev("zoom"), "127.0.0.1")).status, 404);
  });

  test("cmd_failed reopens the accepted job (failPbxJobLater): it runs again", async () => {
    await patchRoom(app.ctx, "api:desk", "101", { dnd: true });
    await eventually("the DND op", () => vs1.calls.some((c) => c.op.op === "dnd"));
    const ref = vs1.calls.find((c) => c.op.op === "dnd")?.ref;
    assert.ok(ref);
    const r = await get(
      `/api/v1/pbx/voispeed/vs1/events?key=${KEY}&event_type=2&event=1&event_name=cmd_failed&ext=2101` +
        `&request_id=${ref}&error_msg=user+busy`,
      "127.0.0.1",
    );
    assert.deepEqual(JSON.parse(r.text), { event: "cmd_failed", handled: "job-reopened" });
    await eventually("the DND op again", () => vs1.dnds().length === 2);
  });

  test("the IVR script stores the housekeeping status and queues RE RS", async () => {
    const r = await get(
      `/api/v1/pbx/voispeed/vs1/ivr?key=${KEY}&ivrid=9&nodeid=0&callid=1&calling=2101&called=500&input=31&tag=-1`,
      "127.0.0.1",
    );
    assert.deepEqual(r, { status: 200, text: "command=1\r\nnode_key=2" });
    const out = await app.store.read((db) => db.select().from(pmsOutbox).orderBy(asc(pmsOutbox.id)));
    assert.ok(out.some((o) => o.record === "RE|RN101|RS3|ID1|"));
  });

  test("call_terminated → a call record once the report source is set; listed by GET /api/v1/calls", async () => {
    assert.ok(app.callRecords);
    const reports = new FakeReports();
    reports.ssn.push(
      ssnRow({
        id: "9",
        startTime: "2026-11-22 10:00:00",
        outcome: 1,
        callingNumber: "2101",
        calledNumber: "0612",
        talkTime: 7,
      }),
    );
    app.callRecords.setReports(reports);
    const path = `/api/v1/pbx/voispeed/vs1/events?key=${KEY}&event_type=3&event=10&event_name=call_terminated&call_id=9`;
    assert.equal((await get(path, "127.0.0.1")).status, 200);
    assert.equal((await get(path, "127.0.0.1")).status, 200);
    await app.callRecords.idle();
    const res = await app.api.request("/api/v1/calls?room=101", { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { calls: { callId: string; talkSeconds: number; link: string }[] };
    assert.deepEqual(
      body.calls.map((c) => [c.link, c.callId, c.talkSeconds]),
      [["vs1", "9", 7]],
    );
  });
});
