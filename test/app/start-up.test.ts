/**
 * The appliance's start: what a restart re-asserts, and that it does so after the start returned
 * (the first health check is not kept waiting by it; issue 16 §6).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import { type Logger, memoryLogger, silentLogger } from "../../src/lib/logger.ts";
import { recordFromText, serializeRecord } from "../../src/pms/fias/record.ts";
import { listJobs } from "../../src/store/pbx-jobs.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { TestDriver } from "../helpers/test-driver.ts";
import { eventually, freePort } from "../integration/support.ts";

const tmp = tempDir("bellhop-start-");
after(() => tmp.cleanup());

async function start(driver: TestDriver, logger: Logger = silentLogger): Promise<Appliance> {
  return startAppliance({
    config: parseConfig({
      pms: { port: await freePort() },
      pbx: { links: [{ type: "log", name: "test", intervalSeconds: 0 }], pollMs: 20 },
    }),
    dataDir: tmp.dir,
    migrationsFolder: MIGRATIONS,
    logger,
    version: "test",
    drivers: { test: driver },
    synchronous: "NORMAL",
  });
}

const dndJobs = (app: Appliance) =>
  app.store.read(async (db) => (await listJobs(db, { link: "test", limit: 100 })).filter((j) => j.op === "dnd"));

test("a restart re-asserts DND for the rooms still in DND, once the start has returned", async () => {
  const first = new TestDriver();
  let app = await start(first);
  for (const text of [
    "GI|RN101|G#1|GNOne|",
    "GI|RN102|G#2|GNTwo|",
    "RE|RN101|DNY|",
    "RE|RN102|DNY|",
    "RE|RN102|DNN|",
  ]) {
    const r = recordFromText(text);
    app.ingest.receive(r, serializeRecord(r));
  }
  await app.ingest.idle();
  await eventually("the DND ops done", () => first.done.filter((o) => o.op === "dnd").length === 3);
  await app.stop();

  const second = new TestDriver();
  app = await start(second);
  try {
    // Nothing re-asserted yet: the start returned (and its API answers) before that work began.
    assert.equal((await dndJobs(app)).length, 3);
    await eventually("DND re-asserted", () => second.done.some((o) => o.op === "dnd"));
    await eventually("every DND job done", async () => (await dndJobs(app)).every((j) => j.state === "done"));
    const again = second.done.filter((o) => o.op === "dnd");
    assert.deepEqual(
      again.map((o) => o.room),
      ["101"],
      "room 101 only: 102 left DND before the restart",
    );
  } finally {
    await app.stop();
  }
});

test("a stop right after the start cancels the start-up sweeps, and is a clean stop", async () => {
  const app = await start(new TestDriver());
  await app.stop();
  const log = memoryLogger();
  const again = await start(new TestDriver(), log);
  await again.stop();
  assert.equal(log.lines.filter((l) => String(l.msg).includes("did not stop cleanly")).length, 0);
  assert.equal(log.lines.filter((l) => l.level === "error").length, 0, JSON.stringify(log.lines));
});
