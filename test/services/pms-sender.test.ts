import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { asc } from "drizzle-orm";
import { type FiasRecord, formatRecord, recordFromText } from "../../src/pms/fias/record.ts";
import { PmsSender } from "../../src/services/pms-sender.ts";
import { enqueueOutbox, setOutboxState } from "../../src/store/pms-queue.ts";
import { pmsOutbox } from "../../src/store/schema/index.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

/**
 * A PMS link that records what it was given; `sendLimit` closes it after that many records;
 * `giveUp` makes the next sends fail delivery later (a serial line whose retries ran out).
 */
class FakeLink {
  canSend = true;
  sent: string[] = [];
  refuse = false;
  sendLimit = Number.POSITIVE_INFINITY;
  giveUp = 0;

  sendMessage(text: string, done?: (delivered: boolean, reason?: string) => void): boolean {
    if (!this.canSend || this.refuse) return false;
    let rec: FiasRecord;
    try {
      rec = recordFromText(text);
    } catch {
      return false;
    }
    this.sent.push(formatRecord(rec));
    if (this.sent.length >= this.sendLimit) this.canSend = false;
    if (this.giveUp > 0) {
      this.giveUp--;
      this.canSend = false;
      setTimeout(() => done?.(false, "no ACK after 3 retries"), 5);
    } else done?.(true);
    return true;
  }
}

describe("PmsSender", () => {
  let t: Temp;
  let ctx: TestContext;
  let link: FakeLink;
  let sender: PmsSender;

  const states = async () =>
    (await ctx.store.read((db) => db.select().from(pmsOutbox).orderBy(asc(pmsOutbox.id)))).map((r) => r.state);

  async function queue(...records: string[]): Promise<void> {
    await ctx.store.tx(async (tx) => {
      for (const record of records) await enqueueOutbox(tx, { type: record.slice(0, 2), record }, ctx.clock.now());
    });
  }

  const records = Array.from({ length: 5 }, (_, i) => `WA|RN10${i + 1}|DA261123|TI070000|ASOK|`);

  beforeEach(async () => {
    t = await tempStore();
    ctx = testContext(t.store);
    link = new FakeLink();
    sender = new PmsSender(ctx, link);
    await sender.init();
  });

  afterEach(async () => {
    await sender.idle();
    t.cleanup();
  });

  test("sends pending rows in order and marks them sent", async () => {
    await queue(...records);
    sender.kick();
    await sender.idle();
    assert.deepEqual(link.sent, records);
    assert.deepEqual(await states(), ["sent", "sent", "sent", "sent", "sent"]);
    const rows = await ctx.store.read((db) => db.select().from(pmsOutbox));
    assert.ok(rows.every((r) => r.sentAt === ctx.clock.now()));
  });

  test("stops when the link cannot send and resumes on kick", async () => {
    await queue(...records);
    link.sendLimit = 2;
    sender.kick();
    await sender.idle();
    assert.deepEqual(link.sent, records.slice(0, 2));
    assert.deepEqual(await states(), ["sent", "sent", "pending", "pending", "pending"]);

    sender.kick();
    await sender.idle();
    assert.equal(link.sent.length, 2, "nothing goes while the link is down");

    link.canSend = true;
    link.sendLimit = Number.POSITIVE_INFINITY;
    sender.kick();
    await sender.idle();
    assert.deepEqual(link.sent, records);
    assert.deepEqual(await states(), ["sent", "sent", "sent", "sent", "sent"]);
  });

  test("a row the link refuses stays pending and goes first next time", async () => {
    await queue(...records.slice(0, 2));
    link.refuse = true;
    sender.kick();
    await sender.idle();
    assert.deepEqual(link.sent, []);
    assert.deepEqual(await states(), ["pending", "pending"]);
    link.refuse = false;
    sender.kick();
    await sender.idle();
    assert.deepEqual(link.sent, records.slice(0, 2));
  });

  test("a row the link gives up on (not acknowledged) goes back to pending and is sent again after link-up", async () => {
    await queue(...records.slice(0, 3));
    link.giveUp = 1;
    sender.kick();
    await sender.idle();
    assert.deepEqual(link.sent, records.slice(0, 1));
    assert.deepEqual(await states(), ["pending", "pending", "pending"]);
    link.canSend = true;
    sender.kick();
    await sender.idle();
    assert.deepEqual(link.sent, [records[0], ...records.slice(0, 3)]);
    assert.deepEqual(await states(), ["sent", "sent", "sent"]);
  });

  test("rows queued while draining go out too", async () => {
    await queue(records[0]);
    sender.kick();
    await queue(records[1]);
    sender.kick();
    await sender.idle();
    assert.deepEqual(link.sent, records.slice(0, 2));
    assert.deepEqual(await states(), ["sent", "sent"]);
  });

  test("an invalid row is dropped and the rest still go", async () => {
    await queue(records[0], "G", records[1]);
    sender.kick();
    await sender.idle();
    assert.deepEqual(link.sent, [records[0], records[1]]);
    assert.deepEqual(await states(), ["sent", "dropped", "sent"]);
  });

  test("a row left in sending by a crash counts as sent at init and is not resent", async () => {
    await queue(...records.slice(0, 3));
    await ctx.store.tx((tx) => setOutboxState(tx, 1, "sending", ctx.clock.now()));
    const restarted = new PmsSender(ctx, link);
    await restarted.init();
    assert.deepEqual(await states(), ["sent", "pending", "pending"]);
    restarted.kick();
    await restarted.idle();
    assert.deepEqual(link.sent, records.slice(1, 3));
    assert.deepEqual(await states(), ["sent", "sent", "sent"]);
  });
});
