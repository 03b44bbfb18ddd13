/**
 * Soak: 30 minutes of a Matrix-style PMS (silent on connect, LS answered with LS, never LA, CR LF
 * inside every frame) against the whole appliance over real TCP, at 60 times real speed on one
 * accelerated clock shared by both ends. Traffic for ten minutes, then quiet, so the alive check
 * (every 300 s without traffic) runs several times and is answered with LS. The link must never
 * drop, and every record queued on either side must arrive exactly once, in order.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { defineRoom, patchRoom } from "../../src/services/rooms.ts";
import { generateHotel } from "../../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../../src/sim/pms/simulator.ts";
import { acceleratedClock } from "../helpers/scaled-clock.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { TestDriver } from "../helpers/test-driver.ts";
import { eventually, HOST } from "./support.ts";

const SCALE = 60;
const MINUTE = 60_000;

test("30 minutes against the matrix variant at 1/60 time: no drop, every record once", {
  timeout: 90_000,
}, async () => {
  const clock = acceleratedClock(SCALE);
  const virtualSleep = (ms: number) => new Promise<void>((r) => clock.setTimeout(r, ms));
  const tmp = tempDir("bellhop-soak-");
  const sim = new PmsSimulator({ hotel: generateHotel({ rooms: 30, occupancy: 0.5 }), variant: "matrix", clock });
  const port = await sim.listen(0, HOST);
  const app = await startAppliance({
    config: parseConfig({
      site: { timezone: "Europe/Rome" },
      pms: { mode: "client", host: HOST, port },
      pbx: { links: [{ type: "log", name: "test", intervalSeconds: 0 }] },
    }),
    dataDir: tmp.dir,
    migrationsFolder: MIGRATIONS,
    logger: silentLogger,
    version: "test",
    clock,
    drivers: { test: new TestDriver() },
    synchronous: "NORMAL",
  });
  try {
    const began = clock.now();
    const rooms = sim.hotel.rooms.map((r) => r.number);
    for (const room of rooms) await defineRoom(app.ctx, "api:soak", room, {});
    const sentByUs: string[] = [];
    let sentByPms = 0;
    await sim.whenLinked(60_000);
    for (let minute = 0; clock.now() - began < 30 * MINUTE; minute++) {
      // Our side: a housekeeping status every half minute, all along (queued even if not linked).
      for (const half of [0, 1]) {
        const room = rooms[(2 * minute + half) % rooms.length];
        const status = 1 + ((2 * minute + half) % 6);
        await patchRoom(app.ctx, "api:soak", room, { housekeeping: { status } });
        sentByUs.push(`RE|RN${room}|RS${status}|`);
        await virtualSleep(MINUTE / 2);
      }
      // The PMS's side: a message light every minute for the first ten minutes, then quiet.
      if (minute < 10 && sim.linked) {
        sim.send(`RE|RN${rooms[minute]}|ML${minute % 2 ? "N" : "Y"}|`);
        sentByPms++;
      }
    }
    await eventually(
      "all our records at the PMS",
      () => sim.received.filter((r) => r.record.type === "RE").length >= sentByUs.length,
      5000,
    );
    await app.ingest.idle();

    const got = sim.received
      .filter((r) => r.record.type === "RE")
      .map((r) => `RE|RN${r.record.fields.RN}|RS${r.record.fields.RS}|`);
    assert.deepEqual(got, sentByUs, "every record once, in order");
    assert.equal(app.ingest.applied, sentByPms, "every PMS record applied once");
    assert.equal(app.ingest.failed, 0);
    const aliveChecks = sim.received.filter((r) => r.record.type === "LS").length - 1;
    assert.ok(aliveChecks >= 3, `alive checks during the quiet 20 minutes: ${aliveChecks}`);
    const peer = app.link.peer;
    assert.equal(peer.aliveAnswer, "LS");
    assert.equal(peer.connections, 1, "one connection for the whole soak");
    assert.equal(peer.connectionsLost, 0, "no link drop");
    assert.equal(peer.linkStarts, 1);
    assert.equal(sim.connections, 1);
    assert.equal(sim.drops, 0);
    assert.equal(app.link.state, "linked");
  } finally {
    await app.stop();
    await sim.close();
    tmp.cleanup();
  }
});
