/**
 * The whole appliance against the PMS simulator playing each peer met in the field (`--variant`),
 * over real TCP on 127.0.0.1: the conversations of test/fixtures/fias-conversations, live. Each
 * variant must link without a drop, answer alive checks, swap its database (the Matrix-style hotel
 * spells guests "Last, First" with GVN), take a date-less WR, and get our records exactly once.
 */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import type { PmsPeerInfo } from "../../src/pms/port.ts";
import { patchRoom } from "../../src/services/rooms.ts";
import { generateHotel } from "../../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../../src/sim/pms/simulator.ts";
import { VARIANTS } from "../../src/sim/pms/variants.ts";
import { listRooms } from "../../src/store/rooms.ts";
import { wakeups } from "../../src/store/schema/index.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { TestDriver } from "../helpers/test-driver.ts";
import { eventually, HOST, sleep } from "./support.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface Expected {
  greeting: PmsPeerInfo["greeting"];
  linkConfirmedBy: PmsPeerInfo["linkConfirmedBy"];
  aliveAnswer: PmsPeerInfo["aliveAnswer"];
}

const expected: Record<string, Expected> = {
  oracle: { greeting: "pms", linkConfirmedBy: "LA", aliveAnswer: "LA" },
  // Silent on connect; our LS is answered with LS; no LA ever, so the quiet grace time confirms.
  matrix: { greeting: "appliance", linkConfirmedBy: "silence", aliveAnswer: "LS" },
  "silent-la": { greeting: "pms", linkConfirmedBy: "silence", aliveAnswer: "LA" },
  crlf: { greeting: "pms", linkConfirmedBy: "LA", aliveAnswer: "LA" },
};

async function start(variant: keyof typeof VARIANTS): Promise<{ app: Appliance; sim: PmsSimulator }> {
  const tmp = tempDir("bellhop-variant-");
  const hotel = generateHotel({ rooms: 20, occupancy: 0.6, seed: 7 });
  const sim = new PmsSimulator({ hotel, variant });
  const port = await sim.listen(0, HOST);
  const config = parseConfig({
    site: { timezone: "Europe/Rome" },
    pms: {
      mode: "client",
      host: HOST,
      port,
      framing: VARIANTS[variant].framing,
      aliveSeconds: 1,
      linkGraceSeconds: 0.5,
    },
    rooms: { vipLabels: { "1": "VIP" } },
    pbx: { links: [{ type: "log", name: "test", intervalSeconds: 0 }], pollMs: 50 },
  });
  const app = await startAppliance({
    config,
    dataDir: tmp.dir,
    migrationsFolder: MIGRATIONS,
    logger: silentLogger,
    version: "test",
    drivers: { test: new TestDriver() },
    link: { initWaitMs: 200, backoff: { initialMs: 50, maxMs: 500 } },
    synchronous: "NORMAL",
  });
  cleanups.push(() => tmp.cleanup());
  cleanups.push(() => sim.close());
  cleanups.push(() => app.stop());
  return { app, sim };
}

describe("the appliance against each PMS variant", () => {
  for (const variant of Object.keys(expected) as (keyof typeof VARIANTS)[]) {
    test(`${variant}: links, keeps the link, swaps, takes a date-less WR, gets our records once`, {
      timeout: 20_000,
    }, async () => {
      const { app, sim } = await start(variant);
      await sim.whenLinked(5000);
      await eventually("appliance linked", () => app.link.state === "linked", 5000);

      // Database swap: every in-house guest, spelled the variant's way.
      const mark = app.ingest.applied;
      await app.monitor.requestResync("api:test");
      const guests = sim.hotel.guests.length;
      await eventually("swap applied", () => app.ingest.applied >= mark + guests + 2, 5000);
      await app.ingest.idle();
      assert.equal(app.ingest.failed, 0, "no record rejected");
      const rooms = await app.store.read((db) => listRooms(db));
      for (const g of sim.hotel.guests) {
        const stored = rooms
          .find((x) => x.room.number === g.room)
          ?.room.guests.find((s) => s.reservation === String(g.reservation));
        const who = `room ${g.room}, reservation ${g.reservation}`;
        assert.equal(stored?.lastName, g.last, `${who}: last name`);
        assert.equal(stored?.firstName, g.first, `${who}: first name (split from "Last, First" for matrix)`);
        assert.equal(stored?.vip, g.vip, `${who}: VIP level (GVN is none)`);
      }

      // A wake-up with a time and no date.
      const room = sim.hotel.guests[0].room;
      sim.send(`WR|RN${room}|TI0715|`);
      await eventually("wake-up stored", async () => {
        const rows = await app.store.read((db) => db.select().from(wakeups));
        return rows.some((w) => w.room === room && w.fiasTime === "0715" && w.fiasDate.length === 6);
      });

      // Our records, in order and each once.
      for (const status of [1, 2, 3]) await patchRoom(app.ctx, "api:test", room, { housekeeping: { status } });
      for (const status of [1, 2, 3]) await sim.waitFor(`RE|RN${room}|RS${status}|`, 3000);

      // Alive checks (every second here) answered the variant's way; nothing dropped.
      await sleep(2600);
      const re = sim.received.filter((r) => r.record.type === "RE");
      assert.equal(re.length, 3, "each record once");
      const p = app.link.peer;
      assert.deepEqual(
        { greeting: p.greeting, linkConfirmedBy: p.linkConfirmedBy, aliveAnswer: p.aliveAnswer },
        expected[variant],
      );
      assert.equal(p.framing, VARIANTS[variant].framing);
      assert.equal(p.connectionsLost, 0);
      assert.equal(p.connections, 1);
      assert.equal(sim.connections, 1);
      assert.equal(sim.drops, 0);
      assert.equal(app.link.state, "linked");
      assert.deepEqual(
        app.monitor.view().frames.filter((f) => f.error),
        [],
        "no frame rejected",
      );
    });
  }
});
