/**
 * The whole appliance (store, FIAS link, ingest, sender, monitor, PBX runner) against the PMS
 * simulator over real TCP on 127.0.0.1, with a recording PBX driver in place of the "log" link.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { afterEach, describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import type { PbxOp } from "../../src/domain/pbx-ops.ts";
import type { Room } from "../../src/domain/room.ts";
import type { Charset } from "../../src/lib/charset.ts";
import { type Logger, memoryLogger, silentLogger } from "../../src/lib/logger.ts";
import { markMessageRetrieved, reportVoicemailCount } from "../../src/services/messages.ts";
import { patchRoom } from "../../src/services/rooms.ts";
import { recordWakeupResult } from "../../src/services/wakeups.ts";
import { generateHotel, type Hotel } from "../../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../../src/sim/pms/simulator.ts";
import { getMeta } from "../../src/store/meta.ts";
import { listRooms, loadRoom } from "../../src/store/rooms.ts";
import { pmsInbox, pmsOutbox } from "../../src/store/schema/index.ts";
import { openWakeups } from "../../src/store/wakeups.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { TestDriver } from "../helpers/test-driver.ts";
import { eventually, freePort, HOST, sleep } from "./support.ts";

/** DA/TI for link records and DS/DE: the appliance does not check them. */
const STAMP = "DA260115|TI120000|";
/** A wake-up far enough ahead never to be due during a test. */
const WAKE = { DA: "301122", TI: "070000" };

/** Op names the driver executed for one room, from index `since` of its list on. */
function opsFor(driver: TestDriver, room: string, since = 0): string[] {
  return driver.done
    .slice(since)
    .filter((o) => o.room === room)
    .map((o) => o.op);
}

/**
 * A test whose own time limit sits well above the 5 s waits inside it (bun's default limit is 5 s
 * whatever bunfig.toml says), so a failing wait reports what it waited for and afterEach cleans up.
 */
function it(name: string, fn: () => Promise<void>): void {
  test(name, { timeout: 15_000 }, fn);
}

type Mode = "client" | "server";

interface Harness {
  mode: Mode;
  app: Appliance;
  sim: PmsSimulator;
  driver: TestDriver;
  /** Where the simulator listens (client mode) or the appliance listens (server mode). */
  port: number;
  /** Records the appliance has stored and applied (or failed to apply) so far. */
  processed(): number;
  /** Sends records and resolves once the appliance processed that many more. */
  deliver(...records: string[]): Promise<void>;
  /** Resolves once `n` more records than at `mark` are processed. */
  processedUpTo(mark: number, n: number, timeoutMs?: number): Promise<void>;
  room(number: string): Promise<Room | undefined>;
  /** Resolves when the driver got `op` for `room`, after index `since`. */
  pbxOp(room: string, op: PbxOp["op"], since?: number): Promise<void>;
  /** Waits for the simulator and the appliance to both consider the link up. */
  linked(): Promise<void>;
  /** Server mode: the simulator dials the appliance (retrying while it is not listening yet). */
  dial(): Promise<void>;
}

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  const errors: unknown[] = [];
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length) throw errors[0];
});

interface StartOptions {
  hotel?: Hotel;
  /** Extra `pms` config keys. */
  pms?: Record<string, unknown>;
  /** The site's FIAS charset, on both ends. */
  charset?: Charset;
  logger?: Logger;
}

