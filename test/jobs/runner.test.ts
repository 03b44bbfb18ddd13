import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { asc } from "drizzle-orm";
import type { PbxOp } from "../../src/domain/pbx-ops.ts";
import { PbxJobRunner, type RunnerLink } from "../../src/jobs/runner.ts";
import { AppError } from "../../src/lib/errors.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { PbxError } from "../../src/pbx/driver.ts";
import { retryJob } from "../../src/services/jobs.ts";
import { checkInRoom } from "../../src/services/rooms.ts";
import { insertJobs } from "../../src/store/pbx-jobs.ts";
import { pbxJobs } from "../../src/store/schema/index.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";
import { TestDriver } from "../helpers/test-driver.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

const nameOp = (room: string, name = `Guest ${room}`): PbxOp => ({
  op: "name",
  room,
  extension: room,
  name,
  occupied: true,
});
const dndOp = (room: string): PbxOp => ({ op: "dnd", room, extension: room, dnd: true });
const cosOp = (room: string): PbxOp => ({ op: "cos", room, extension: room, classOfService: 3 });
const checkinOp = (room: string): PbxOp => ({
  op: "checkin",
  room,
  extension: room,
  name: `Guest ${room}`,
  arrival: null,
  departure: null,
  vip: "",
  language: "",
  classOfService: 3,
});

