/**
 * PMS records reaching two phone systems at once: a Zoom link and a Grandstream UCM link, against
 * their simulators (src/sim), through the appliance's outbox and job runner.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { recordFromText, serializeRecord } from "../../src/pms/fias/record.ts";
import { UcmSimulator } from "../../src/sim/ucm/simulator.ts";
import { DEFAULT_CLIENT, ZoomSimulator } from "../../src/sim/zoom/simulator.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { eventually, freePort } from "./support.ts";

describe("Zoom and UCM links fed from the same PMS records", () => {
  let zoom: ZoomSimulator;
  let ucm: UcmSimulator;
  let app: Appliance;
  let t: ReturnType<typeof tempDir>;

  before(async () => {
    zoom = new ZoomSimulator({ users: 5, firstExtension: 101, voicemailsPerUser: 2 });
    ucm = new UcmSimulator({ http: true, apiPassword: "api-secret", pmsPassword: "pms-secret" });
    const zoomPort = await zoom.listen(0, "127.0.0.1");
    const ucmPort = await ucm.listen(0, "127.0.0.1");
    t = tempDir();
    app = await startAppliance({
      config: parseConfig({
        pms: { port: await freePort() },
        pbx: {
          pollMs: 50,
          links: [
            {
              type: "zoom",
              name: "zoom",
              url: `http://127.0.0.1:${zoomPort}`,
              accountId: DEFAULT_CLIENT.accountId,
              clientId: DEFAULT_CLIENT.clientId,
              clientSecret: DEFAULT_CLIENT.clientSecret,
              messageManagement: true,
              intervalSeconds: 1,
            },
            {
              type: "ucm",
              name: "ucm",
              url: `http://127.0.0.1:${ucmPort}/api`,
              apiUser: "bellhop",
              apiPassword: "api-secret",
              pmsUser: "pms",
              pmsPassword: "pms-secret",
              intervalSeconds: 1,
            },
          ],
        },
      }),
      dataDir: t.dir,
      migrationsFolder: MIGRATIONS,
      logger: silentLogger,
      version: "t",
    });
  });

  after(async () => {
    await app.stop();
    await zoom.close();
    await ucm.close();
    t.cleanup();
  });

  async function pms(...texts: string[]) {
    for (const text of texts) {
      const r = recordFromText(text);
      app.ingest.receive(r, serializeRecord(r));
    }
    await app.ingest.idle();
  }

  const zoomReq = (method: string, prefix: string) =>
    zoom.requests.filter((r) => r.method === method && r.path.startsWith(prefix) && r.status < 300);

  test("a check-in names the Zoom user and checks the UCM room in", async () => {
    await pms("GI|RN101|G#7|GNRossi|GFAnna|GTMrs.|GV1|GA261122|GD261125|GSN|");
    await eventually("Zoom PATCH", () => zoomReq("PATCH", "/v2/users/").length > 0, 5000);
    const patch = zoomReq("PATCH", "/v2/users/")[0].body as Record<string, string>;
    assert.match(JSON.stringify(patch), /Anna/);
    assert.match(JSON.stringify(patch), /101/, "the rendered name carries the extension");
    await eventually("UCM check-in", () => ucm.rooms.get("101")?.checkedIn === true, 5000);
    assert.match(ucm.rooms.get("101")?.name ?? "", /Anna/);
    assert.equal(ucm.rooms.get("101")?.guestCategory, 1, "VIP");
  });

  test("DND from the PMS sets the Zoom presence", async () => {
    await pms("RE|RN101|DNY|");
    await eventually(
      "presence PUT",
      () => zoomReq("PUT", "/v2/users/").some((r) => /presence_status/.test(r.path)),
      5000,
    );
  });

  test("a check-out deletes the Zoom voicemails, pushes the vacant name, checks the UCM room out", async () => {
    // The presence rule (one change a minute) is not in play: check-out sends no presence change here.
    await pms("GO|RN101|G#7|");
    await eventually("voicemails deleted", () => zoomReq("DELETE", "/v2/phone/voice_mails/").length >= 2, 5000);
    await eventually(
      "vacant name",
      () => zoomReq("PATCH", "/v2/users/").some((r) => /Vacant/.test(JSON.stringify(r.body))),
      5000,
    );
    await eventually("UCM check-out", () => ucm.rooms.get("101")?.checkedIn === false, 5000);
    const { getJobs } = await import("../../src/services/jobs.ts");
    const dead = (await getJobs(app.ctx, { state: "dead" })).map((j) => `${j.link} ${j.op}: ${j.lastError}`);
    assert.deepEqual(dead, [], "no dead letters");
  });
});
