/**
 * The PMS features end to end, once per protocol and transport the appliance speaks (issue 15 §4):
 * FIAS over TCP, FIAS over RS-232 (socat pty pair), Mitel over TCP and RS-232. The whole appliance
 * runs against each protocol's simulator; the tests speak through test/helpers/pms-peers.ts, so
 * one test proves a feature for every protocol that has it. Protocol-specific details (FIAS link
 * records, LRC, Mitel line bids) stay in their own suites (pms-link, pms-serial, pms-mitel).
 */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import type { PbxOp } from "../../src/domain/pbx-ops.ts";
import type { Room } from "../../src/domain/room.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { reportVoicemailCount } from "../../src/services/messages.ts";
import { patchRoom } from "../../src/services/rooms.ts";
import { recordWakeupResult } from "../../src/services/wakeups.ts";
import { loadRoom } from "../../src/store/rooms.ts";
import { pmsInbox, pmsOutbox } from "../../src/store/schema/index.ts";
import { openWakeups } from "../../src/store/wakeups.ts";
import { type PmsPeer, peerFactories } from "../helpers/pms-peer-list.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { TestDriver } from "../helpers/test-driver.ts";
import { eventually } from "./support.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface Harness {
  app: Appliance;
  /** Times the appliance gave memory back (once started, then after each applied resync). */
  counts: { trims: number };
  peer: PmsPeer;
  driver: TestDriver;
  /** Sends through `send` (which returns its frame count) and waits until the appliance processed them. */
  deliver(send: () => number): Promise<void>;
  room(n: string): Promise<Room | undefined>;
  pbxOp(room: string, op: PbxOp["op"], since?: number): Promise<void>;
  linked(): Promise<void>;
}

async function start(make: () => PmsPeer): Promise<Harness> {
  const peer = make();
  cleanups.push(() => peer.close());
  const tmp = tempDir("bellhop-matrix-");
  cleanups.push(() => tmp.cleanup());
  const driver = new TestDriver();
  const counts = { trims: 0 };
  const config = parseConfig({
    site: { timezone: "Europe/Rome" },
    pms: await peer.pmsConfig(),
    pbx: { links: [{ type: "log", name: "test", intervalSeconds: 0 }], pollMs: 50 },
  });
  const app = await startAppliance({
    config,
    dataDir: tmp.dir,
    migrationsFolder: MIGRATIONS,
    logger: silentLogger,
    version: "test",
    drivers: { test: driver },
    link: { initWaitMs: 200, backoff: { initialMs: 50, maxMs: 300 } },
    synchronous: "NORMAL",
    trimMemory: () => {
      counts.trims++;
    },
  });
  cleanups.push(() => app.stop());
  await peer.attach();
  const processed = () => app.ingest.applied + app.ingest.failed;
  const h: Harness = {
    app,
    counts,
    peer,
    driver,
    async deliver(send) {
      const mark = processed();
      const n = send();
      await eventually(`${n} frames processed`, () => processed() >= mark + n, 10_000);
      await app.ingest.idle();
    },
    room: (n) => app.store.read(async (db) => (await loadRoom(db, n))?.room),
    pbxOp: (room, op, since = 0) =>
      eventually(`PBX op ${op} for room ${room}`, () =>
        driver.done.slice(since).some((o) => o.room === room && o.op === op),
      ),
    async linked() {
      await peer.whenLinked(8000);
      await eventually("the appliance to be linked", () => app.link.state === "linked", 8000);
    },
  };
  await h.linked();
  return h;
}

const SMITH = { reservation: "1001", last: "Smith", first: "Anna" };

