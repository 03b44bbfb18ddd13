/**
 * End to end through the store: rooms change, the VOIspeed driver talks to a scripted SERI endpoint,
 * VOIspeed accepts (`outcome 0` + `request_id`) and later reports `cmd_failed` for the request, as
 * the event endpoint would pass it on; the job is retried per the link's policy and then becomes a
 * dead letter naming VOIspeed's error. What VOIspeed cannot do is skipped with the reason.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { asc } from "drizzle-orm";
import { PbxJobRunner } from "../../src/jobs/runner.ts";
import { memoryLogger } from "../../src/lib/logger.ts";
import { parseVoispeedLinkConfig } from "../../src/pbx/voispeed/config.ts";
import { createVoispeedDriver, voispeedNotOffered } from "../../src/pbx/voispeed/driver.ts";
import { readCmdFailed, readEvent } from "../../src/pbx/voispeed/wire.ts";
import { failPbxJobLater } from "../../src/services/pbx-async.ts";
import { checkInRoom, checkOutRoom, patchRoom } from "../../src/services/rooms.ts";
import { pbxJobs } from "../../src/store/schema/index.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";
import { ScriptedSeri } from "../pbx/voispeed/seri-server.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

describe("VOIspeed: accepted, then failed (cmd_failed)", () => {
  let t: Temp;
  let ctx: TestContext;
  let server: ScriptedSeri;
  let runner: PbxJobRunner;
  let logger: ReturnType<typeof memoryLogger>;

  beforeEach(async () => {
    t = await tempStore();
    ctx = testContext(t.store, { links: ["vs"] });
    server = new ScriptedSeri();
    server.users = [
      { id: "1", extension: "101" },
      { id: "2", extension: "102" },
    ];
    const port = await server.listen();
    logger = memoryLogger();
    const driver = createVoispeedDriver(
      parseVoispeedLinkConfig({
        type: "voispeed",
        name: "vs",
        url: `http://127.0.0.1:${port}/PBX/seri_endpoint.php`,
        token: server.token,
        notifyKey: "notify-key-0123456789",
        vacantMode: "away",
        ratePerSecond: 1000,
      }),
      { logger, debug: () => true, clock: ctx.clock },
    );
    runner = new PbxJobRunner({ store: t.store, clock: ctx.clock, logger, pollMs: 1000 }, [
      { name: "vs", type: "voispeed", retries: 1, intervalSeconds: 30, driver },
    ]);
    await runner.start();
  });

  afterEach(async () => {
    await runner.stop();
    await server.close();
    t.cleanup();
  });

  const jobs = () => t.store.read((db) => db.select().from(pbxJobs).orderBy(asc(pbxJobs.id)));

  /** VOIspeed's notification as the event endpoint receives it, handed on as it would. */
  async function cmdFailed(requestId: string, text: string) {
    const q = new URLSearchParams({
      event_type: "2",
      event: "1",
      event_name: "cmd_failed",
      ext: "101",
      request_id: ` ${requestId} `,
      error_msg: text,
    });
    const failed = readCmdFailed(readEvent(q));
    assert.ok(failed);
    return failPbxJobLater(ctx, "vs", failed.requestId, failed.error, { graceMs: 0 });
  }

  test("check-in, DND, a cmd_failed retried then dead-lettered with VOIspeed's text", async () => {
    await checkInRoom(ctx, "api:test", "101", { reservation: "R1", firstName: "Élise", lastName: "Dupont" });
    await runner.tick();
    const afterCheckin = await jobs();
    assert.deepEqual(
      afterCheckin.map((j) => [j.op, j.state]),
      [
        ["checkin", "done"],
        ["cos", "skipped"],
      ],
    );
    assert.equal(afterCheckin[1].lastError, `skipped: ${voispeedNotOffered["class-of-service"]}`);
    assert.equal(server.phonebook.get("bellhop/room-101")?.name, "Élise Dupont 101");
    assert.equal(server.modes.get("101"), "1", "vacantMode away: check-in sets the normal mode");

    await patchRoom(ctx, "api:test", "101", { dnd: true });
    await runner.tick();
    const dndJob = (await jobs()).find((j) => j.op === "dnd");
    assert.ok(dndJob);
    assert.equal(dndJob.state, "done");
    const firstId = server.of("set_user_mode").at(-1)?.query;
    assert.deepEqual([firstId?.ext, firstId?.mode], ["101", "2"]);
    assert.ok(dndJob.externalRef && /^\d{14}$/.test(dndJob.externalRef));

    assert.equal(await cmdFailed(dndJob.externalRef, "Utente occupato"), "reopened");
    ctx.clock.advance(30_000);
    await runner.tick();
    const retried = (await jobs()).find((j) => j.id === dndJob.id);
    assert.equal(retried?.state, "done");
    assert.equal(retried?.attempts, 2);
    assert.notEqual(retried?.externalRef, dndJob.externalRef);
    assert.equal(server.of("set_user_mode").filter((r) => r.query.mode === "2").length, 2);

    assert.equal(await cmdFailed(retried?.externalRef ?? "", "Utente occupato"), "dead");
    const dead = (await jobs()).find((j) => j.id === dndJob.id);
    assert.equal(dead?.state, "dead");
    assert.match(dead?.lastError ?? "", /^Utente occupato \(failed after the PBX accepted it as \d{14}\)$/);
    const [status] = await runner.status();
    assert.equal(status.deadLetters, 1);
    assert.deepEqual([...status.capabilities.available].sort(), ["checkin-state", "dnd", "names"]);
    const logText = JSON.stringify(logger.lines);
    assert.ok(!logText.includes(server.token), "the token is in no log line, debug log on");
  });

  test("check-out bars the room and deletes the contact; a late failure of it reruns it before the later DND op", async () => {
    await checkInRoom(ctx, "api:test", "101", { reservation: "R1", lastName: "Smith" });
    await patchRoom(ctx, "api:test", "101", { dnd: true });
    await runner.tick();
    await checkOutRoom(ctx, "api:test", "101");
    await runner.tick();
    assert.equal(server.phonebook.size, 0);
    assert.deepEqual(
      server.of("set_user_mode").map((r) => r.query.mode),
      ["1", "2", "3", "3"],
      "check-in normal, DND, check-out Absent, DND off keeps Absent",
    );
    const checkoutJob = (await jobs()).find((j) => j.op === "checkout");
    assert.ok(checkoutJob?.externalRef);
    assert.equal(await cmdFailed(checkoutJob.externalRef, "timeout"), "reopened");
    ctx.clock.advance(30_000);
    await runner.tick();
    assert.deepEqual(
      server.of("set_user_mode").map((r) => r.query.mode),
      ["1", "2", "3", "3", "3", "3"],
      "the check-out again, then the DND op after it",
    );
    const skipped = (await jobs()).filter((j) => j.state === "skipped").map((j) => j.op);
    assert.deepEqual(skipped.sort(), ["cos", "cos", "voicemail-cleanup"]);
  });
});
