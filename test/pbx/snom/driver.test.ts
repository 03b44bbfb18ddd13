/**
 * The SNOM link through the store and the job runner, against two scripted phones on their own
 * loopback addresses (127.0.0.2 and .3, the same port, as two phones on a VLAN): what each room
 * change sets on the room's phone, a phone that does not answer (retried, named on the link's status,
 * the other room unaffected), a room without a phone, what is skipped, and secrets.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { asc } from "drizzle-orm";
import { parseConfig } from "../../../src/config/load.ts";
import { PbxJobRunner } from "../../../src/jobs/runner.ts";
import { memoryLogger } from "../../../src/lib/logger.ts";
import { parseSnomLinkConfig, type SnomLinkInput } from "../../../src/pbx/snom/config.ts";
import { createSnomDriver, type SnomDriver, snomCapabilities, snomNotOffered } from "../../../src/pbx/snom/driver.ts";
import { checkInRoom, checkOutRoom, defineRoom, patchRoom } from "../../../src/services/rooms.ts";
import { loadRoom } from "../../../src/store/rooms.ts";
import { pbxJobs } from "../../../src/store/schema/index.ts";
import { type TestContext, tempStore, testContext } from "../../helpers/store.ts";
import { ScriptedPhone } from "./phone-server.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

const PASSWORD = "Phone-Admin-pw-77";
const SNOM = {
  idleTemplate: "${title} ${first} ${last}",
  vacantText: "Room ${room}",
  lockWhenBarred: true,
  welcome: { en: { title: "Welcome", text: "Welcome ${last}" } },
  applianceUrl: "http://10.20.0.2:8080",
};

describe("SNOM link: room changes reach the room's phone", () => {
  let t: Temp;
  let ctx: TestContext;
  let a: ScriptedPhone;
  let b: ScriptedPhone;
  let port: number;
  let runner: PbxJobRunner;
  let driver: SnomDriver;
  let logger: ReturnType<typeof memoryLogger>;
  let baseline = 0;

  async function start(link: Partial<SnomLinkInput> = {}, snom: unknown = SNOM) {
    logger = memoryLogger();
    const config = parseConfig({ snom, rooms: { vipLabels: { "1": "VIP" } } });
    driver = createSnomDriver(
      parseSnomLinkConfig({
        type: "snom",
        name: "snom",
        httpPort: port,
        username: "admin",
        password: PASSWORD,
        timeoutSeconds: 1,
        ...link,
      }),
      {
        logger,
        debug: () => true,
        rooms: { room: (n) => t.store.read((db) => loadRoom(db, n)) },
        snom: config.snom,
        vipLabels: config.rooms.vipLabels,
      },
    );
    runner = new PbxJobRunner({ store: t.store, clock: ctx.clock, logger, pollMs: 1000 }, [
      { name: "snom", type: "snom", retries: 2, intervalSeconds: 30, driver, concurrency: 4 },
    ]);
    await runner.start();
    // Defining the rooms queued their (vacant) names: sent now, so each test sees only its own.
    await runner.tick();
    baseline = Math.max(0, ...(await allJobs()).map((j) => j.id));
    assert.ok((await allJobs()).every((j) => j.state === "done"));
    for (const p of [a, b]) {
      p.requests.length = 0;
      p.settings.clear();
    }
  }

  beforeEach(async () => {
    t = await tempStore();
    ctx = testContext(t.store);
    ctx.pbxLinks = () => [{ name: "snom", type: "snom", capabilities: snomCapabilities }];
    a = new ScriptedPhone();
    b = new ScriptedPhone();
    for (const p of [a, b]) {
      p.auth = "digest";
      p.password = PASSWORD;
    }
    port = await a.listen("127.0.0.2");
    await b.listen("127.0.0.3", port);
    await defineRoom(ctx, "api:test", "101", { extension: "2101", phone: { address: "127.0.0.2:5060" } });
    await defineRoom(ctx, "api:test", "102", { extension: "2102", phone: { address: "127.0.0.3:5060" } });
  });

  afterEach(async () => {
    await runner?.stop();
    await Promise.all([a.close(), b.close()]);
    t.cleanup();
  });

  const allJobs = () => t.store.read((db) => db.select().from(pbxJobs).orderBy(asc(pbxJobs.id)));
  const jobs = async () => (await allJobs()).filter((j) => j.id > baseline);
  const states = async () => (await jobs()).map((j) => [j.room, j.op, j.state]);

  test("check-in: the guest's name on the idle screen and the lock in one request, then the welcome", async () => {
    await start();
    await checkInRoom(ctx, "api:test", "101", {
      reservation: "R1",
      title: "Mr",
      firstName: "John",
      lastName: "Smith",
      vip: "1",
    });
    await runner.tick();
    assert.deepEqual(await states(), [
      ["101", "checkin", "done"],
      ["101", "cos", "done"],
    ]);
    const [first, second] = a.of("/dummy.htm");
    assert.deepEqual(first.params, [
      ["settings", "save"],
      ["user_idle_text1", "Mr John Smith"],
      ["keyboard_lock", "off"],
      ["store_settings", "save"],
    ]);
    assert.deepEqual(second.params.slice(1, 2), [["keyboard_lock", "off"]], "CS 3: unlocked");
    assert.deepEqual(a.minibrowser, ["http://10.20.0.2:8080/api/v1/snom/welcome/101.xml"]);
    assert.equal(b.requests.length, 0, "the other room's phone is not touched");
    assert.equal(a.stored.get("user_idle_text1"), "Mr John Smith", "saved to flash");
  });

  test("DND on and off; a name change; check-out shows the vacant text and, barred, locks the keypad", async () => {
    await start();
    await checkInRoom(ctx, "api:test", "101", { reservation: "R1", firstName: "Anna", lastName: "Rossi" });
    await patchRoom(ctx, "api:test", "101", { dnd: true });
    await runner.tick();
    assert.equal(a.settings.get("dnd_mode"), "on");
    await patchRoom(ctx, "api:test", "101", { dnd: false });
    await runner.tick();
    assert.equal(a.settings.get("dnd_mode"), "off");

    await checkInRoom(ctx, "api:test", "101", { reservation: "R1", firstName: "Anna Maria", lastName: "Rossi" });
    await runner.tick();
    assert.equal(a.settings.get("user_idle_text1"), "Anna Maria Rossi");

    await checkOutRoom(ctx, "api:test", "101");
    await runner.tick();
    assert.equal(a.settings.get("user_idle_text1"), "Room 101");
    assert.equal(a.settings.get("keyboard_lock"), "on", "CS 0 with lockWhenBarred");
    const all = await jobs();
    const cleanup = all.find((j) => j.op === "voicemail-cleanup");
    assert.equal(cleanup?.state, "skipped");
    assert.equal(cleanup?.lastError, `skipped: ${snomNotOffered["voicemail-cleanup"]}`);
    assert.ok(all.filter((j) => j.op !== "voicemail-cleanup").every((j) => j.state === "done"));
    assert.equal(a.minibrowser.length, 1, "the welcome only at check-in");
  });

  test("lockWhenBarred off: class of service 0 leaves (and makes) the keypad unlocked; no welcome without it configured", async () => {
    await start({}, { vacantText: "" });
    await checkInRoom(ctx, "api:test", "101", { reservation: "R1", firstName: "Anna", lastName: "Rossi" });
    await checkOutRoom(ctx, "api:test", "101");
    await runner.tick();
    assert.equal(a.settings.get("keyboard_lock"), "off");
    assert.equal(a.settings.get("user_idle_text1"), "", "vacant: the phone's own idle text");
    assert.equal(a.minibrowser.length, 0);
  });

  test("the message lamp and guest info are skipped with the reason", async () => {
    await start();
    await checkInRoom(ctx, "api:test", "101", { reservation: "R1", lastName: "Rossi" });
    await patchRoom(ctx, "api:test", "101", { messageLamp: true });
    await checkInRoom(ctx, "api:test", "101", { reservation: "R1", departure: "2026-12-01" });
    await runner.tick();
    const all = await jobs();
    const lamp = all.find((j) => j.op === "lamp");
    assert.equal(lamp?.state, "skipped");
    assert.equal(lamp?.lastError, `skipped: ${snomNotOffered["message-lamp"]}`);
    assert.equal(all.find((j) => j.op === "guest")?.state, "skipped");
    assert.deepEqual([...(await runner.status())[0].capabilities.available].sort(), [
      "checkin-state",
      "class-of-service",
      "dnd",
      "names",
    ]);
  });

  test("a phone that does not answer: retried by the link's policy, named with its room on the link's status; the other room goes on", async () => {
    await start();
    b.override = () => ({ hang: true });
    await checkInRoom(ctx, "api:test", "102", { reservation: "R2", lastName: "Bianchi" });
    await checkInRoom(ctx, "api:test", "101", { reservation: "R1", lastName: "Rossi" });
    await runner.tick();
    const pending = (await jobs()).filter((j) => j.room === "102");
    assert.equal(pending[0].state, "pending");
    assert.equal(pending[0].attempts, 1);
    assert.equal(pending[0].lastError, `room 102: phone 127.0.0.3:${port} did not answer within 1000 ms`);
    assert.ok(
      (await jobs()).filter((j) => j.room === "101").every((j) => j.state === "done"),
      "room 101 is done",
    );

    const [status] = await runner.status();
    assert.match(status.lastError?.message ?? "", /^room 102: phone 127\.0\.0\.3:\d+ did not answer/);
    assert.equal(status.queueDepth, 2);

    // Still down at the next try; back at the one after.
    ctx.clock.advance(30_000);
    await runner.tick();
    assert.equal((await jobs()).find((j) => j.room === "102")?.attempts, 2);
    b.override = undefined;
    ctx.clock.advance(30_000);
    await runner.tick();
    assert.ok((await jobs()).filter((j) => j.room === "102").every((j) => j.state === "done"));
    assert.equal(b.settings.get("user_idle_text1"), "Bianchi");
    assert.equal((await runner.status())[0].state, "ok");
  });

  test("a phone down for good becomes a dead letter; a refused password fails at once", async () => {
    await start();
    await b.close();
    await checkInRoom(ctx, "api:test", "102", { reservation: "R2", lastName: "Bianchi" });
    for (let i = 0; i < 3; i++) {
      await runner.tick();
      ctx.clock.advance(30_000);
    }
    const dead = (await jobs()).find((j) => j.op === "checkin");
    assert.equal(dead?.state, "dead");
    assert.equal(dead?.attempts, 3);
    assert.match(dead?.lastError ?? "", /^room 102: phone 127\.0\.0\.3:\d+ ECONNREFUSED/);

    a.password = "changed-on-the-phone";
    await checkInRoom(ctx, "api:test", "101", { reservation: "R1", lastName: "Rossi" });
    await runner.tick();
    const refused = (await jobs()).find((j) => j.room === "101" && j.op === "checkin");
    assert.equal(refused?.state, "dead");
    assert.equal(refused?.attempts, 1);
    assert.match(refused?.lastError ?? "", /^room 101: phone 127\.0\.0\.2:\d+ refused the user and password/);
  });

  test("a room without a known phone is a dead letter that says how a phone is learned", async () => {
    await start();
    await checkInRoom(ctx, "api:test", "103", { reservation: "R3", lastName: "Verdi" });
    await runner.tick();
    const j = (await jobs()).find((x) => x.room === "103" && x.op === "checkin");
    assert.equal(j?.state, "dead");
    assert.match(
      j?.lastError ?? "",
      /^room 103 has no known phone: it is learned from the phone's setup \/ log-on action URL/,
    );
  });

  test("the password is in no job, status or log line (debug packet log on)", async () => {
    await start();
    a.password = "not-the-configured-one";
    await checkInRoom(ctx, "api:test", "101", { reservation: "R1", lastName: "Rossi" });
    await checkInRoom(ctx, "api:test", "102", { reservation: "R2", lastName: "Bianchi" });
    await runner.tick();
    const text = JSON.stringify([await jobs(), await runner.status(), logger.lines]);
    assert.ok(text.includes("snom packet"), "the packet log was on");
    assert.ok(!text.includes(PASSWORD));
    assert.ok(!/Digest username|Basic [A-Za-z0-9+/=]{8,}/.test(text));
  });
});