for (const { name, make, skip, features } of peerFactories()) {
  const it = (title: string, fn: (h: Harness) => Promise<void>) =>
    test(title, { timeout: 30_000, skip }, async () => fn(await start(make)));

  describe(`PMS features over ${name}`, () => {
    it("check-in and check-out, in the store and on the PBX", async (h) => {
      await h.deliver(() => h.peer.checkIn("101", SMITH));
      const r = await h.room("101");
      assert.equal(r?.occupied, true);
      assert.equal(r?.guests[0]?.lastName, "Smith");
      await h.pbxOp("101", "checkin");
      const mark = h.driver.done.length;
      await h.deliver(() => h.peer.checkOut("101", SMITH));
      assert.equal((await h.room("101"))?.occupied, false);
      await h.pbxOp("101", "checkout", mark);
    });

    it("a name change reaches the store and the PBX", async (h) => {
      await h.deliver(() => h.peer.checkIn("102", SMITH));
      const mark = h.driver.done.length;
      await h.deliver(() => h.peer.rename("102", { ...SMITH, last: "Jones" }));
      assert.equal((await h.room("102"))?.guests[0]?.lastName, "Jones");
      await h.pbxOp("102", "name", mark);
    });

    it("DND, class of service and the message lamp set by the PMS", async (h) => {
      await h.deliver(() => h.peer.checkIn("103", SMITH));
      await h.deliver(() => h.peer.dnd("103", true));
      await h.deliver(() => h.peer.classOfService("103", 1));
      await h.deliver(() => h.peer.lamp("103", true));
      let r = await h.room("103");
      assert.deepEqual([r?.dnd, r?.classOfService, r?.messageLamp], [true, 1, 1]);
      await h.pbxOp("103", "dnd");
      await h.pbxOp("103", "cos");
      await h.deliver(() => h.peer.dnd("103", false));
      await h.deliver(() => h.peer.lamp("103", false));
      r = await h.room("103");
      assert.deepEqual([r?.dnd, r?.messageLamp], [false, 0]);
    });

    it("a wake-up set by the PMS, then cancelled", async (h) => {
      await h.deliver(() => h.peer.checkIn("104", SMITH));
      await h.deliver(() => h.peer.wakeup("104", 6, 45));
      const open = await h.app.store.read((db) => openWakeups(db, "104"));
      assert.equal(open.length, 1);
      assert.equal(open[0]?.source, "pms");
      await h.deliver(() => h.peer.cancelWakeup("104", 6, 45));
      assert.deepEqual(await h.app.store.read((db) => openWakeups(db, "104")), []);
    });

    it("a room move: the guest and the wake-up follow", async (h) => {
      await h.deliver(() => h.peer.checkIn("105", SMITH));
      await h.deliver(() => h.peer.wakeup("105", 7, 15));
      await h.deliver(() => h.peer.move("105", "106", SMITH));
      assert.equal((await h.room("105"))?.occupied, false);
      assert.equal((await h.room("106"))?.guests[0]?.lastName, "Smith");
      assert.equal((await h.app.store.read((db) => openWakeups(db, "106"))).length, 1);
      assert.deepEqual(await h.app.store.read((db) => openWakeups(db, "105")), []);
    });

    it("a database resync brings in the hotel and checks out a guest it does not list", async (h) => {
      const hotel = h.peer.hotel;
      const vacant = hotel.rooms.find((r) => !hotel.guests.some((g) => g.room === r.number));
      assert.ok(vacant);
      await h.deliver(() => h.peer.checkIn(vacant.number, { reservation: "999999", last: "Ghost" }));
      h.peer.resync();
      await eventually("the ghost checked out", async () => (await h.room(vacant.number))?.occupied === false, 15_000);
      for (const g of hotel.guests)
        await eventually(`room ${g.room} occupied`, async () => (await h.room(g.room))?.occupied === true, 15_000);
      await h.app.ingest.idle();
      // Memory given back once started and once the resync was applied.
      await eventually("the trim after the resync", () => h.counts.trims >= 2, 5000);
    });

    it(
      features.keepsUnusable
        ? "a message the appliance cannot apply is kept with its error and does not hold up the next"
        : "a message the link cannot read is refused (NAK), never stored, and does not hold up the next",
      async (h) => {
        await h.deliver(() => h.peer.unusable());
        await h.deliver(() => h.peer.checkIn("107", SMITH));
        assert.equal((await h.room("107"))?.occupied, true);
        const rows = await h.app.store.read((db) => db.select().from(pmsInbox));
        assert.equal(
          rows.some((r) => r.error),
          features.keepsUnusable,
        );
      },
    );

    it("housekeeping entered on the appliance reaches the PMS", async (h) => {
      await h.deliver(() => h.peer.checkIn("108", SMITH));
      await patchRoom(h.app.ctx, "housekeeping", "108", { housekeeping: { status: 3 } });
      await h.peer.waitHousekeeping("108", 3);
      await h.app.sender.idle();
      const rows = await h.app.store.read((db) => db.select().from(pmsOutbox));
      assert.ok(rows.every((x) => x.state === "sent"));
    });

    it("a voice-mail count reaches the PMS", async (h) => {
      await h.deliver(() => h.peer.checkIn("109", SMITH));
      await reportVoicemailCount(h.app.ctx, "109", 2, 0);
      await h.peer.waitVoicemailCount("109", 2);
    });

    it(
      features.wakeupResult
        ? "a wake-up result reaches the PMS once"
        : "a wake-up result is recorded; the protocol has no message for it, so nothing is queued",
      async (h) => {
        await h.deliver(() => h.peer.checkIn("110", SMITH));
        await h.deliver(() => h.peer.wakeup("110", 6, 30));
        const [w] = await h.app.store.read((db) => openWakeups(db, "110"));
        assert.ok(w);
        const before = (await h.app.store.read((db) => db.select().from(pmsOutbox))).length;
        // True when a result message was queued for the PMS.
        assert.equal(await recordWakeupResult(h.app.ctx, w.id, "OK", 1), features.wakeupResult);
        if (features.wakeupResult) {
          await h.peer.waitWakeupResult("110");
          await h.app.sender.idle();
          assert.equal(h.peer.receivedCount("wakeup-result"), 1);
        } else {
          assert.equal((await h.app.store.read((db) => db.select().from(pmsOutbox))).length, before);
          assert.deepEqual(await h.app.store.read((db) => openWakeups(db, "110")), []);
        }
      },
    );

    it("the outbox holds through a cut line: a status entered meanwhile goes out after the link is back", async (h) => {
      await h.deliver(() => h.peer.checkIn("111", SMITH));
      await h.peer.cut();
      await eventually("the link to go down", () => h.app.link.state !== "linked", 10_000);
      await patchRoom(h.app.ctx, "housekeeping", "111", { housekeeping: { status: 2 } });
      await h.peer.restore();
      await h.linked();
      await h.peer.waitHousekeeping("111", 2, 10_000);
    });

    it("nothing goes out during a resync; what was queued meanwhile goes after its end", async (h) => {
      await h.deliver(() => h.peer.checkIn("112", SMITH));
      h.peer.startResync();
      await eventually("the resync to be open", () => h.app.link.state === "resync", 8000);
      await patchRoom(h.app.ctx, "housekeeping", "112", { housekeeping: { status: 4 } });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(h.peer.receivedCount("housekeeping"), 0);
      h.peer.endResync();
      await h.peer.waitHousekeeping("112", 4);
    });
  });
}
