import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { snomCapabilities } from "../../src/pbx/snom/driver.ts";
import { checkInRoom, patchRoom } from "../../src/services/rooms.ts";
import { resendSnomRoomState, welcomeFor } from "../../src/services/snom.ts";
import { listJobs } from "../../src/store/pbx-jobs.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

describe("welcome language", () => {
  const w = { en: "E", de: "D", EA: "legacy" };
  test("GL as sent, then its ISO code, then en, then the first entry", () => {
    assert.equal(welcomeFor(w, "ea"), "legacy");
    assert.equal(welcomeFor(w, "GE"), "D");
    assert.equal(welcomeFor(w, " de "), "D");
    assert.equal(welcomeFor(w, "FR"), "E");
    assert.equal(welcomeFor(w, ""), "E");
    assert.equal(welcomeFor({ it: "I", de: "D" }, "JA"), "I");
    assert.equal(welcomeFor({}, "EN"), undefined);
  });
});

describe("resendSnomRoomState", () => {
  let t: Temp;
  let ctx: TestContext;
  beforeEach(async () => {
    t = await tempStore();
    ctx = testContext(t.store);
  });
  afterEach(() => t.cleanup());

  test("queues name, DND and class of service for every SNOM link, nothing for other links", async () => {
    ctx.pbxLinks = () => [
      { name: "zoom", type: "zoom", capabilities: snomCapabilities },
      { name: "snom-a", type: "snom", capabilities: snomCapabilities },
      { name: "snom-b", type: "snom", capabilities: ["dnd"] },
    ];
    await checkInRoom(ctx, "api:test", "101", { reservation: "R1", firstName: "Anna", lastName: "Rossi" });
    await patchRoom(ctx, "api:test", "101", { dnd: true });
    const before = (await t.store.read((db) => listJobs(db, { limit: 100 }))).length;
    const hooks = ctx.counters.pbx;
    assert.deepEqual(await resendSnomRoomState(ctx, "101"), { queued: 4 });
    assert.equal(ctx.counters.pbx, hooks + 1);
    const all = await t.store.read((db) => listJobs(db, { limit: 100 }));
    assert.equal(all.length, before + 4);
    const jobs = all.slice(0, 4).reverse();
    assert.deepEqual(
      jobs.map((j) => [j.link, j.op, j.payload]),
      [
        ["snom-a", "name", { op: "name", room: "101", extension: "101", name: "Anna Rossi 101", occupied: true }],
        ["snom-a", "dnd", { op: "dnd", room: "101", extension: "101", dnd: true }],
        ["snom-a", "cos", { op: "cos", room: "101", extension: "101", classOfService: 3 }],
        ["snom-b", "dnd", { op: "dnd", room: "101", extension: "101", dnd: true }],
      ],
    );
  });

  test("no SNOM link, or an unknown room: nothing queued, no wake-up of the runner", async () => {
    ctx.pbxLinks = () => [{ name: "zoom", type: "zoom", capabilities: snomCapabilities }];
    assert.deepEqual(await resendSnomRoomState(ctx, "101"), { queued: 0 });
    ctx.pbxLinks = () => [{ name: "snom", type: "snom", capabilities: snomCapabilities }];
    assert.deepEqual(await resendSnomRoomState(ctx, "999"), { queued: 0 });
    assert.equal(ctx.counters.pbx, 0);
  });
});
