/**
 * FIAS over RS-232, end to end: the whole appliance on one end of a socat pty pair, the PMS simulator
 * (`--serial`, the same LRC/ACK/NAK/ENQ layer on its side) on the other. 115200 baud and no pacing
 * keep it fast; the 9600-baud figure is the bench's (bench/fias-serial.ts).
 */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import type { Room } from "../../src/domain/room.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import type { SerialLineSettings } from "../../src/pms/fias/serial.ts";
import { markMessageRetrieved } from "../../src/services/messages.ts";
import { patchRoom } from "../../src/services/rooms.ts";
import { generateHotel, type Hotel } from "../../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../../src/sim/pms/simulator.ts";
import { loadRoom } from "../../src/store/rooms.ts";
import { pmsOutbox } from "../../src/store/schema/index.ts";
import { PtyPair } from "../helpers/socat-pty.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { TestDriver } from "../helpers/test-driver.ts";
import { peerSkip } from "../peers/available.ts";
import { eventually } from "./support.ts";

const skip = peerSkip("socat");
const STAMP = "DA260115|TI120000|";

function it(name: string, fn: () => Promise<void>, timeout = 20_000): void {
  test(name, { timeout, skip }, fn);
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

type Line = Omit<SerialLineSettings, "device">;
const FAST: Line = { baud: 115200, dataBits: 8, parity: "none", stopBits: 1 };

interface Harness {
  app: Appliance;
  sim: PmsSimulator;
  pty: PtyPair;
  line: Line;
  processed(): number;
  deliver(...records: string[]): Promise<void>;
  room(n: string): Promise<Room | undefined>;
  linked(): Promise<void>;
}

async function start(opts: { line?: Line; hotel?: Hotel } = {}): Promise<Harness> {
  const line = opts.line ?? FAST;
  const pty = new PtyPair();
  cleanups.push(() => pty.dispose());
  await pty.start();
  const tmp = tempDir("bellhop-serial-");
  cleanups.push(() => tmp.cleanup());
  const sim = new PmsSimulator({ hotel: opts.hotel ?? generateHotel({ rooms: 20, occupancy: 0.5 }) });
  const config = parseConfig({
    site: { timezone: "Europe/Rome" },
    pms: { transport: "serial", serial: { device: pty.a, ...line } },
    pbx: { links: [{ type: "log", name: "test", intervalSeconds: 0 }], pollMs: 50 },
  });
  const app = await startAppliance({
    config,
    dataDir: tmp.dir,
    migrationsFolder: MIGRATIONS,
    logger: silentLogger,
    version: "test",
    drivers: { test: new TestDriver() },
    link: { initWaitMs: 200, backoff: { initialMs: 50, maxMs: 300 } },
    synchronous: "NORMAL",
  });
  cleanups.push(async () => {
    await app.stop();
    await sim.close();
  });
  await sim.openSerial({ device: pty.b, ...line, pace: false });
  const h: Harness = {
    app,
    sim,
    pty,
    line,
    processed: () => app.ingest.applied + app.ingest.failed,
    async deliver(...records) {
      const mark = h.processed();
      for (const r of records) sim.send(r);
      await eventually(`${records.length} records processed`, () => h.processed() >= mark + records.length, 10_000);
      await app.ingest.idle();
    },
    room: (n) => app.store.read(async (db) => (await loadRoom(db, n))?.room),
    async linked() {
      await sim.whenLinked(8000);
      await eventually("the appliance to be linked", () => app.link.state === "linked", 8000);
    },
  };
  await h.linked();
  return h;
}

describe("FIAS over serial (socat pty pair)", () => {
  it("handshake: LS, LD, every LR, LA; every frame ACKed, none NAKed", async () => {
    const h = await start();
    const types = h.sim.received.map((r) => r.record.type);
    assert.equal(types[0], "LD");
    assert.ok(types.filter((t) => t === "LR").length >= 8);
    assert.ok(types.includes("LA"));
    const s = h.sim.serialStats;
    assert.ok(s);
    assert.equal(s.naksSent, 0);
    assert.equal(s.naksReceived, 0);
  });

  it("records in (GI/GC/RE/WR/WC/XL/XD/GO) apply as over TCP", async () => {
    const h = await start();
    await h.deliver("GI|RN101|G#1|GNSmith|GFJohn|GSN|CS2|");
    let r = await h.room("101");
    assert.equal(r?.occupied, true);
    assert.equal(r?.classOfService, 2);
    await h.deliver("RE|RN101|DNY|CS1|");
    r = await h.room("101");
    assert.equal(r?.dnd, true);
    assert.equal(r?.classOfService, 1);
    await h.deliver("XL|RN101|G#1|MI1|MTCall the desk|");
    assert.equal((await h.room("101"))?.messageLamp, 1);
    await h.deliver("XD|RN101|G#1|MI1|");
    assert.equal((await h.room("101"))?.messageLamp, 0);
    await h.deliver("WR|RN101|DA301122|TI070000|", "WC|RN101|DA301122|TI070000|");
    await h.deliver("GC|RN102|G#1|GNSmith|GSN|RO101|");
    assert.equal((await h.room("102"))?.guests[0]?.lastName, "Smith");
    assert.equal((await h.room("101"))?.occupied, false);
    await h.deliver("GO|RN102|G#1|GSN|");
    assert.equal((await h.room("102"))?.occupied, false);
  });

  it("records out (RE RS, XD) reach the PMS, ACKed; the outbox row is sent", async () => {
    const h = await start();
    await h.deliver("GI|RN101|G#1|GNSmith|GSN|", "XL|RN101|G#1|MI4|MTcall home|");
    await patchRoom(h.app.ctx, "housekeeping", "101", { housekeeping: { status: 3, maid: "Maid5" } });
    const re = await h.sim.waitFor("RE|RN101|RS3|");
    assert.deepEqual(re.fields, { RN: "101", RS: "3", ID: "Maid5" });
    await markMessageRetrieved(h.app.ctx, "api:desk", "101", "4");
    await h.sim.waitFor("XD|RN101|");
    await h.app.sender.idle();
    const rows = await h.app.store.read((db) => db.select().from(pmsOutbox));
    assert.ok(rows.every((x) => x.state === "sent"));
  });

  it("a bad LRC from the PMS is NAKed, resent once, applied once", async () => {
    const h = await start();
    const naks = h.sim.serialStats?.naksReceived ?? 0;
    h.sim.corruptNextLrc(1);
    await h.deliver("GI|RN105|G#5|GNLrc|GSN|");
    assert.equal((await h.room("105"))?.guests[0]?.lastName, "Lrc");
    assert.equal((h.sim.serialStats?.naksReceived ?? 0) - naks, 1);
    assert.equal(h.sim.serialStats?.resent, 1);
    // applied once: one more record, one more processed
    const mark = h.processed();
    await h.deliver("GO|RN105|G#5|");
    assert.equal(h.processed(), mark + 1);
  });

  it("a frame of ours NAKed by the PMS is resent; the PMS gets it once", async () => {
    const h = await start();
    await h.deliver("GI|RN101|G#1|GNSmith|GSN|");
    h.sim.nakNext(1);
    await patchRoom(h.app.ctx, "housekeeping", "101", { housekeeping: { status: 1 } });
    await h.sim.waitFor("RE|RN101|RS1|");
    assert.equal(h.sim.serialStats?.naksSent, 1);
    assert.equal(h.sim.received.filter((r) => r.record.type === "RE").length, 1);
  });

  it("a frame of ours NAKed past the retries: the line is given up and reopened; the record stays queued and goes once linked again", async () => {
    const h = await start();
    await h.deliver("GI|RN101|G#1|GNSmith|GSN|");
    const opened = h.app.link.peer.connections;
    h.sim.nakNext(4);
    await patchRoom(h.app.ctx, "housekeeping", "101", { housekeeping: { status: 4 } });
    await eventually("the line to be reopened", () => h.app.link.peer.connections > opened, 10_000);
    await h.linked();
    await h.sim.waitFor("RE|RN101|RS4|");
    await h.app.sender.idle();
    assert.equal(h.sim.received.filter((r) => r.record.type === "RE").length, 1, "the PMS took it once");
    const rows = await h.app.store.read((db) => db.select().from(pmsOutbox));
    assert.ok(rows.every((x) => x.state === "sent"));
  });

  it("noise between frames is skipped; the records around it apply; the link stays up", async () => {
    const h = await start();
    h.sim.sendRaw("\r\n  junk ~~ \x7f\x01");
    await h.deliver("GI|RN106|G#6|GNNoise|GSN|");
    h.sim.sendRaw("more noise");
    await h.deliver("GO|RN106|G#6|");
    assert.equal((await h.room("106"))?.occupied, false);
    assert.equal(h.app.link.state, "linked");
    assert.ok(h.app.link.peer.garbageBytes > 0);
  });

  it("the pty vanishes (socat killed) and comes back: the appliance reopens it and links again", async () => {
    const h = await start();
    await h.deliver("GI|RN107|G#7|GNBefore|GSN|");
    await h.pty.stop();
    await eventually("the appliance to notice", () => h.app.link.state !== "linked", 8000);
    await new Promise((r) => setTimeout(r, 300));
    await h.pty.start();
    await h.sim.openSerial({ device: h.pty.b, ...h.line, pace: false });
    await h.linked();
    await h.deliver("GI|RN108|G#8|GNAfter|GSN|");
    assert.equal((await h.room("108"))?.guests[0]?.lastName, "After");
    assert.ok(h.app.link.peer.connections >= 2);
  });

  for (const [name, line] of [
    ["7E1", { baud: 115200, dataBits: 7, parity: "even", stopBits: 1 }],
    ["8N1 at 9600", { baud: 9600, dataBits: 8, parity: "none", stopBits: 1 }],
  ] as const) {
    it(`${name}: link and a record both ways`, async () => {
      const h = await start({ line });
      await h.deliver("GI|RN109|G#9|GNLine|GSN|");
      await patchRoom(h.app.ctx, "housekeeping", "109", { housekeeping: { status: 2 } });
      await h.sim.waitFor("RE|RN109|RS2|");
    });
  }

  it("a 2,000-room resync over serial: every guest arrives, nothing NAKed", async () => {
    const hotel = generateHotel({ rooms: 2000, occupancy: 0.8, seed: 7 });
    const h = await start({ hotel });
    const mark = h.processed();
    h.sim.resync();
    const expected = hotel.guests.length + 2;
    await eventually("the resync to be processed", () => h.processed() >= mark + expected, 60_000);
    await h.app.ingest.idle();
    assert.equal(h.sim.serialStats?.naksReceived, 0);
    const occupied = await h.app.store.read(async (db) => {
      let n = 0;
      for (const g of hotel.guests.slice(0, 20)) if ((await loadRoom(db, g.room))?.room.occupied) n++;
      return n;
    });
    assert.equal(occupied, 20);
    assert.ok(STAMP);
  }, 90_000);
});
