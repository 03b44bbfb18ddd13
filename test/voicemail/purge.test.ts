/** The purge of expired voicemail archives, on an injected clock (issue 12 §5). */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { afterEach, beforeEach, describe, test } from "node:test";
import { PmsIngest } from "../../src/services/pms-ingest.ts";
import { startVoicemailPurge, type VoicemailPurge } from "../../src/voicemail/purge.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";
import { auditOf, deposit, feed, messageRows } from "../services/voicemail-fixture.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe("voicemail purge", () => {
  let t: Temp;
  let ctx: TestContext;
  let ingest: PmsIngest;
  let purge: VoicemailPurge | undefined;

  async function setup(voicemail: Record<string, unknown>) {
    ctx = testContext(t.store, { config: { voicemail } });
    ctx.hooks.voicemailArchived = () => purge?.kick();
    ingest = new PmsIngest(ctx, "latin1");
    await ingest.init();
  }

  /** Advances the clock an hour at a time, letting each purge the timers start finish. */
  async function advance(ms: number) {
    for (let done = 0; done < ms; done += HOUR) {
      ctx.clock.advance(Math.min(HOUR, ms - done));
      await purge?.idle();
    }
  }

  beforeEach(async () => {
    t = await tempStore();
  });
  afterEach(() => {
    purge?.stop();
    purge = undefined;
    t.cleanup();
  });

  test("archived messages go at the first purgeAt after archiveDays; current ones never", async () => {
    await setup({ archiveDays: 2, purgeAt: "03:30" });
    // The test clock starts 2026-11-22 10:00 in Rome.
    await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|", "GI|RN102|G#2|GNJones|GSN|");
    await deposit(ctx, "101");
    const kept = await deposit(ctx, "102");
    await feed(ingest, "GO|RN101|");
    const archived = (await messageRows(ctx)).find((m) => m.room === "101");
    assert.ok(archived?.archivedAt);
    const file = `${ctx.voicemailDir}/${archived.file}`;

    purge = startVoicemailPurge(ctx);
    await purge.idle();
    assert.equal((await messageRows(ctx)).length, 2, "nothing due at start");

    // Archived on the 22nd at 10:00, due on the 24th at 10:00: the purges of the 23rd and the 24th
    // at 03:30 leave it.
    await advance(DAY + 18 * HOUR);
    assert.equal((await messageRows(ctx)).length, 2);
    assert.ok(existsSync(file));
    // The purge of the 25th at 03:30 takes it.
    await advance(DAY);
    const rows = await messageRows(ctx);
    assert.deepEqual(
      rows.map((m) => m.id),
      [kept],
    );
    assert.equal(existsSync(file), false);
    const [entry] = await auditOf(ctx, "voicemail-purge");
    assert.equal(entry.actor, "system");
    assert.equal(entry.at, Date.UTC(2026, 10, 25, 2, 30), "run at 03:30 hotel time");
    const after = entry.after as { messages: number; ids: string[] };
    assert.deepEqual([after.messages, after.ids], [1, [archived.id]]);
    assert.equal((await auditOf(ctx, "voicemail-purge")).length, 1, "one audit row per purge that deleted");
  });

  test("archiveDays 0: the check-out deletes the stay's messages and files", async () => {
    await setup({ archiveDays: 0 });
    purge = startVoicemailPurge(ctx);
    await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|");
    await deposit(ctx, "101");
    const [row] = await messageRows(ctx);
    await feed(ingest, "GO|RN101|");
    await purge.idle();
    assert.deepEqual(await messageRows(ctx), []);
    assert.equal(existsSync(`${ctx.voicemailDir}/${row.file}`), false);
    assert.equal((await auditOf(ctx, "voicemail-purge")).length, 1);
  });

  test("a purge missed while the appliance was off runs at start", async () => {
    await setup({ archiveDays: 1 });
    await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|");
    await deposit(ctx, "101");
    await feed(ingest, "GO|RN101|");
    ctx.clock.advance(3 * DAY);
    purge = startVoicemailPurge(ctx);
    await purge.idle();
    assert.deepEqual(await messageRows(ctx), []);
  });

  test("kick does nothing with a retention; stop leaves no timer", async () => {
    await setup({ archiveDays: 7 });
    purge = startVoicemailPurge(ctx);
    await purge.idle();
    await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|");
    await deposit(ctx, "101");
    await feed(ingest, "GO|RN101|");
    await purge.idle();
    assert.equal((await messageRows(ctx)).length, 1);
    assert.equal(ctx.clock.pendingTimers(), 1);
    purge.stop();
    assert.equal(ctx.clock.pendingTimers(), 0);
  });
});