async function start(mode: Mode, opts: StartOptions = {}): Promise<Harness> {
  const hotel = opts.hotel ?? generateHotel({ rooms: 20, occupancy: 0.5 });
  const tmp = tempDir("bellhop-int-");
  cleanups.push(() => tmp.cleanup());
  const driver = new TestDriver();
  const sim = new PmsSimulator({ hotel, charset: opts.charset });
  const port = mode === "client" ? await sim.listen(0, HOST) : await freePort();
  const config = parseConfig({
    site: { timezone: "Europe/Rome" },
    pms: { mode, host: HOST, port, ...(opts.charset ? { charset: opts.charset } : {}), ...opts.pms },
    pbx: { links: [{ type: "log", name: "test", intervalSeconds: 0 }], pollMs: 50 },
  });
  const app = await startAppliance({
    config,
    dataDir: tmp.dir,
    migrationsFolder: MIGRATIONS,
    logger: opts.logger ?? silentLogger,
    version: "test",
    drivers: { test: driver },
    link: { initWaitMs: 200, backoff: { initialMs: 50, maxMs: 500 } },
    synchronous: "NORMAL",
  });
  const h: Harness = {
    mode,
    app,
    sim,
    driver,
    port,
    processed: () => app.ingest.applied + app.ingest.failed,
    async deliver(...records) {
      const mark = h.processed();
      for (const r of records) h.sim.send(r);
      await h.processedUpTo(mark, records.length);
    },
    async processedUpTo(mark, n, timeoutMs = 5000) {
      await eventually(`${n} records processed`, () => h.processed() >= mark + n, timeoutMs);
      await app.ingest.idle();
    },
    room: (number) => app.store.read(async (db) => (await loadRoom(db, number))?.room),
    pbxOp: (room, op, since = 0) =>
      eventually(`PBX op ${op} for room ${room}`, () => opsFor(driver, room, since).includes(op)),
    async linked() {
      await h.sim.whenLinked(5000);
      await eventually("the appliance to be linked", () => app.link.state === "linked");
    },
    async dial() {
      await eventually(
        "the appliance to accept the simulator",
        () =>
          h.sim.connect(HOST, port).then(
            () => true,
            () => false,
          ),
        5000,
        20,
      );
    },
  };
  // Registered before linking, so a test that fails to link still stops the appliance and simulator.
  cleanups.push(async () => {
    await app.stop();
    await h.sim.close();
  });
  if (mode === "server") await h.dial();
  await h.linked();
  return h;
}

const modes: Mode[] = ["client", "server"];

for (const mode of modes) {
  describe(`PMS link over TCP, appliance as ${mode}`, () => {
    it("GI checks a guest in and GO checks it out, in the store and on the PBX", async () => {
      const h = await start(mode);
      await h.deliver("GI|RN101|G#1001|GNSmith|GFJohn|GTMr.|GLEA|GV2|GSN|CS2|GA260110|GD260120|");
      const r = await h.room("101");
      assert.ok(r);
      assert.equal(r.occupied, true);
      assert.equal(r.classOfService, 2);
      assert.equal(r.guests.length, 1);
      assert.deepEqual(
        { ...r.guests[0] },
        {
          reservation: "1001",
          sharer: false,
          title: "Mr.",
          firstName: "John",
          lastName: "Smith",
          fullName: "Smith",
          language: "EA",
          vip: "2",
          group: "",
          arrival: "2026-01-10",
          departure: "2026-01-20",
        },
      );
      await h.pbxOp("101", "checkin");
      const checkin = h.driver.done.find((o) => o.op === "checkin" && o.room === "101");
      assert.equal(checkin?.op === "checkin" && checkin.classOfService, 2);

      const mark = h.driver.done.length;
      await h.deliver("GO|RN101|G#1001|GSN|");
      const out = await h.room("101");
      assert.equal(out?.occupied, false);
      assert.deepEqual(out?.guests, []);
      await h.pbxOp("101", "checkout", mark);
      await h.pbxOp("101", "voicemail-cleanup", mark);
    });

    it("the PMS dropping the connection: the appliance links again and later records apply", async () => {
      const h = await start(mode);
      await h.deliver("GI|RN102|G#1002|GNBefore|GSN|");
      const firstConnection = h.sim.received.at(-1)?.connection;
      h.sim.drop();
      await eventually("the appliance to notice", () => h.app.link.state !== "linked");
      if (mode === "server") await h.dial();
      await h.linked();
      assert.notEqual(h.sim.received.at(-1)?.connection, firstConnection);
      await h.deliver("GI|RN103|G#1003|GNAfter|GSN|", "GO|RN102|G#1002|");
      assert.equal((await h.room("103"))?.guests[0]?.lastName, "After");
      assert.equal((await h.room("102"))?.occupied, false);
    });
  });
}

