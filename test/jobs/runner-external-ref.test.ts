/**
 * The runner and ops that are accepted, not done: the external reference and what a late failure
 * of that attempt means (`lateRetryMs`) are committed with the job at once; capabilities a driver
 * never offers are skipped with its reason; a job that finished while an older job of its room was
 * reopened runs again after that one.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { asc } from "drizzle-orm";
import type { PbxOp } from "../../src/domain/pbx-ops.ts";
import { PbxJobRunner, type RunnerLink } from "../../src/jobs/runner.ts";
import { memoryLogger } from "../../src/lib/logger.ts";
import { PbxError } from "../../src/pbx/driver.ts";
import { finishJob, insertJobs } from "../../src/store/pbx-jobs.ts";
import { pbxJobs } from "../../src/store/schema/index.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";
import { AsyncDriver } from "./async-driver.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

const dnd = (room: string, on = true): PbxOp => ({ op: "dnd", room, extension: room, dnd: on });

describe("PbxJobRunner: accepted ops", () => {
  let t: Temp;
  let ctx: TestContext;
  const runners: PbxJobRunner[] = [];
  let logger: ReturnType<typeof memoryLogger>;

  beforeEach(async () => {
    t = await tempStore();
    ctx = testContext(t.store, { links: ["a"] });
    logger = memoryLogger();
  });

  afterEach(async () => {
    for (const r of runners.splice(0)) await r.stop();
    t.cleanup();
  });

  async function startRunner(link: Partial<RunnerLink> & { driver: RunnerLink["driver"] }): Promise<PbxJobRunner> {
    const runner = new PbxJobRunner({ store: t.store, clock: ctx.clock, logger, pollMs: 1000 }, [
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

  test("the external ref and the late-failure delay are stored with the done job", async () => {
    const driver = new AsyncDriver();
    const runner = await startRunner({ driver });
    await queue(dnd("101"), { op: "name", room: "102", extension: "102", name: "X", occupied: true });
    await runner.tick();
    const [a, b] = await jobs();
    assert.deepEqual([a.state, a.attempts, a.externalRef, a.lateRetryMs], ["done", 1, "r1", 60_000]);
    assert.deepEqual([b.state, b.externalRef, b.lateRetryMs], ["done", null, null], "done at once: no ref");
  });

  test("the last allowed attempt: a late failure would be final (lateRetryMs null)", async () => {
    const driver = new AsyncDriver();
    const runner = await startRunner({ driver, retries: 0 });
    await queue(dnd("101"));
    await runner.tick();
    const [a] = await jobs();
    assert.deepEqual([a.state, a.externalRef, a.lateRetryMs], ["done", "r1", null]);
  });

  test("with retryBackoff the delay doubles with the attempts used", async () => {
    const driver = new AsyncDriver();
    let failures = 2;
    const execute = driver.execute.bind(driver);
    driver.execute = async (op) => {
      if (failures-- > 0) throw new PbxError("PBX busy");
      return execute(op);
    };
    const runner = await startRunner({ driver, retryBackoff: true, intervalSeconds: 10 });
    await queue(dnd("101"));
    await runner.tick();
    ctx.clock.advance(10_000);
    await runner.tick();
    ctx.clock.advance(20_000);
    await runner.tick();
    const [a] = await jobs();
    assert.deepEqual([a.state, a.attempts, a.externalRef, a.lateRetryMs], ["done", 3, "r1", 40_000]);
  });

  test("a capability the driver never offers: skipped with its reason, no warning, not available", async () => {
    const driver = new AsyncDriver();
    const runner = await startRunner({ driver });
    await queue({ op: "cos", room: "101", extension: "101", classOfService: 0 });
    await runner.tick();
    const [a] = await jobs();
    assert.equal(a.state, "skipped");
    assert.equal(a.lastError, "skipped: this PBX has no class of service");
    const [status] = await runner.status();
    assert.deepEqual(status.capabilities.declared, driver.capabilities);
    assert.deepEqual([...status.capabilities.available].sort(), ["checkin-state", "dnd", "names"]);
    assert.equal(status.state, "ok");
    assert.ok(!logger.lines.some((l) => l.msg === "PBX link features disabled"));
  });

  test("the ref is committed as soon as the op returns, before the pass ends", async () => {
    const driver = new AsyncDriver();
    const runner = await startRunner({ driver });
    await queue(dnd("101"), dnd("102"));
    const execute = driver.execute.bind(driver);
    let seen: unknown;
    driver.execute = async (op) => {
      if (op.room === "102") {
        const first = (await jobs())[0];
        seen = [first.state, first.externalRef];
      }
      return execute(op);
    };
    await runner.tick();
    assert.deepEqual(seen, ["done", "r1"]);
  });

  test("a job done while an older job of its room was reopened runs again after it", async () => {
    const driver = new AsyncDriver();
    const runner = await startRunner({ driver });
    await queue(dnd("101", true));
    await runner.tick();
    await queue(dnd("101", false), dnd("102", true));
    driver.hold = true;
    const pass = runner.tick();
    while (driver.waiting === 0) await new Promise((r) => setTimeout(r, 5));
    // The first job's PBX request fails late while the second is in flight: reopened (as
    // failPbxJobLater does).
    await t.store.tx((tx) => finishJob(tx, 1, { state: "pending", nextAttemptAt: ctx.clock.now() }, ctx.clock.now()));
    driver.release();
    await pass; // the pass goes on: job 1 again, then job 2 again
    assert.deepEqual(driver.dnds(), [true, false, true, true, false], "room 101 ends with DND off");
    assert.deepEqual(
      driver.calls.map((c) => c.op.room),
      ["101", "101", "102", "101", "101"],
    );
    const rows = await jobs();
    assert.ok(rows.every((r) => r.state === "done"));
    assert.deepEqual(
      rows.map((r) => r.externalRef),
      ["r4", "r5", "r3"],
    );
    assert.deepEqual(
      rows.map((r) => r.attempts),
      [2, 1, 1],
      "job 1 ran twice; job 2's earlier success was not counted against it",
    );
  });
});
