/**
 * A SNOM link commissioned against the simulators (issue 14 §4): the whole appliance (staff API over
 * HTTP, FIAS link to the PMS simulator over TCP, job runner, the real SNOM driver and client) and two
 * simulated SNOM phones (src/sim/snom) on 127.0.0.2 and 127.0.0.3 with one common port and Digest
 * authentication. Their setup / log-on action URLs point at the appliance's phone-events route, as an
 * installer configures them, and they call it from their own addresses.
 *
 * Room 101's phone is set through PUT /api/v1/rooms (address only), room 102's is learned from its
 * phone's setup action URL (room 102's first job, before that, is a dead letter saying the room has no
 * known phone). Then, from the PMS: GI → the guest's name on the idle screen; RE DN → DND;
 * RE CS → the keypad lock; GO → the vacant text and (checkoutClassOfService 0, lockWhenBarred) the
 * lock; a phone down → the jobs retried then dead, the link's status naming the room; the phone
 * booting again → its room's current state sent again.
 *
 * Proven elsewhere, not repeated: the welcome page's languages and source checks
 * (test/api/snom-phones.test.ts; here only that each phone's minibrowser gets its own room's page), the client's Basic / Digest / stale-nonce handling
 * (test/pbx/snom/client.test.ts), the password in no API answer or log line
 * (test/api/snom-appliance.test.ts).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import { memoryLogger } from "../../src/lib/logger.ts";
import { serve } from "../../src/runtime/serve.ts";
import { generateHotel } from "../../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../../src/sim/pms/simulator.ts";
import { SnomSimulator } from "../../src/sim/snom/simulator.ts";
import { createToken } from "../../src/store/tokens.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { eventually, explained, freePort, HOST } from "./support.ts";

const USER = "admin";
const PASSWORD = "snom-int-Phone-pw-42";
const STAMP = "GA261120|GD261127|";

function it(name: string, fn: () => Promise<void>): void {
  test(name, { timeout: 15_000 }, fn);
}

interface JobView {
  id: number;
  room: string | null;
  op: string;
  state: string;
  attempts: number;
  lastError: string | null;
}

interface LinkView {
  name: string;
  state: string;
  lastError: { at: string; message: string } | null;
  queueDepth: number;
  deadLetters: number;
}

describe("SNOM link commissioned against the simulators (PMS over FIAS/TCP, two SNOM phones over HTTP)", () => {
  const logger = memoryLogger();
  let sim: SnomSimulator;
  let pms: PmsSimulator;
  let app: Appliance;
  let t: ReturnType<typeof tempDir>;
  let admin: string;
  let api: string;
  let phonePort: number;

  before(async () => {
    const apiPort = await freePort();
    api = `http://127.0.0.1:${apiPort}/api/v1`;
    const report = `${api}/phone-events/snom?mac=$mac&ip=$phone_ip&user=$active_user`;
    // The phones announce themselves only when told to (each test decides when a phone "boots").
    sim = new SnomSimulator({
      phones: 2,
      user: USER,
      password: PASSWORD,
      auth: "digest",
      announce: false,
      actionTimeoutMs: 2000,
      rebootMs: 100,
      settings: { action_setup_url: report, action_log_on_url: report },
    });
    [{ port: phonePort }] = await sim.listen(0, "127.0.0.2");
    pms = new PmsSimulator({ hotel: generateHotel({ rooms: 2, occupancy: 0 }) });
    const pmsPort = await pms.listen(0, HOST);
    t = tempDir("bellhop-snom-int-");
    app = await startAppliance({
      config: parseConfig({
        site: { timezone: "Europe/Rome" },
        api: { listen: `127.0.0.1:${apiPort}` },
        pms: { mode: "client", host: HOST, port: pmsPort },
        phones: { networks: ["127.0.0.0/8"] },
        pbx: {
          pollMs: 50,
          links: [
            {
              type: "snom",
              name: "phones",
              httpPort: phonePort,
              username: USER,
              password: PASSWORD,
              timeoutSeconds: 1,
              retries: 2,
              intervalSeconds: 0.2,
            },
          ],
        },
        snom: {
          idleTemplate: "${first} ${last}",
          vacantText: "Room ${room}",
          lockWhenBarred: true,
          welcome: { en: { title: "Welcome", text: "Welcome, ${title} ${last}" } },
          applianceUrl: `http://127.0.0.1:${apiPort}`,
        },
      }),
      dataDir: t.dir,
      migrationsFolder: MIGRATIONS,
      logger,
      version: "t",
      serve,
      link: { initWaitMs: 200, backoff: { initialMs: 50, maxMs: 500 } },
    });
    admin = await app.store.tx((tx) => createToken(tx, "engineer", "admin", Date.now()));
    await pms.whenLinked(5000);
    await eventually("the appliance linked to the PMS", () => app.link.state === "linked");
  });

  after(async () => {
    await app?.stop();
    await pms?.close();
    await sim?.close();
    t?.cleanup();
  });

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${admin}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  }

  const jobs = async (query: string) => ((await call("GET", `/pbx/jobs?${query}`)).json as { jobs: JobView[] }).jobs;
  /** The link's jobs of one room (the route filters by link and state only). */
  const roomJobs = async (room: string, state?: string) =>
    (await jobs(`link=phones${state ? `&state=${state}` : ""}&limit=500`)).filter((j) => j.room === room);
  const link = async () =>
    ((await call("GET", "/pbx/links")).json as { links: LinkView[] }).links.find((l) => l.name === "phones");
  const phone1 = () => sim.phone(1);
  const phone2 = () => sim.phone(2);

  /** What the phones saw and the link's jobs, appended to a failed wait's error. */
  const diag = () =>
    [
      "phone requests (last 10):",
      ...sim.requests
        .slice(-10)
        .map((r) => `  ${r.ip} ${r.path}?${r.query} → ${r.status} auth ${r.auth}${r.fault ? ` fault ${r.fault}` : ""}`),
      "action URLs fired (last 6):",
      ...sim.phones
        .flatMap((p) => p.fired.map((a) => ({ ip: p.ip, a })))
        .slice(-6)
        .map(({ ip, a }) => `  ${ip} ${a.event} ${a.url} → ${a.status ?? a.error}`),
    ].join("\n");
  const until = (what: string, cond: () => boolean | Promise<boolean>, ms = 5000) =>
    explained(eventually(what, cond, ms, 10), diag);

  async function fromPms(...records: string[]): Promise<void> {
    const mark = app.ingest.applied + app.ingest.failed;
    for (const r of records) pms.send(r);
    await eventually("the PMS records applied", () => app.ingest.applied + app.ingest.failed >= mark + records.length);
    await app.ingest.idle();
  }

  async function settled(): Promise<void> {
    await until("link idle", async () => (await jobs("link=phones&state=pending")).length === 0);
    await sim.idle();
  }

  const screen = (p: ReturnType<typeof phone1>) => [p.idleText(), p.dnd, p.keyboardLock];

  /** Dead letters after the first test's (room 102's name before its phone was known). */
  let deadBefore = 0;
  const newDead = async () => (await jobs("link=phones&state=dead")).filter((j) => j.id > deadBefore);

  it("room 101's phone by PUT /api/v1/rooms; room 102's learned from its phone's setup action URL → the vacant state", async () => {
    assert.equal(
      (await call("PUT", "/rooms/101", { phone: { address: `127.0.0.2:5060` } })).status,
      201,
      "room 101 with its phone's address",
    );
    assert.equal((await call("PUT", "/rooms/102", {})).status, 201, "room 102, its phone unknown");
    // Nowhere to send room 102's (vacant) name yet: a dead letter that says so.
    await until("room 102's name job dead", async () =>
      (await roomJobs("102", "dead")).some((j) => /room 102 has no known phone/.test(j.lastError ?? "")),
    );

    // Phone 2 boots: setup and log-on fire from 127.0.0.3 with its MAC and extension 102.
    phone2().announce();
    await sim.idle();
    assert.deepEqual(
      phone2().fired.map((a) => [a.event, a.status]),
      [
        ["setup", 200],
        ["log_on", 200],
      ],
    );
    const room = (await call("GET", "/rooms/102")).json as { phone: { address: string | null; mac: string | null } };
    assert.equal(room.phone.address?.split(":")[0], "127.0.0.3");
    assert.equal(room.phone.mac, "00:04:13:00:00:02");
    await until("room 102's vacant state on phone 2", () => phone2().idleText() === "Room 102");
    await settled();
    assert.deepEqual(screen(phone2()), ["Room 102", false, true], "vacant, no DND, barred (CS 0, lockWhenBarred)");
    assert.deepEqual(screen(phone1()), ["Room 101", false, false], "defining room 101 sent its (vacant) name only");
    const dead = await jobs("link=phones&state=dead");
    assert.deepEqual(
      dead.map((j) => [j.room, j.op]),
      [["102", "name"]],
    );
    deadBefore = Math.max(0, ...(await jobs("link=phones")).map((j) => j.id));
    assert.ok(phone2().settings.isStored("user_idle_text1"), "saved with store_settings=save");
    assert.ok(
      sim.requests.every((r) => r.path === "/dummy.htm" && r.params.store_settings === "save"),
      "settings saves only",
    );
  });

  /** Each phone asked for Digest once (its first request, 401), and every later request carried it at once. */
  function digestOnce(p: ReturnType<typeof phone1>): void {
    const [first, ...rest] = p.requests;
    assert.deepEqual([first?.status, first?.auth], [401, "missing"]);
    assert.ok(rest.length > 0);
    for (const r of rest) assert.deepEqual([r.status, r.auth], [200, "ok"], `${r.path}?${r.query}`);
  }

  it("check-in (GI) → the guest's name on the room's own phone, keypad unlocked (CS 3), the welcome on its screen", async () => {
    await fromPms(`GI|RN101|G#5101|GNRossi|GFAnna|GTMrs.|GLEA|${STAMP}`);
    await until("Anna Rossi on phone 1", () => phone1().idleText() === "Anna Rossi");
    // The minibrowser fetches the page from the phone's own address, the only one it is served to.
    await until("the welcome on phone 1", () => phone1().screen?.text === "Welcome, Mrs. Rossi");
    assert.deepEqual(
      phone1().fetches.map((f) => [new URL(f.url).pathname, f.status, f.object]),
      [["/api/v1/snom/welcome/101.xml", 200, "SnomIPPhoneText"]],
    );
    await fromPms(`GI|RN102|G#5102|GNNeri|GFLuca|GTMr.|GLIT|${STAMP}`);
    await until("Luca Neri on phone 2", () => phone2().idleText() === "Luca Neri");
    await settled();
    assert.deepEqual(screen(phone1()), ["Anna Rossi", false, false]);
    assert.deepEqual(screen(phone2()), ["Luca Neri", false, false]);
    await until("the welcome on phone 2", () => phone2().screen?.text === "Welcome, Mr. Neri");
    digestOnce(phone1());
    digestOnce(phone2());
    assert.deepEqual(await newDead(), []);
  });

  it("DND from the PMS (RE DN Y, then N) → dnd_mode on and off; the phone then refuses and takes calls", async () => {
    await fromPms("RE|RN101|DNY|");
    await until("DND on phone 1", () => phone1().dnd);
    await settled();
    assert.equal(phone1().incoming("0612345678").endReason, "dnd", "the phone refuses a call under DND");
    assert.equal(phone2().dnd, false, "only the room's phone");
    await fromPms("RE|RN101|DNN|");
    await until("DND off on phone 1", () => !phone1().dnd);
    await settled();
    const c = phone1().incoming("0612345678");
    assert.equal(c.state, "ringing");
    phone1().remoteHangup(c.id);
    const dnd = phone1()
      .requests.filter((r) => r.params.dnd_mode !== undefined)
      .map((r) => r.params.dnd_mode);
    assert.deepEqual(dnd, ["on", "off"]);
  });

  it("class of service 0 from the PMS → keyboard_lock on (the guest cannot dial out, 112 still works); CS 3 → off", async () => {
    await fromPms("RE|RN101|CS0|");
    await until("phone 1 locked", () => phone1().keyboardLock);
    await settled();
    assert.equal(phone1().dial("0612345678"), null, "a locked keypad dials nothing");
    const sos = phone1().dial("112");
    assert.ok(sos, "an emergency number is dialled under the lock");
    phone1().hangup(sos.id);
    await fromPms("RE|RN101|CS3|");
    await until("phone 1 unlocked", () => !phone1().keyboardLock);
    await settled();
  });

  it("check-out (GO) → the vacant text, and the lock (checkoutClassOfService 0 with lockWhenBarred)", async () => {
    await fromPms("GO|RN102|G#5102|");
    await until("phone 2 vacant", () => phone2().idleText() === "Room 102" && phone2().keyboardLock);
    await settled();
    assert.deepEqual(screen(phone2()), ["Room 102", false, true]);
    assert.deepEqual(screen(phone1()), ["Anna Rossi", false, false], "the other room untouched");
    assert.deepEqual(await newDead(), []);
  });

  it("a phone down → its jobs retried, then dead; the link's status names the room; back from a boot → the room's current state again", async () => {
    const p = phone1();
    await p.down();
    const phone2Requests = phone2().requests.length;
    // While the phone is down the guest's name changes and DND goes on.
    await fromPms(`GC|RN101|G#5101|GNBianchi|GFAnna|GTMrs.|${STAMP}`, "RE|RN101|DNY|");
    await until("a job of room 101 retried", async () => (await roomJobs("101")).some((j) => j.attempts >= 2), 5000);
    const l = await link();
    assert.equal(l?.state, "error");
    assert.match(l?.lastError?.message ?? "", /^room 101: phone 127\.0\.0\.2:\d+ /, "the room and its phone");
    await until(
      "both jobs dead",
      async () => (await roomJobs("101", "dead")).length === 2 && (await link())?.queueDepth === 0,
    );
    const dead = await roomJobs("101", "dead");
    assert.deepEqual(dead.map((j) => [j.op, j.attempts]).sort(), [
      ["dnd", 3],
      ["name", 3],
    ]);
    assert.ok(dead.every((j) => /^room 101: phone 127\.0\.0\.2:\d+ /.test(j.lastError ?? "")));
    assert.equal((await link())?.deadLetters, 3, "these two and room 102's from the start");
    assert.deepEqual(screen(p), ["Anna Rossi", false, false], "the phone missed both");

    // The phone boots: its listener is back, setup and log-on fire, the room's state is sent again.
    await p.up({ boot: true });
    await until(
      "the current state on phone 1",
      () => p.idleText() === "Anna Bianchi" && p.dnd && !p.keyboardLock,
      5000,
    );
    await settled();
    assert.deepEqual(
      p.fired.slice(-2).map((a) => [a.event, a.status]),
      [
        ["setup", 200],
        ["log_on", 200],
      ],
    );
    const l2 = await link();
    assert.equal(l2?.state, "ok");
    assert.equal(l2?.queueDepth, 0);
    assert.equal(phone2().requests.length, phone2Requests, "the other phone was not asked anything");
    const resent = (await roomJobs("101", "done")).filter((j) => j.id > Math.max(...dead.map((d) => d.id)));
    assert.deepEqual(
      [...new Set(resent.map((j) => j.op))].sort(),
      ["cos", "dnd", "name"],
      "name, DND and class of service re-sent",
    );
  });
});