describe("PMS link, appliance as server", () => {
  it("a second PMS connection replaces the first; records on it apply", async () => {
    const h = await start("server");
    await h.deliver("GI|RN101|G#1|GNSmith|GSN|");
    const first = h.sim.received.at(-1)?.connection;
    const relinked = once(h.sim, "linked");
    await h.sim.connect(HOST, h.port);
    await relinked;
    await h.linked();
    assert.notEqual(h.sim.received.at(-1)?.connection, first);
    await h.deliver("GO|RN101|G#1|");
    assert.equal((await h.room("101"))?.occupied, false);
    await patchRoom(h.app.ctx, "housekeeping", "101", { housekeeping: { status: 1 } });
    await h.sim.waitFor("RE|RN101|RS1|");
  });
});

describe("PMS records in, end to end (appliance as client)", () => {
  it("sharers: two reservations in one room; the GO of one leaves the other", async () => {
    const h = await start("client");
    await h.deliver("GI|RN201|G#2001|GNFirst|GSN|", "GI|RN201|G#2002|GNSecond|GSY|");
    let r = await h.room("201");
    assert.deepEqual(
      r?.guests.map((g) => [g.reservation, g.lastName, g.sharer]),
      [
        ["2001", "First", false],
        ["2002", "Second", true],
      ],
    );
    await h.pbxOp("201", "checkin");

    const mark = h.driver.done.length;
    await h.deliver("GO|RN201|G#2001|GSY|");
    r = await h.room("201");
    assert.equal(r?.occupied, true);
    // The remaining guest becomes the primary one.
    assert.deepEqual(
      r?.guests.map((g) => [g.reservation, g.sharer]),
      [["2002", false]],
    );
    await h.pbxOp("201", "name", mark);
    assert.ok(!opsFor(h.driver, "201", mark).includes("checkout"));

    await h.deliver("GO|RN201|G#2002|GSN|");
    assert.equal((await h.room("201"))?.occupied, false);
    await h.pbxOp("201", "checkout", mark);
  });

  it("RE from the PMS sets DND, class of service and the message lamp", async () => {
    const h = await start("client");
    await h.deliver("GI|RN101|G#1|GNSmith|GSN|CS3|");
    await h.pbxOp("101", "checkin");
    const mark = h.driver.done.length;

    await h.deliver("RE|RN101|DNY|");
    assert.equal((await h.room("101"))?.dnd, true);
    await h.pbxOp("101", "dnd", mark);

    await h.deliver("RE|RN101|CS1|");
    assert.equal((await h.room("101"))?.classOfService, 1);
    await h.pbxOp("101", "cos", mark);

    await h.deliver("RE|RN101|MLY|");
    assert.equal((await h.room("101"))?.messageLamp, 1);
    await h.deliver("RE|RN101|MLN|CS2|DNN|");
    const r = await h.room("101");
    assert.deepEqual([r?.messageLamp, r?.classOfService, r?.dnd], [0, 2, false]);
    await eventually(
      "dnd off and cos 2 on the PBX",
      () =>
        h.driver.done.some((o) => o.room === "101" && o.op === "dnd" && !o.dnd) &&
        h.driver.done.some((o) => o.room === "101" && o.op === "cos" && o.classOfService === 2),
    );
  });

  it("WR sets a wake-up (a repeat is the same one), WC clears it", async () => {
    const h = await start("client");
    await h.deliver("GI|RN101|G#1|GNSmith|GSN|");
    await h.deliver(`WR|RN101|DA${WAKE.DA}|TI${WAKE.TI}|`, `WR|RN101|DA${WAKE.DA}|TI${WAKE.TI}|`);
    const open = await h.app.store.read((db) => openWakeups(db, "101"));
    assert.equal(open.length, 1);
    assert.deepEqual([open[0].fiasDate, open[0].fiasTime, open[0].source], [WAKE.DA, WAKE.TI, "pms"]);
    assert.equal(open[0].dueAt, Date.UTC(2030, 10, 22, 6, 0, 0)); // 07:00 in Rome, CET

    await h.deliver(`WC|RN101|DA${WAKE.DA}|TI${WAKE.TI}|`);
    assert.deepEqual(await h.app.store.read((db) => openWakeups(db, "101")), []);
  });

  it("GC with RO moves the guest with DND, class of service and wake-ups; GC without RO changes the guest", async () => {
    const h = await start("client");
    await h.deliver("GI|RN301|G#3001|GNSmith|GFAnna|GSN|CS2|", "RE|RN301|DNY|", `WR|RN301|DA${WAKE.DA}|TI${WAKE.TI}|`);
    await h.pbxOp("301", "dnd");
    const mark = h.driver.done.length;

    await h.deliver("GC|RN302|G#3001|RO301|GNSmith|GSN|");
    const from = await h.room("301");
    const to = await h.room("302");
    assert.equal(from?.occupied, false);
    assert.deepEqual(from?.guests, []);
    assert.equal(to?.occupied, true);
    assert.deepEqual(
      to?.guests.map((g) => [g.reservation, g.firstName, g.lastName]),
      [["3001", "Anna", "Smith"]],
    );
    assert.equal(to?.dnd, true);
    assert.equal(to?.classOfService, 2);
    assert.deepEqual(await h.app.store.read((db) => openWakeups(db, "301")), []);
    const moved = await h.app.store.read((db) => openWakeups(db, "302"));
    assert.deepEqual(
      moved.map((w) => [w.fiasDate, w.fiasTime]),
      [[WAKE.DA, WAKE.TI]],
    );
    await h.pbxOp("301", "checkout", mark);
    await h.pbxOp("302", "checkin", mark);

    const mark2 = h.driver.done.length;
    await h.deliver("GC|RN302|G#3001|GNJones|GLGE|");
    const changed = await h.room("302");
    assert.deepEqual(
      changed?.guests.map((g) => [g.lastName, g.firstName, g.language]),
      [["Jones", "Anna", "GE"]],
    );
    await h.pbxOp("302", "name", mark2);
    await h.pbxOp("302", "guest", mark2);
  });

  it("XL lights the message lamp per message, XD clears it", async () => {
    const h = await start("client");
    await h.deliver("GI|RN101|G#1|GNSmith|GSN|");
    await h.deliver("XL|RN101|G#1|MI1|MTPlease call the front desk|", "XL|RN101|G#1|MI2|MTYour taxi is here|");
    assert.equal((await h.room("101"))?.messageLamp, 2);
    await h.deliver("XD|RN101|G#1|MI1|");
    assert.equal((await h.room("101"))?.messageLamp, 1);
    await h.deliver("XD|RN101|G#1|MI2|");
    assert.equal((await h.room("101"))?.messageLamp, 0);
  });

  it("NS/NE mark the night audit", async () => {
    const h = await start("client");
    const audit = () => h.app.store.read((db) => getMeta(db, "pms.nightAudit"));
    await h.deliver(`NS|${STAMP}`);
    assert.equal(await audit(), "1");
    await h.deliver(`NE|${STAMP}`);
    assert.equal(await audit(), "0");
  });

  it("a resync (DS…DE) brings in the hotel's guests and checks out a guest it does not list", async () => {
    const hotel = generateHotel({ rooms: 30, occupancy: 0.6, seed: 7 });
    const h = await start("client", { hotel });
    const vacant = hotel.rooms.find((r) => !hotel.guests.some((g) => g.room === r.number));
    assert.ok(vacant);
    const listed = hotel.guests[0];
    await h.deliver(
      `GI|RN${vacant.number}|G#999999|GNGhost|GSN|`,
      `GI|RN${listed.room}|G#${listed.reservation}|GNOld|`,
    );
    const mark = h.processed();
    const ops = h.driver.done.length;
    h.sim.resync();
    await h.processedUpTo(mark, hotel.guests.length + 2);

    const ghost = await h.room(vacant.number);
    assert.equal(ghost?.occupied, false);
    await h.pbxOp(vacant.number, "checkout", ops);
    await assertHotelInHouse(h, hotel);
    assert.equal((await h.room(listed.room))?.guests[0].lastName, listed.last);
    assert.equal(await h.app.store.read((db) => getMeta(db, "resync.active")), "0");
  });

  it("real-time records interleaved with a resync count as listed: DE does not check them out", async () => {
    const h = await start("client");
    await h.deliver("GI|RN101|G#1|GNListed|GSN|", "GI|RN102|G#2|GNMissing|GSN|", "GI|RN104|G#4|GNMover|GSN|");
    await h.deliver(
      `DS|${STAMP}`,
      "GI|RN101|G#1|GNListed|GSN|SF|",
      "GI|RN103|G#3|GNArrived|GSN|",
      "GC|RN105|G#4|RO104|GNMover|",
      `DE|${STAMP}`,
    );
    const occupants = async (n: string) => (await h.room(n))?.guests.map((g) => g.lastName);
    assert.deepEqual(await occupants("101"), ["Listed"]);
    assert.deepEqual(await occupants("102"), []);
    assert.deepEqual(await occupants("103"), ["Arrived"]);
    assert.deepEqual(await occupants("104"), []);
    assert.deepEqual(await occupants("105"), ["Mover"]);
  });

  it("a record the appliance cannot apply is kept with its error and does not hold up the next", async () => {
    const h = await start("client");
    await h.deliver("GI|RN101|G#1|GNSmith|GSN|");
    const failed = h.app.ingest.failed;
    await h.deliver("RE|RN101|DNX|", "ZZ|RN101|", "RE|RN101|DNY|");
    assert.equal(h.app.ingest.failed, failed + 2);
    assert.equal((await h.room("101"))?.dnd, true);
    const rows = await h.app.store.read((db) => db.select().from(pmsInbox));
    assert.ok(rows.every((r) => r.appliedAt !== null));
    assert.deepEqual(
      rows.filter((r) => r.error).map((r) => r.type),
      ["RE", "ZZ"],
    );
  });
});

