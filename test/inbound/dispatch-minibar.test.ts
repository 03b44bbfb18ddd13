import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { parseConfig } from "../../src/config/load.ts";
import { runInboundCall } from "../../src/inbound/dispatch.ts";
import type { InboundCallInfo } from "../../src/ivr/route.ts";
import { memoryLogger } from "../../src/lib/logger.ts";
import { listPostings } from "../../src/services/postings.ts";
import { checkInRoom, defineRoom } from "../../src/services/rooms.ts";
import { fakeCall, typed } from "../helpers/fake-channel.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

describe("a minibar call through the inbound dispatch", () => {
  let t: Temp;
  let ctx: TestContext;
  const config = parseConfig({ ivr: { minibar: ["*85"] }, postings: { enabled: true } });
  const info = (over: Partial<InboundCallInfo>): InboundCallInfo => ({
    diversionUsers: [],
    historyInfoUsers: [],
    assertedUsers: [],
    ...over,
  });
  beforeEach(async () => {
    t = await tempStore();
    ctx = Object.assign(testContext(t.store), { postings: config.postings });
    await checkInRoom(ctx, "api:frontdesk", "101", { reservation: "R1", lastName: "Weber", language: "GE" });
    await defineRoom(ctx, "api:installer", "102", { extension: "2102" });
  });
  afterEach(() => t.cleanup());

  test("*85 from room 101: the article is charged, in the guest's language", async () => {
    const call = fakeCall({
      keys: [
        ...typed("12#", { after: "minibar-enter-article", delay: 300 }),
        ...typed("2#", { after: "minibar-enter-quantity", delay: 300 }),
        { after: "minibar-confirm-menu", delay: 300, key: "1" },
      ],
    });
    const summary = await runInboundCall(ctx, {
      channel: call.channel,
      prompts: call.prompts,
      ivr: config.ivr,
      info: info({ requestUser: "*85", fromUser: "101" }),
      logger: memoryLogger(),
    });
    assert.deepEqual(summary, { service: "minibar", extension: "101", room: "101", lang: "de", result: "done" });
    const [p] = await listPostings(ctx);
    assert.deepEqual([p.kind, p.room, p.article, p.quantity, p.actor], ["minibar", "101", "12", 2, "phone:101"]);
    assert.ok(call.prompts.requests.every((r) => r.lang === "de"));
  });

  test("*85 from a vacant room: refused politely, nothing charged", async () => {
    const call = fakeCall({});
    const summary = await runInboundCall(ctx, {
      channel: call.channel,
      prompts: call.prompts,
      ivr: config.ivr,
      info: info({ requestUser: "*85", fromUser: "2102" }),
      logger: memoryLogger(),
    });
    assert.equal(summary.result, "unavailable");
    assert.deepEqual(call.channel.labels(), ["minibar-unavailable"]);
    assert.deepEqual(await listPostings(ctx), []);
  });
});
