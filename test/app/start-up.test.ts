/**
 * The appliance's start: what a restart re-asserts, and what it leaves until after the first
 * requests are answered (issue 16 §6).
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

test("a restart re-asserts DND for the rooms in DND when it started, and only those", async () => {
  const first = new TestDriver();
  let app = await start(first);
  const pms = async (...texts: string[]) => {
    for (const text of texts) {
      const r = recordFromText(text);
      app.ingest.receive(r, serializeRecord(r));
    }
    await app.ingest.idle();
  };
  await pms("GI|RN101|G#1|GNOne|", "GI|RN102|G#2|GNTwo|", "RE|RN101|DNY|", "RE|RN102|DNY|", "RE|RN102|DNN|");
  await eventually("the DND ops done", () => first.done.filter((o) => o.op === "dnd").length === 3);
  await app.stop();

  const second = new TestDriver();
  app = await start(second);
  try {
    const rooms = async () => (await dndJobs(app)).map((j) => j.room).sort();
    // Queued by the start itself: room 101 only (102 left DND before the restart), beside the
    // first run's three.
    assert.deepEqual(await rooms(), ["101", "101", "102", "102"]);
    // A room put in DND after the start has its own job, not a second one from the re-assert.
    await pms("RE|RN102|DNY|");
    await new Promise((r) => setTimeout(r, 500)); // past the start-up sweeps
    assert.deepEqual(await rooms(), ["101", "101", "102", "102", "102"]);
    await eventually("every DND job done", async () => (await dndJobs(app)).every((j) => j.state === "done"));
    assert.deepEqual(
      second.done.filter((o) => o.op === "dnd").map((o) => o.room),
      ["101", "102"],
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