describe("records out to the PMS", () => {
  it("a housekeeping status entered on the appliance goes out as RE RS/ID", async () => {
    const h = await start("client");
    await h.deliver("GI|RN101|G#1|GNSmith|GSN|");
    await patchRoom(h.app.ctx, "housekeeping", "101", { housekeeping: { status: 3, maid: "Maid5" } });
    const rec = await h.sim.waitFor("RE|RN101|RS3|");
    assert.deepEqual(rec.fields, { RN: "101", RS: "3", ID: "Maid5" });
    assert.equal((await h.room("101"))?.housekeeping?.status, 3);
    await h.app.sender.idle();
    const rows = await h.app.store.read((db) => db.select().from(pmsOutbox));
    assert.deepEqual(
      rows.map((r) => r.state),
      ["sent"],
    );
  });

  it("a message delivered by the front desk goes out as XD; a voice-mail count as RE VM", async () => {
    const h = await start("client");
    await h.deliver("GI|RN101|G#1|GNSmith|GSN|", "XL|RN101|G#1|MI4|MTcall home|");
    await markMessageRetrieved(h.app.ctx, "api:desk", "101", "4");
    const xd = await h.sim.waitFor("XD|RN101|");
    assert.deepEqual(xd.fields, { RN: "101", "G#": "1", MI: "4" });
    assert.equal((await h.room("101"))?.messageLamp, 0);
    await reportVoicemailCount(h.app.ctx, "101", 1, 3);
    const vm = await h.sim.waitFor("RE|RN101|VM0103|");
    assert.deepEqual(vm.fields, { RN: "101", VM: "0103" });
  });

  it("a wake-up result reaches the PMS as exactly one WA, even when reported twice", async () => {
    const h = await start("client");
    await h.deliver("GI|RN101|G#1|GNSmith|GSN|", `WR|RN101|DA${WAKE.DA}|TI${WAKE.TI}|`);
    const [w] = await h.app.store.read((db) => openWakeups(db, "101"));
    assert.ok(w);
    assert.equal(await recordWakeupResult(h.app.ctx, w.id, "OK", 1), true);
    assert.equal(await recordWakeupResult(h.app.ctx, w.id, "OK", 1), false);
    const wa = await h.sim.waitFor("WA|RN101|");
    assert.deepEqual(wa.fields, { RN: "101", DA: WAKE.DA, TI: WAKE.TI, AS: "OK" });
    await h.app.sender.idle();
    // A round trip through the link: anything the sender wrote before this is at the simulator.
    await h.deliver("RE|RN101|DNN|");
    assert.equal(h.sim.received.filter((r) => r.record.type === "WA").length, 1);
  });

  it("a resync requested while the link is down is sent at the next link-up", async () => {
    const h = await start("client");
    await h.sim.close();
    await eventually("the link to go down", () => h.app.link.state === "down");
    assert.deepEqual(await h.app.monitor.requestResync("test"), { sent: false });
    h.sim = new PmsSimulator({ hotel: h.sim.hotel });
    await h.sim.listen(h.port, HOST);
    const mark = h.processed();
    await h.sim.waitFor("DR");
    await h.processedUpTo(mark, h.sim.hotel.guests.length + 2);
    await assertHotelInHouse(h, h.sim.hotel);
    assert.equal(await h.app.store.read((db) => getMeta(db, "pms.resyncWanted")), "0");
  });

  it("a resync cut off by a dropped link (DS, no DE) is asked for again (DR) at the next link-up", async () => {
    const hotel = generateHotel({ rooms: 20, occupancy: 0.5, seed: 5 });
    const h = await start("client", { hotel });
    const ghost = hotel.rooms.find((r) => !hotel.guests.some((g) => g.room === r.number));
    assert.ok(ghost);
    await h.deliver(`GI|RN${ghost.number}|G#999999|GNGhost|GSN|`);
    await h.deliver(`DS|${STAMP}`, `GI|RN${hotel.guests[0].room}|G#${hotel.guests[0].reservation}|SF|`);
    assert.equal(h.app.link.state, "resync");
    const mark = h.processed();
    h.sim.drop();
    await h.linked();
    const dr = await h.sim.waitFor("DR");
    assert.equal(h.sim.received.find((r) => r.record === dr)?.connection, h.sim.received.at(-1)?.connection);
    await h.processedUpTo(mark, hotel.guests.length + 2);
    await assertHotelInHouse(h, hotel);
    assert.equal((await h.room(ghost.number))?.occupied, false);
    assert.equal(await h.app.store.read((db) => getMeta(db, "pms.resyncWanted")), "0");
  });

  it("a resync requested through the monitor sends DR; the PMS's DS…DE is applied", async () => {
    const hotel = generateHotel({ rooms: 40, occupancy: 0.7, seed: 3 });
    const h = await start("client", { hotel });
    const mark = h.processed();
    assert.deepEqual(await h.app.monitor.requestResync("test"), { sent: true });
    const dr = await h.sim.waitFor("DR");
    assert.match(dr.fields.DA ?? "", /^\d{6}$/);
    assert.match(dr.fields.TI ?? "", /^\d{6}$/);
    await h.processedUpTo(mark, hotel.guests.length + 2);
    await assertHotelInHouse(h, hotel);
    assert.equal(await h.app.store.read((db) => getMeta(db, "pms.resyncWanted")), "0");
    assert.equal(h.sim.received.filter((r) => r.record.type === "DR").length, 1);
  });
});

