import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { refreshMwi } from "../../src/services/mwi.ts";
import { defineRoom } from "../../src/services/rooms.ts";
import { listJobs } from "../../src/store/pbx-jobs.ts";
import { tempStore, testContext } from "../helpers/store.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

describe("MWI refresh", () => {
  let t: Temp;
  beforeEach(async () => {
    t = await tempStore();
  });
  afterEach(() => t.cleanup());

  test("queues one lamp job per room with a known phone, with the room's current count", async () => {
    const ctx = testContext(t.store, { links: ["sip-mwi"] });
    await defineRoom(ctx, "api:tech", "101", { phone: { address: "10.0.0.5:5060" } });
    await defineRoom(ctx, "api:tech", "102", {});
    const before = (await t.store.read((db) => listJobs(db, { limit: 100 }))).length;
    assert.deepEqual(await refreshMwi(ctx, "api:desk"), { queued: 1 });
    const jobs = await t.store.read((db) => listJobs(db, { link: "sip-mwi", limit: 100 }));
    assert.equal(jobs.length - before, 1);
    assert.deepEqual(jobs[0].payload, { op: "lamp", room: "101", extension: "101", count: 0, old: 0 });
  });

  test("does nothing when SIP is off (no sip-mwi link)", async () => {
    const ctx = testContext(t.store, { links: ["zoom"] });
    await defineRoom(ctx, "api:tech", "101", { phone: { address: "10.0.0.5:5060" } });
    assert.deepEqual(await refreshMwi(ctx, "api:desk"), { queued: 0 });
  });
});

describe("DND re-assert at start-up", () => {
  let t: Temp;
  beforeEach(async () => {
    t = await tempStore();
  });
  afterEach(() => t.cleanup());

  test("rooms still in DND get a DND op again, for links that handle DND only", async () => {
    const { reassertDnd } = await import("../../src/services/dnd-refresh.ts");
    const { patchRoom } = await import("../../src/services/rooms.ts");
    const ctx = testContext(t.store, { links: ["zoom"] });
    await defineRoom(ctx, "api:tech", "101", {});
    await defineRoom(ctx, "api:tech", "102", {});
    await patchRoom(ctx, "api:desk", "101", { dnd: true });
    const before = (await t.store.read((db) => listJobs(db, { limit: 100 }))).length;
    assert.deepEqual(await reassertDnd(ctx), { queued: 1 });
    const jobs = await t.store.read((db) => listJobs(db, { limit: 100 }));
    assert.equal(jobs.length - before, 1);
    assert.deepEqual(jobs[0].payload, { op: "dnd", room: "101", extension: "101", dnd: true });
    const none = testContext(t.store, { links: [] });
    assert.deepEqual(await reassertDnd(none), { queued: 0 });
  });
});