describe("PbxJobRunner", () => {
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

  async function startRunner(
    ...links: (Partial<RunnerLink> & { driver: TestDriver; name?: string })[]
  ): Promise<PbxJobRunner> {
    const runner = new PbxJobRunner(
      { store: t.store, clock: ctx.clock, logger: silentLogger, pollMs: 1000 },
      links.map((l) => ({ name: "a", type: "test", retries: 3, intervalSeconds: 60, ...l })),
    );
    runners.push(runner);
    await runner.start();
    return runner;
  }

  async function queue(link: string, ...ops: PbxOp[]): Promise<void> {
    await t.store.tx((tx) =>
      insertJobs(
        tx,
        ops.map((op) => ({ link, op: op.op, room: op.room, payload: op })),
        ctx.clock.now(),
      ),
    );
  }

  const jobs = () => t.store.read((db) => db.select().from(pbxJobs).orderBy(asc(pbxJobs.id)));
  const job = async (id: number) => {
    const j = (await jobs()).find((x) => x.id === id);
    assert.ok(j, `job ${id} exists`);
    return j;
  };

  /** Moves the fake clock and runs a pass, as the runner's own timer would. */
  async function later(runner: PbxJobRunner, ms: number): Promise<void> {
    ctx.clock.advance(ms);
    await runner.tick();
  }

  test("an op that does not apply to its target is skipped with the driver's reason, not dead", async () => {
    const driver = new TestDriver();
    driver.execute = async () => {
      throw new PbxError("extension 201 is a common area: no presence", { skip: true });
    };
    const runner = await startRunner({ driver });
    await queue("a", { op: "dnd", room: "201", extension: "201", dnd: true });
    await runner.tick();
    const [j] = await jobs();
    assert.equal(j.state, "skipped");
    assert.equal(j.lastError, "skipped: extension 201 is a common area: no presence");
    assert.equal((await runner.status())[0].deadLetters, 0);
  });

  test("a failed start-up probe holds the link's jobs (no dead letters) and is tried again", async () => {
    const driver = new TestDriver();
    let down = true;
    driver.probe = async () => {
      if (down) throw new Error("connect ECONNREFUSED");
      return driver.capabilities;
    };
    const runner = await startRunner({ driver });
    assert.equal((await runner.status())[0].state, "error");
    await queue("a", { op: "dnd", room: "101", extension: "101", dnd: true });
    await runner.tick();
    assert.equal((await jobs())[0].state, "pending", "waits while the PBX is unreachable");
    assert.equal((await jobs())[0].attempts, 0);
    down = false;
    await later(runner, 31_000);
    await runner.tick();
    assert.equal((await jobs())[0].state, "done");
    assert.equal((await runner.status())[0].state, "ok");
  });

  test("the debug flag is switched at run time and shows in the status", async () => {
    const debug = { on: false };
    const runner = await startRunner({ driver: new TestDriver(), debug });
    assert.equal((await runner.status())[0].debug, false);
    assert.equal(runner.setDebug("a", true), true);
    assert.equal(debug.on, true, "the driver reads this very object");
    assert.equal((await runner.status())[0].debug, true);
    assert.equal(runner.setDebug("nope", true), false);
  });

  test("ops of different rooms run side by side up to the link's concurrency", async () => {
    const driver = new TestDriver();
    let inFlight = 0;
    let most = 0;
    const execute = driver.execute.bind(driver);
    driver.execute = async (op) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return execute(op);
    };
    const runner = await startRunner({ driver, concurrency: 3 });
    await queue(
      "a",
      ...["101", "102", "103", "104", "105", "106"].map((room) => ({
        op: "dnd" as const,
        room,
        extension: room,
        dnd: true,
      })),
    );
    await runner.tick();
    assert.equal(most, 3);
    assert.equal((await jobs()).filter((j) => j.state === "done").length, 6);
  });

  test("a successful job is marked done", async () => {
    const driver = new TestDriver();
    const runner = await startRunner({ driver });
    await queue("a", nameOp("101"));
    await runner.tick();
    assert.deepEqual(driver.calls, [nameOp("101")]);
    const j = await job(1);
    assert.equal(j.state, "done");
    assert.equal(j.attempts, 1);
    assert.equal(j.lastError, null);
    const [s] = await runner.status();
    assert.equal(s.state, "ok");
    assert.equal(s.lastSuccess, new Date(ctx.clock.now()).toISOString());
    assert.equal(s.queueDepth, 0);
  });

  test("ops from a check-in reach the driver in order", async () => {
    const driver = new TestDriver();
    const runner = await startRunner({ driver });
    await checkInRoom(ctx, "api:frontdesk", "101", { reservation: "1", firstName: "Ann", lastName: "Smith" });
    assert.equal(ctx.counters.pbx, 1);
    await runner.tick();
    assert.deepEqual(
      driver.done.map((o) => o.op),
      ["checkin", "cos"],
    );
    assert.ok((await jobs()).every((j) => j.state === "done"));
  });

  test("a failed job is retried after intervalSeconds, not before", async () => {
    const driver = new TestDriver().fail(1);
    const runner = await startRunner({ driver });
    await queue("a", nameOp("101"));
    const start = ctx.clock.now();
    await runner.tick();
    let j = await job(1);
    assert.equal(j.state, "pending");
    assert.equal(j.attempts, 1);
    assert.equal(j.nextAttemptAt, start + 60_000);
    assert.equal(j.lastError, "PBX unreachable");

    await runner.tick();
    await later(runner, 59_999);
    assert.equal(driver.calls.length, 1, "not due yet");

    await later(runner, 1);
    j = await job(1);
    assert.equal(j.state, "done");
    assert.equal(j.attempts, 2);
    assert.equal(j.lastError, null);
    assert.equal(driver.calls.length, 2);
  });

  test("3 retries = 4 attempts, then a dead letter; retryJob revives it", async () => {
    const driver = new TestDriver().fail(4, "connection refused");
    const runner = await startRunner({ driver });
    await queue("a", nameOp("101"));
    await runner.tick();
    for (let i = 0; i < 3; i++) await later(runner, 60_000);
    let j = await job(1);
    assert.equal(j.state, "dead");
    assert.equal(j.attempts, 4);
    assert.equal(j.lastError, "connection refused");
    assert.equal(driver.calls.length, 4);

    await later(runner, 600_000);
    assert.equal(driver.calls.length, 4, "a dead letter is not tried again by itself");
    let [s] = await runner.status();
    assert.equal(s.deadLetters, 1);
    assert.equal(s.queueDepth, 0);
    assert.equal(s.state, "error");

    const view = await retryJob(ctx, "api:admin", 1);
    assert.equal(view.state, "pending");
    assert.equal(view.attempts, 0);
    assert.equal(ctx.counters.pbx, 1);
    [s] = await runner.status();
    assert.equal(s.deadLetters, 0);
    assert.equal(s.queueDepth, 1);

    await runner.tick();
    j = await job(1);
    assert.equal(j.state, "done");
    assert.equal(j.attempts, 1);
    assert.equal(driver.calls.length, 5);
    await assert.rejects(retryJob(ctx, "api:admin", 1), (e) => e instanceof AppError && e.code === "CONFLICT");
    await assert.rejects(retryJob(ctx, "api:admin", 99), (e) => e instanceof AppError && e.code === "NOT_FOUND");
  });

  test("a rate limit (countsAsAttempt false) waits retryAfterMs and uses up no retry", async () => {
    const driver = new TestDriver().failWith(
      3,
      { countsAsAttempt: false, retryAfterMs: 5000 },
      "429 Too Many Requests",
    );
    const runner = await startRunner({ driver, retries: 0 });
    await queue("a", nameOp("101"));
    const start = ctx.clock.now();
    await runner.tick();
    let j = await job(1);
    assert.equal(j.state, "pending");
    assert.equal(j.attempts, 0);
    assert.equal(j.nextAttemptAt, start + 5000);
    await later(runner, 5000);
    await later(runner, 5000);
    assert.equal((await job(1)).state, "pending");
    await later(runner, 5000);
    j = await job(1);
    assert.equal(j.state, "done");
    assert.equal(j.attempts, 1);
    assert.equal(driver.calls.length, 4);
  });

  test("a rate limit without a pause on a link with intervalSeconds 0 waits a poll, not a tight loop", async () => {
    const driver = new TestDriver().failWith(1000, { countsAsAttempt: false }, "429 Too Many Requests");
    const runner = await startRunner({ driver, intervalSeconds: 0 });
    await queue("a", nameOp("101"));
    const start = ctx.clock.now();
    await runner.tick();
    assert.equal(driver.calls.length, 1);
    const j = await job(1);
    assert.equal(j.state, "pending");
    assert.equal(j.nextAttemptAt, start + 1000, "pollMs");
    await later(runner, 1000);
    assert.equal(driver.calls.length, 2);
  });

  test("counted failures on a link with intervalSeconds 0 are retried at once, up to the retries", async () => {
    const driver = new TestDriver().fail(10);
    const runner = await startRunner({ driver, intervalSeconds: 0 });
    await queue("a", nameOp("101"));
    await runner.tick();
    assert.equal(driver.calls.length, 4);
    assert.equal((await job(1)).state, "dead");
  });

  test("retryAfterMs on a counted failure replaces the interval", async () => {
    const driver = new TestDriver().failWith(1, { retryAfterMs: 2000 }, "503 busy");
    const runner = await startRunner({ driver });
    await queue("a", nameOp("101"));
    const start = ctx.clock.now();
    await runner.tick();
    const j = await job(1);
    assert.equal(j.attempts, 1);
    assert.equal(j.nextAttemptAt, start + 2000);
    await later(runner, 2000);
    assert.equal((await job(1)).state, "done");
  });

  test("with retries 0 the first counted failure is a dead letter", async () => {
    const driver = new TestDriver().fail(1);
    const runner = await startRunner({ driver, retries: 0 });
    await queue("a", nameOp("101"));
    await runner.tick();
    const j = await job(1);
    assert.equal(j.state, "dead");
    assert.equal(j.attempts, 1);
  });

  test("a non-retryable error is a dead letter at once", async () => {
    const driver = new TestDriver().failWith(1, { retryable: false }, "unknown extension 101");
    const runner = await startRunner({ driver });
    await queue("a", nameOp("101"));
    await runner.tick();
    const j = await job(1);
    assert.equal(j.state, "dead");
    assert.equal(j.attempts, 1);
    assert.equal(j.lastError, "unknown extension 101");
    await later(runner, 3_600_000);
    assert.equal(driver.calls.length, 1);
  });

  test("an op whose capability is unavailable is skipped with the reason", async () => {
    const driver = new TestDriver().removeCapability("dnd");
    const limited = new TestDriver(["names", "checkin-state"]);
    const runner = await startRunner({ driver }, { name: "b", driver: limited });
    assert.equal(driver.probes, 1);
    await queue("a", dndOp("101"), nameOp("101"));
    await queue("b", cosOp("101"), nameOp("101"));
    await runner.tick();
    const rows = await jobs();
    assert.deepEqual(
      rows.map((j) => [j.link, j.op, j.state, j.lastError]),
      [
        ["a", "dnd", "skipped", "skipped: dnd is not available on this test installation"],
        ["a", "name", "done", null],
        ["b", "cos", "skipped", "skipped: test links have no class-of-service capability"],
        ["b", "name", "done", null],
      ],
    );
    assert.deepEqual(
      driver.calls.map((o) => o.op),
      ["name"],
    );
    assert.deepEqual(
      limited.calls.map((o) => o.op),
      ["name"],
    );
    const [a, b] = await runner.status();
    assert.ok(a.capabilities.declared.includes("dnd"));
    assert.ok(!a.capabilities.available.includes("dnd"));
    assert.deepEqual([...b.capabilities.available].sort(), ["checkin-state", "names"]);
    await assert.doesNotReject(retryJob(ctx, "api:admin", 1), "a skipped job can be retried by hand");
  });

  test("a room's ops stay in order while an earlier one waits for its retry", async () => {
    const driver = new TestDriver().fail(1, "timeout", (op) => op.op === "checkin");
    const runner = await startRunner({ driver });
    await queue("a", checkinOp("101"), nameOp("101"), nameOp("102"));
    await runner.tick();
    assert.deepEqual(
      driver.calls.map((o) => `${o.room}:${o.op}`),
      ["101:checkin", "102:name"],
    );
    assert.deepEqual(
      (await jobs()).map((j) => j.state),
      ["pending", "pending", "done"],
    );
    await later(runner, 30_000);
    assert.equal(driver.calls.length, 2, "the name op of 101 waits behind its check-in");
    await later(runner, 30_000);
    assert.deepEqual(
      driver.done.map((o) => `${o.room}:${o.op}`),
      ["102:name", "101:checkin", "101:name"],
    );
    assert.ok((await jobs()).every((j) => j.state === "done"));
  });

  test("many queued ops of a waiting room do not hold up other rooms", async () => {
    const driver = new TestDriver().fail(1, "timeout", (op) => op.room === "101");
    const runner = await startRunner({ driver });
    await queue("a", ...Array.from({ length: 100 }, (_, i) => nameOp("101", `Guest ${i}`)), nameOp("102"));
    await runner.tick();
    assert.deepEqual(
      driver.done.map((o) => o.room),
      ["102"],
    );
    await later(runner, 60_000);
    assert.equal(driver.done.length, 101);
    assert.deepEqual(driver.done.at(-1), nameOp("101", "Guest 99"));
  });

  test("a failing link does not hold up another", async () => {
    const broken = new TestDriver().fail(100);
    const working = new TestDriver();
    const runner = await startRunner({ name: "a", driver: broken }, { name: "b", driver: working });
    await queue("a", nameOp("101"));
    await queue("b", nameOp("101"));
    await runner.tick();
    assert.equal(working.done.length, 1);
    const [a, b] = await runner.status();
    assert.equal(a.state, "error");
    assert.equal(b.state, "ok");
  });

  test("status reports queue depth, dead letters, last error and capabilities per link", async () => {
    const driver = new TestDriver()
      .removeCapability("voicemail-cleanup")
      .failWith(1, { retryable: false }, "bad credentials", (op) => op.room === "101")
      .fail(1, "socket closed", (op) => op.room === "102");
    const other = new TestDriver();
    const runner = await startRunner({ name: "a", driver }, { name: "b", driver: other });
    let [a, b] = await runner.status();
    assert.equal(a.state, "ok", "a successful start-up probe makes the link healthy");
    assert.equal(a.lastError, null);
    assert.equal(a.lastSuccess, null);

    await queue("a", nameOp("101"), nameOp("102"), nameOp("103"), dndOp("103"));
    await runner.tick();
    [a, b] = await runner.status();
    assert.equal(a.name, "a");
    assert.equal(a.type, "test");
    assert.equal(a.deadLetters, 1);
    assert.equal(a.queueDepth, 1, "102 waits for its retry");
    assert.deepEqual(a.lastError, { at: new Date(ctx.clock.now()).toISOString(), message: "socket closed" });
    assert.equal(a.state, "ok", "103's ops went through after the failures");
    assert.deepEqual([...a.capabilities.available].sort(), [
      "checkin-state",
      "class-of-service",
      "dnd",
      "guest-info",
      "names",
    ]);
    assert.equal(b.queueDepth, 0);
    assert.equal(b.deadLetters, 0);
    assert.equal(b.state, "ok", "probed fine, no job run yet");

    await later(runner, 60_000);
    [a] = await runner.status();
    assert.equal(a.queueDepth, 0);
    assert.equal(a.deadLetters, 1);
    assert.equal(a.lastError?.message, "socket closed", "the last error stays visible after recovery");
  });

  test("a failing start-up probe marks the link failing but keeps its declared capabilities", async () => {
    const driver = new TestDriver();
    driver.probe = async () => {
      throw new Error("401 Unauthorized");
    };
    const runner = await startRunner({ driver });
    const [s] = await runner.status();
    assert.equal(s.state, "error");
    assert.match(s.lastError?.message ?? "", /start-up probe failed: 401 Unauthorized/);
    assert.deepEqual([...s.capabilities.available], [...driver.capabilities]);
  });

  test("stop closes the drivers and no pass runs after it", async () => {
    const driver = new TestDriver();
    const runner = await startRunner({ driver });
    await runner.stop();
    assert.equal(driver.closed, true);
    await queue("a", nameOp("101"));
    await runner.tick();
    assert.equal(driver.calls.length, 0);
  });
});