describe("charsets", () => {
  it("a cp850 site: accented names arrive intact in a resync, and a maid's name goes out intact", async () => {
    const hotel = generateHotel({ rooms: 60, occupancy: 0.9, seed: 11 });
    assert.ok(
      hotel.guests.some((g) => [...(g.last + g.first)].some((c) => c.charCodeAt(0) > 0x7f)),
      "the hotel has accented names",
    );
    const h = await start("client", { hotel, charset: "cp850" });
    const mark = h.processed();
    h.sim.resync();
    await h.processedUpTo(mark, hotel.guests.length + 2);
    await assertHotelInHouse(h, hotel);
    const room = hotel.guests[0].room;
    await patchRoom(h.app.ctx, "housekeeping", room, { housekeeping: { status: 3, maid: "Müller" } });
    const re = await h.sim.waitFor(`RE|RN${room}|`);
    assert.equal(re.fields.ID, "Müller");
  });
});

describe("link control", () => {
  it("LS mid-stream: the appliance sends LD/LR…/LA again and keeps working", async () => {
    const h = await start("client");
    await h.deliver("GI|RN101|G#1|GNSmith|GSN|");
    const count = (type: string) => h.sim.received.filter((r) => r.record.type === type).length;
    const [ld, lr] = [count("LD"), count("LR")];
    const relinked = once(h.sim, "linked");
    h.sim.send(`LS|${STAMP}`);
    await relinked;
    assert.equal(count("LD"), ld + 1);
    assert.equal(count("LR"), lr * 2);
    await h.linked();
    await h.deliver("GO|RN101|G#1|");
    assert.equal((await h.room("101"))?.occupied, false);
    await patchRoom(h.app.ctx, "housekeeping", "101", { housekeeping: { status: 1 } });
    await h.sim.waitFor("RE|RN101|RS1|");
  });

  it("LE from the PMS is answered; nothing goes out until its LS; then the link is back", async () => {
    const h = await start("client");
    await h.deliver("GI|RN101|G#1|GNSmith|GSN|");
    h.sim.send(`LE|${STAMP}`);
    await h.sim.waitFor("LE");
    await eventually("the appliance to stop sending", () => !h.app.link.canSend);
    assert.equal(h.app.link.state, "connecting");

    await patchRoom(h.app.ctx, "housekeeping", "101", { housekeeping: { status: 2 } });
    await h.app.sender.idle();
    await sleep(50);
    assert.ok(!h.sim.received.some((r) => r.record.type === "RE"), "RE sent while the PMS had ended the link");

    const relinked = once(h.sim, "linked");
    h.sim.send(`LS|${STAMP}`);
    await relinked;
    await h.linked();
    await h.sim.waitFor("RE|RN101|RS2|");
    await h.deliver("GO|RN101|G#1|");
    assert.equal((await h.room("101"))?.occupied, false);
  });

  it("alive check: after aliveSeconds of silence the appliance sends LS; the PMS's LA keeps the link", async () => {
    const h = await start("client", { pms: { aliveSeconds: 1 } });
    const connection = h.sim.received.at(-1)?.connection;
    const ls = await h.sim.waitFor("LS", 3000);
    assert.match(ls.fields.DA ?? "", /^\d{6}$/);
    await h.deliver("GI|RN101|G#1|GNSmith|GSN|");
    assert.equal(h.app.link.state, "linked");
    assert.equal(h.sim.received.at(-1)?.connection, connection);
  });

  it("garbage between frames and malformed frames are skipped; the valid records apply; the link stays up", async () => {
    const logger = memoryLogger();
    const h = await start("client", { logger });
    const connection = h.sim.received.at(-1)?.connection;
    h.sim.sendRaw("\x15junk\x02GI|RN9");
    await h.deliver("GI|RN102|G#12|GNValid|GSN|");
    h.sim.sendRaw("\x02G!|RN5|G#5|\x03");
    h.sim.sendRaw("\x02GIRN6|\x03");
    await h.deliver("GI|RN103|G#13|GNAlsoValid|GSN|");

    assert.equal((await h.room("102"))?.guests[0]?.lastName, "Valid");
    assert.equal((await h.room("103"))?.guests[0]?.lastName, "AlsoValid");
    for (const n of ["9", "5", "6"]) assert.equal(await h.room(n), undefined, `room ${n} created by a bad frame`);
    const rejected = h.app.monitor.lastFrames().filter((f) => f.error);
    assert.ok(rejected.length >= 4, `rejected frames traced: ${JSON.stringify(rejected)}`);
    // One warning with its sample; the rest within the minute only counted (the log budget).
    const warned = logger.lines.filter((l) => l.level === "warn" && /frame/.test(String(l.msg)));
    assert.equal(warned.length, 1, `one warning for the rejected frames: ${JSON.stringify(warned)}`);
    assert.equal(h.app.link.peer.framesRejected, rejected.length);
    assert.equal(h.app.link.state, "linked");
    await patchRoom(h.app.ctx, "housekeeping", "102", { housekeeping: { status: 4 } });
    await h.sim.waitFor("RE|RN102|RS4|");
    assert.equal(h.sim.received.at(-1)?.connection, connection, "the link reconnected");
  });

  it("nothing is sent between DS and DE; a row queued in between goes out after DE", async () => {
    const h = await start("client");
    await h.deliver("GI|RN101|G#1|GNSmith|GSN|");
    h.sim.send(`DS|${STAMP}`);
    await eventually("the link to enter the resync", () => h.app.link.state === "resync");
    assert.equal(h.app.link.canSend, false);
    await h.app.ingest.idle();
    await patchRoom(h.app.ctx, "housekeeping", "101", { housekeeping: { status: 5, maid: "M1" } });
    await h.app.sender.idle();
    await sleep(50);
    assert.ok(!h.sim.received.some((r) => r.record.type === "RE"), "RE sent between DS and DE");
    const [row] = await h.app.store.read((db) => db.select().from(pmsOutbox));
    assert.equal(row.state, "pending");

    await h.deliver(`GI|RN101|G#1|GNSmith|GSN|SF|`, `DE|${STAMP}`);
    assert.equal(h.app.link.state, "linked");
    await h.sim.waitFor("RE|RN101|RS5|IDM1|");
    assert.equal((await h.room("101"))?.occupied, true);
  });

  it("the outbox survives a PMS outage: a row queued while the link is down goes out after link-up", async () => {
    const h = await start("client");
    await h.deliver("GI|RN101|G#1|GNSmith|GSN|");
    await h.sim.close();
    await eventually("the link to go down", () => h.app.link.state === "down");
    await patchRoom(h.app.ctx, "housekeeping", "101", { housekeeping: { status: 6, maid: "M2" } });
    await h.app.sender.idle();
    const [row] = await h.app.store.read((db) => db.select().from(pmsOutbox));
    assert.equal(row.state, "pending");

    h.sim = new PmsSimulator({ hotel: h.sim.hotel });
    await h.sim.listen(h.port, HOST);
    await h.linked();
    const re = await h.sim.waitFor("RE|RN101|");
    assert.deepEqual(re.fields, { RN: "101", RS: "6", ID: "M2" });
    await h.deliver("GO|RN101|G#1|");
    assert.equal((await h.room("101"))?.occupied, false);
  });
});

/**
 * Every hotel guest is in its room (sharers included) with the name the PMS sent (accented names
 * cross the link in latin1), and no other room is occupied.
 */
async function assertHotelInHouse(h: Harness, hotel: Hotel): Promise<void> {
  const rooms = await h.app.store.read((db) => listRooms(db));
  const want = new Map<string, string[]>();
  for (const g of hotel.guests) {
    want.set(g.room, [...(want.get(g.room) ?? []), `${g.reservation} ${g.title} ${g.first} ${g.last}`]);
  }
  for (const s of rooms) {
    const expected = want.get(s.room.number) ?? [];
    assert.deepEqual(
      s.room.guests.map((g) => `${g.reservation} ${g.title} ${g.firstName} ${g.lastName}`).sort(),
      [...expected].sort(),
      `guests of room ${s.room.number}`,
    );
    assert.equal(s.room.occupied, expected.length > 0, `occupied flag of room ${s.room.number}`);
  }
  const stored = new Set(rooms.map((s) => s.room.number));
  for (const room of want.keys()) assert.ok(stored.has(room), `room ${room} missing`);
}
