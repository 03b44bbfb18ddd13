/**
 * Room numbers from the PMS are held to the API's rule (issue 10 §4): a record naming a room the
 * API could not address (`$2089`, 1,900 digits, a `|`-free but spaced number) is refused with a
 * reason that lands in the inbox and so in GET /api/v1/pms `rejected`; it never creates a room, and
 * the records around it still apply.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { asc } from "drizzle-orm";
import { recordFromText, serializeRecord } from "../../src/pms/fias/record.ts";
import { PmsIngest } from "../../src/services/pms-ingest.ts";
import { PmsMonitor } from "../../src/services/pms-monitor.ts";
import { defineRoom } from "../../src/services/rooms.ts";
import { pmsInbox, rooms, wakeups } from "../../src/store/schema/index.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

const LONG = "1".repeat(1900);

describe("PMS records with room numbers the API cannot address", () => {
  let t: Temp;
  let ctx: TestContext;
  let ingest: PmsIngest;

  beforeEach(async () => {
    t = await tempStore();
    ctx = testContext(t.store);
    ingest = new PmsIngest(ctx, "latin1");
    await ingest.init();
  });
  afterEach(() => t.cleanup());

  async function feed(...texts: string[]): Promise<void> {
    for (const text of texts) {
      const rec = recordFromText(text);
      ingest.receive(rec, serializeRecord(rec));
    }
    await ingest.idle();
  }
  const roomNumbers = async () =>
    (await ctx.store.read((db) => db.select({ n: rooms.number }).from(rooms).orderBy(asc(rooms.number)))).map(
      (r) => r.n,
    );
  const errors = async () =>
    (await ctx.store.read((db) => db.select().from(pmsInbox).orderBy(asc(pmsInbox.seq)))).map((r) => r.error);

  test("every record type that names a room: refused, no room created, the valid ones around still applied", async () => {
    await feed(
      "GI|RN101|G#1|GNRossi|",
      "GI|RN$2089|G#2|GNBianchi|",
      `GI|RN${LONG}|G#3|GNVerdi|`,
      "GO|RN20 89|G#4|",
      "RE|RN$2089|DNY|",
      "WR|RN$2089|DA261123|TI070000|",
      "XL|RN$2089|MI1|MTcall home|",
      "GC|RN102|RO$2089|G#5|GNNeri|",
      "GC|RN$2089|RO101|G#1|",
      "GI|RN103|G#6|GNGialli|",
    );
    assert.deepEqual(await roomNumbers(), ["101", "103"], "only the valid rooms exist");
    const e = await errors();
    assert.equal(e[0], null);
    assert.equal(e[1], `GI RN "$2089" is not a room number (a room number is 1-20 letters, digits, '.', '_' or '-')`);
    assert.match(e[2] ?? "", /^GI RN "1{24}…" \(1900 characters\) is not a room number/);
    assert.ok((e[2] ?? "").length < 200, "a long number is cut short in the message");
    assert.match(e[3] ?? "", /^GO RN "20 89" is not a room number/);
    assert.match(e[4] ?? "", /^RE RN "\$2089" is not a room number/);
    assert.match(e[5] ?? "", /^WR RN "\$2089" is not a room number/);
    assert.match(e[6] ?? "", /^XL RN "\$2089" is not a room number/);
    assert.match(e[7] ?? "", /^GC RO "\$2089" is not a room number/);
    assert.match(e[8] ?? "", /^GC RN "\$2089" is not a room number/);
    assert.equal(e[9], null);
    assert.equal((await ctx.store.read((db) => db.select().from(wakeups))).length, 0);

    // GET /api/v1/pms shows them under `rejected`, at the apply stage, with the reason.
    const rejected = await new PmsMonitor(ctx, 10).rejected();
    assert.equal(rejected.length, 8);
    for (const r of rejected) {
      assert.equal(r.stage, "apply");
      assert.match(r.reason, /is not a room number/);
    }
    assert.ok(rejected.some((r) => r.text.includes("RN$2089")));
  });

  test("a refused room move leaves the guest where they were", async () => {
    await feed("GI|RN101|G#1|GNRossi|", "GC|RN$2089|RO101|G#1|");
    const occupied = await ctx.store.read((db) => db.select().from(rooms));
    assert.equal(occupied.length, 1);
    assert.equal(occupied[0].number, "101");
    assert.equal(occupied[0].occupied, true);
  });

  test("the services refuse such a room whoever asks (the one place rooms are created)", async () => {
    await assert.rejects(() => defineRoom(ctx, "api:tech", "$2089", {}), /"\$2089" is not a room number/);
    await assert.rejects(() => defineRoom(ctx, "api:tech", LONG, {}), /\(1900 characters\) is not a room number/);
    assert.deepEqual(await roomNumbers(), []);
  });
});
