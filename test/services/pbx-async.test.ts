/**
 * failPbxJobLater through the store and the runner: an accepted op that failed afterwards is reopened
 * per the link's policy, or dead-lettered with the PBX's text once its retries are used; the room's
 * later ops run again after it; unknown and repeated references change nothing.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { asc } from "drizzle-orm";
import type { PbxOp } from "../../src/domain/pbx-ops.ts";
import { PbxJobRunner, type RunnerLink } from "../../src/jobs/runner.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { failPbxJobLater } from "../../src/services/pbx-async.ts";
import { finishJob, insertJobs } from "../../src/store/pbx-jobs.ts";
import { pbxJobs } from "../../src/store/schema/index.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";
import { AsyncDriver } from "../jobs/async-driver.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

const dnd = (room: string, on = true): PbxOp => ({ op: "dnd", room, extension: room, dnd: on });
const NOW_GRACE = { graceMs: 0 };

describe("failPbxJobLater", () => {
  let t: Temp;
  let ctx: TestContext;
  const runners: PbxJobRunner[] = [];

  beforeEach(async () => {
    t = await tempStore();
    ctx = testContext(t.store, { links: ["a"] });
  });

  afterEach(async () => {
    for (const r of runners.splice(0)) await r.stop();
    t.cleanup();
  });

  async function startRunner(link: Partial<RunnerLink> & { driver: RunnerLink["driver"] }): Promise<PbxJobRunner> {
    const runner = new PbxJobRunner({ store: t.store, clock: ctx.clock, logger: silentLogger, pollMs: 1000 }, [
      { name: "a", type: "async", retries: 3, intervalSeconds: 60, ...link },
    ]);
    runners.push(runner);
    await runner.start();
    return runner;
  }

  async function queue(...ops: PbxOp[]): Promise<void> {
    await t.store.tx((tx) =>
      insertJobs(
        tx,
        ops.map((op) => ({ link: "a", op: op.op, room: op.room, payload: op })),
        ctx.clock.now(),
      ),
    );
  }

  const jobs = () => t.store.read((db) => db.select().from(pbxJobs).orderBy(asc(pbxJobs.id)));

  test("reopens the job per the link's policy and kicks the runner; it runs again", async () => {
    const driver = new AsyncDriver();
    const runner = await startRunner({ driver });
    await queue(dnd("101"));
    await runner.tick();
    const kicks = ctx.counters.pbx;
    assert.equal(await failPbxJobLater(ctx, "a", " r1 ", "user 101 busy"), "reopened");
    assert.equal(ctx.counters.pbx, kicks + 1);
    const [j] = await jobs();
    assert.equal(j.state, "pending");
    assert.equal(j.attempts, 1);
    assert.equal(j.nextAttemptAt, ctx.clock.now() + 60_000);
    assert.equal(j.lastError, "user 101 busy (failed after the PBX accepted it as r1)");
    assert.equal(j.externalRef, null);
    await runner.tick();
    assert.equal(driver.calls.length, 1, "not before the interval");
    ctx.clock.advance(60_000);
    await runner.tick();
    assert.equal(driver.calls.length, 2);
    const [again] = await jobs();
    assert.deepEqual([again.state, again.attempts, again.externalRef, again.lastError], ["done", 2, "r2", null]);
  });

  test("retries used up: a dead letter with the PBX's error text", async () => {
    const driver = new AsyncDriver();
    const runner = await startRunner({ driver, retries: 1, intervalSeconds: 5 });
    await queue(dnd("101"));
    await runner.tick();
    assert.equal(await failPbxJobLater(ctx, "a", "r1", "extension locked", NOW_GRACE), "reopened");
    ctx.clock.advance(5_000);
    await runner.tick();
    assert.equal(await failPbxJobLater(ctx, "a", "r2", "extension locked", NOW_GRACE), "dead");
    const [j] = await jobs();
    assert.equal(j.state, "dead");
    assert.equal(j.attempts, 2);
    assert.match(j.lastError ?? "", /^extension locked \(failed after the PBX accepted it as r2\)$/);
    assert.equal((await runner.status())[0].deadLetters, 1);
  });

  test("unknown, repeated, blank or other-link references change nothing", async () => {
    const driver = new AsyncDriver();
    const runner = await startRunner({ driver });
    await queue(dnd("101"));
    await runner.tick();
    assert.equal(await failPbxJobLater(ctx, "a", "r9", "x", NOW_GRACE), "unknown");
    assert.equal(await failPbxJobLater(ctx, "b", "r1", "x", NOW_GRACE), "unknown");
    assert.equal(await failPbxJobLater(ctx, "a", "  ", "x", NOW_GRACE), "unknown");
    assert.equal((await jobs())[0].state, "done");
    assert.equal(await failPbxJobLater(ctx, "a", "r1", "x", NOW_GRACE), "reopened");
    assert.equal(await failPbxJobLater(ctx, "a", "r1", "x", NOW_GRACE), "unknown", "reported twice");
    assert.equal((await jobs())[0].state, "pending");
  });

  test("an empty error text still says something", async () => {
    const driver = new AsyncDriver();
    const runner = await startRunner({ driver });
    await queue(dnd("101"));
    await runner.tick();
    await failPbxJobLater(ctx, "a", "r1", "   ");
    assert.equal((await jobs())[0].lastError, "no reason given (failed after the PBX accepted it as r1)");
  });

  test("the room's later done jobs run again after it, so the newest op's state wins", async () => {
    const driver = new AsyncDriver();
    const runner = await startRunner({ driver });
    await queue(dnd("101", true));
    await runner.tick();
    await queue(dnd("101", false), dnd("102", true));
    await runner.tick();
    assert.deepEqual(driver.dnds(), [true, false, true]);
    assert.equal(await failPbxJobLater(ctx, "a", "r1", "busy", NOW_GRACE), "reopened");
    const rows = await jobs();
    assert.deepEqual(
      rows.map((r) => r.state),
      ["pending", "pending", "done"],
      "room 102's job is not touched",
    );
    assert.equal(rows[1].lastError, "done, runs again after job 1 of the room, which failed after it was accepted");
    assert.equal(rows[1].attempts, 0);
    ctx.clock.advance(60_000);
    await runner.tick();
    assert.deepEqual(driver.dnds(), [true, false, true, true, false], "DND on again, then off again");
    assert.ok((await jobs()).every((r) => r.state === "done"));
  });

  test("a dead job leaves the room's later jobs alone", async () => {
    const driver = new AsyncDriver();
    const runner = await startRunner({ driver, retries: 0 });
    await queue(dnd("101", true));
    await runner.tick();
    await queue(dnd("101", false));
    await runner.tick();
    assert.equal(await failPbxJobLater(ctx, "a", "r1", "busy", NOW_GRACE), "dead");
    assert.deepEqual(
      (await jobs()).map((r) => r.state),
      ["dead", "done"],
    );
  });

  test("a failure that overtakes the commit of its reference is found within the grace period", async () => {
    await queue(dnd("101"));
    const late = failPbxJobLater(ctx, "a", "r1", "busy", { graceMs: 2000 });
    await new Promise((r) => setTimeout(r, 120));
    await t.store.tx((tx) =>
      finishJob(tx, 1, { state: "done", attempts: 1, externalRef: "r1", lateRetryMs: 1000 }, ctx.clock.now()),
    );
    assert.equal(await late, "reopened");
    const [j] = await jobs();
    assert.deepEqual([j.state, j.nextAttemptAt], ["pending", ctx.clock.now() + 1000]);
  });

  test("an unknown reference is answered after the grace period", async () => {
    const t0 = Date.now();
    assert.equal(await failPbxJobLater(ctx, "a", "nope", "busy", { graceMs: 150 }), "unknown");
    assert.ok(Date.now() - t0 >= 140);
  });
});
