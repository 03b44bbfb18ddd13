import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { parseConfig } from "../../src/config/load.ts";
import { type MinibarContext, postMinibarFromPhone, runMinibarCall } from "../../src/services/minibar.ts";
import { listPostings } from "../../src/services/postings.ts";
import { checkInRoom, defineRoom } from "../../src/services/rooms.ts";
import { fakeCall, type ScriptedKey, typed } from "../helpers/fake-channel.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

const article = (nth = 1) => ({ after: nth === 1 ? "minibar-enter-article" : "minibar-next-article", delay: 400 });
const quantity = (nth = 1) => ({ after: "minibar-enter-quantity", nth, delay: 400 });
const confirm = (nth = 1): ScriptedKey => ({ after: "minibar-confirm-menu", nth, delay: 300, key: "1" });

describe("minibar by phone (service)", () => {
  let t: Temp;
  let ctx: TestContext & MinibarContext;
  beforeEach(async () => {
    t = await tempStore();
    ctx = { ...testContext(t.store), postings: parseConfig({ postings: { enabled: true } }).postings };
    await checkInRoom(ctx, "api:frontdesk", "101", { reservation: "R1", lastName: "Dupont" });
    await defineRoom(ctx, "api:installer", "102", { extension: "2102" });
  });
  afterEach(() => t.cleanup());

  const call = (room: string, keys: ScriptedKey[], c: MinibarContext = ctx) => {
    const { channel, prompts } = fakeCall({ keys });
    const run = runMinibarCall(c, channel, {
      prompts,
      lang: "en",
      digitTimeoutMs: 5000,
      maxTries: 3,
      room,
      actor: `phone:${room}`,
      callRef: "call-1",
    });
    return { channel, run };
  };

  test("two articles from an occupied room → two minibar postings, one per entry", async () => {
    const c = call("101", [
      ...typed("12#", article()),
      ...typed("2#", quantity()),
      confirm(),
      ...typed("4011#", article(2)),
      ...typed("#", quantity(2)),
      confirm(2),
    ]);
    const r = await c.run;
    assert.equal(r.result, "done");
    const posted = (await listPostings(ctx)).reverse();
    assert.deepEqual(
      posted.map((p) => [p.kind, p.room, p.reservation, p.article, p.quantity, p.amount, p.source.ref, p.actor]),
      [
        ["minibar", "101", "R1", "12", 2, null, "call-1/1", "phone:101"],
        ["minibar", "101", "R1", "4011", 1, null, "call-1/2", "phone:101"],
      ],
    );
    assert.deepEqual(posted[0].source, { type: "minibar-phone", ref: "call-1/1" });
  });

  test("the same entry stored twice is one posting", async () => {
    await postMinibarFromPhone(ctx, "101", { article: "12", quantity: 1 }, "call-9/1");
    const again = await postMinibarFromPhone(ctx, "101", { article: "12", quantity: 1 }, "call-9/1");
    assert.equal(again.created, false);
    assert.equal((await listPostings(ctx)).length, 1);
  });

  test("a vacant room, or postings off: politely refused, nothing stored", async () => {
    const vacant = call("102", typed("12#", article()));
    assert.deepEqual(await vacant.run, { result: "unavailable", reason: "vacant", posted: [] });
    assert.deepEqual(vacant.channel.labels(), ["minibar-unavailable"]);
    assert.equal(vacant.channel.hungUpBy, "us");

    const off = call("101", typed("12#", article()), { ...ctx, postings: undefined });
    assert.deepEqual(await off.run, { result: "unavailable", reason: "postings-disabled", posted: [] });
    assert.deepEqual(await listPostings(ctx), []);
  });
});
