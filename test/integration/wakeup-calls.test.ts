/**
 * Wake-up calls and the IVR end to end, against real peers on loopback: Kamailio as the PBX (INVITE
 * auth on), sipp room phones (answering with DTMF, ringing out, busy), a sipp front desk, linphonec
 * recording what it hears to a WAV, a sipp caller keying a housekeeping code; the PMS is the PMS
 * simulator over FIAS/TCP, so the proof of every result is the record the PMS received.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { toWallTime } from "../../src/lib/zoned-time.ts";
import { fiasDate, fiasTime } from "../../src/pms/fias/datetime.ts";
import type { FiasRecord } from "../../src/pms/fias/record.ts";
import { listWakeups } from "../../src/services/wakeups.ts";
import { generateHotel } from "../../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../../src/sim/pms/simulator.ts";
import { loadRoom } from "../../src/store/rooms.ts";
import { wakeupHistory } from "../../src/store/wakeup-history.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { wavStats } from "../helpers/wav-stats.ts";
import { PEER_FIXTURES, peerSkip } from "../peers/available.ts";
import { type Kamailio, startKamailio } from "../peers/kamailio.ts";
import { type Sipp, startSipp } from "../peers/sipp.ts";
import { eventually, freePort, HOST, sleep } from "./support.ts";

const TZ = "Europe/Rome";
const skip = peerSkip("kamailio", "sipp");

describe("wake-up calls and IVR against real phones", { skip }, () => {
  let k: Kamailio;
  let sim: PmsSimulator;
  let app: Appliance;
  let config: Config;
  const tmp = tempDir("bellhop-wakeup-");
  const phones: Sipp[] = [];

  async function startApp(): Promise<Appliance> {
    const a = await startAppliance({
      config,
      dataDir: join(tmp.dir, "data"),
      migrationsFolder: MIGRATIONS,
      logger: silentLogger,
      version: "test",
      link: { initWaitMs: 100, backoff: { initialMs: 50, maxMs: 500 } },
    });
    await sim.whenLinked(10_000);
    await eventually("SIP ports registered", () => (a.sip?.freePorts() ?? 0) === 4, 8000);
    return a;
  }

  before(async () => {
    k = await startKamailio({
      sipPort: await freePort(),
      ctlPort: await freePort(),
      defines: ["WITH_INVITE_AUTH"],
      lastUser: 2200,
    });
    sim = new PmsSimulator({ hotel: generateHotel({ rooms: 1, occupancy: 0 }) });
    const pmsPort = await sim.listen(0, HOST);
    const rtpBase = 20000 + 2 * Math.floor(Math.random() * 2000);
    config = parseConfig({
      site: { timezone: TZ },
      pms: { mode: "client", host: HOST, port: pmsPort },
      api: { listen: `127.0.0.1:${await freePort()}` },
      rooms: { extensionTemplate: "2${room}" },
      sip: {
        local: { port: await freePort() },
        pbx: { address: "127.0.0.1", port: k.sipPort, expiresSeconds: 600 },
        ports: ["2001", "2002", "2003", "2004"].map((user) => ({ user, password: "secret" })),
        media: { portMin: rtpBase, portMax: rtpBase + 200 },
      },
      wakeup: {
        rings: 1,
        retries: 1,
        retryIntervalMinutes: 0.05,
        answeredWithoutKey: "answered",
        menuRepeats: 1,
        keyWaitSeconds: 3,
        escalation: { extension: "2110", vipOnly: true, retries: 0 },
        pollSeconds: 1,
      },
      // A call to a port's own number (no feature code in any header) is the guest wake-up service.
      ivr: { housekeeping: ["500"], wakeup: ["501"], defaultService: "wakeup" },
    });
    app = await startApp();
  });

  after(async () => {
    await app?.stop();
    for (const p of phones) await p.stop();
    await sim?.close();
    await k?.stop();
    tmp.cleanup();
  });

  async function phone(scenario: string, user: string, max?: number): Promise<Sipp> {
    const p = await startSipp({ scenario, user, registrar: k.sipPort, max });
    phones.push(p);
    await sleep(200);
    return p;
  }

  /** GI, then a WR due `inMs` from now (FIAS TI with seconds). */
  async function pmsWakeup(room: string, inMs: number, guest = `GI|RN${room}|G#${room}|GNGuest|GLEA|`) {
    sim.send(guest);
    const wall = toWallTime(Date.now() + inMs, TZ);
    const da = fiasDate(wall);
    const ti = fiasTime(wall);
    sim.send(`WR|RN${room}|DA${da}|TI${ti}|`);
    return { da, ti };
  }

  const was = (room: string) => (r: FiasRecord) => r.type === "WA" && r.fields.RN === room;
  const received = (room: string) => sim.received.filter((r) => was(room)(r.record));

  async function history(room: string): Promise<string[]> {
    return app.store.read(async (db) => {
      const rows = await wakeupHistory(db, { room });
      return rows.map((e) => (e.detail ? `${e.event}:${Object.values(e.detail).join(",")}` : e.event));
    });
  }

  test("the guest phone answers and presses 1 → exactly one WA ASOK echoing DA/TI", { timeout: 90000 }, async () => {
    const p = await phone("uas-guest-phone.xml", "2101", 1);
    const { da, ti } = await pmsWakeup("101", 1500);
    const wa = await sim.waitFor(was("101"), 20_000);
    assert.equal(wa.fields.AS, "OK");
    assert.equal(wa.fields.DA, da);
    assert.equal(wa.fields.TI, ti);
    assert.equal(await p.exited, 0, `the phone went as scripted:\n${p.messages().slice(-1500)}`);
    const h = await history("101");
    for (const e of ["placed", "ringing", "answered", "key:1", "confirmed"])
      assert.ok(
        h.some((x) => x === e || x.startsWith(`${e}:`) || x.startsWith(e)),
        `history has ${e}: ${h}`,
      );
    await sleep(500);
    assert.equal(received("101").length, 1, "one WA, not one per try");
  });

  test("a VIP room nobody answers: retry, then the front desk is called, then one WA ASNR", {
    timeout: 90000,
  }, async () => {
    const room = await phone("uas-no-answer.xml", "2102", 2);
    const desk = await phone("uas-guest-phone.xml", "2110", 1);
    await pmsWakeup("102", 500, "GI|RN102|G#102|GNVip|GV5|GLEA|");
    const wa = await sim.waitFor(was("102"), 45_000);
    assert.equal(wa.fields.AS, "NR");
    assert.equal(await room.exited, 0, "the room phone rang twice and was cancelled twice");
    assert.equal(await desk.exited, 0, `the front desk answered the escalation:\n${desk.messages().slice(-1500)}`);
    const h = await history("102");
    assert.equal(h.filter((e) => e.startsWith("placed")).length, 3, `two tries and the escalation: ${h}`);
    assert.ok(
      h.some((e) => e.startsWith("escalated")),
      `${h}`,
    );
    const escalatedAt = h.findIndex((e) => e.startsWith("escalated"));
    const reportedAt = h.findIndex((e) => e.startsWith("reported"));
    assert.ok(reportedAt < 0 || reportedAt > escalatedAt, "WA after the escalation");
    await sleep(500);
    assert.equal(received("102").length, 1);
  });

  test("busy every time → one WA ASBY; no escalation for a room without a VIP", { timeout: 90000 }, async () => {
    const p = await phone("uas-busy.xml", "2103", 2);
    await pmsWakeup("103", 500);
    const wa = await sim.waitFor(was("103"), 30_000);
    assert.equal(wa.fields.AS, "BY");
    assert.equal(await p.exited, 0);
    const h = await history("103");
    assert.equal(h.filter((e) => e.startsWith("placed")).length, 2, `${h}`);
    assert.ok(!h.some((e) => e.startsWith("escalat")), `${h}`);
  });

  test("a room phone keys the housekeeping code 1 23 # → RE RS1 ID23 reaches the PMS", { timeout: 90000 }, async () => {
    sim.send("GI|RN101|G#201|GNAgain|GLEA|");
    const caller = await startSipp({
      scenario: "uac-call-dtmf.xml",
      user: "500",
      remote: `127.0.0.1:${config.sip.local.port}`,
      max: 1,
      extra: ["-timeout", "30s"],
    });
    phones.push(caller);
    const re = await sim.waitFor((r) => r.type === "RE" && r.fields.RN === "101" && r.fields.RS !== undefined, 20_000);
    assert.equal(re.fields.RS, "1");
    assert.equal(re.fields.ID, "23");
    assert.equal(await caller.exited, 0, `the caller's call ended cleanly:\n${caller.messages().slice(-1500)}`);
  });

  test("a caller keying by SIP INFO (offering PCMA only) sets housekeeping 3 with maid 7", {
    timeout: 90000,
  }, async () => {
    sim.send("GI|RN102|G#302|GNInfo|GLEA|");
    await eventually("room 102 known", async () => (await app.store.read((db) => loadRoom(db, "102"))) !== undefined);
    const caller = await startSipp({
      scenario: "uac-call-info.xml",
      user: "500",
      remote: `127.0.0.1:${config.sip.local.port}`,
      max: 1,
      extra: ["-timeout", "30s"],
    });
    phones.push(caller);
    const re = await sim.waitFor((r) => r.type === "RE" && r.fields.RN === "102" && r.fields.RS !== undefined, 20_000);
    assert.equal(re.fields.RS, "3");
    assert.equal(re.fields.ID, "7");
    assert.equal(await caller.exited, 0, `the caller's call ended cleanly:\n${caller.messages().slice(-1500)}`);
    assert.match(caller.messages(), /m=audio \d+ RTP\/AVP 8\r?\n/, "answered in PCMA, the caller's only common codec");
  });

  test("linphonec answers and records the call: the WAV holds the prompt, not silence; then it dials the wake-up service and sets 07:30", {
    skip: peerSkip("linphonec"),
    timeout: 90000,
  }, async () => {
    const home = join(tmp.dir, "lphome");
    mkdirSync(join(home, ".local/share/linphone"), { recursive: true });
    const sipPort = await freePort();
    const rc = join(tmp.dir, "linphonerc");
    writeFileSync(
      rc,
      readFileSync(join(PEER_FIXTURES, "linphone/linphonerc"), "utf8")
        .replace("sip_port=5074", `sip_port=${sipPort}`)
        .replace(/audio_rtp_port=\d+/, `audio_rtp_port=${await freePort()}`),
    );
    const env = { ...process.env, HOME: home };
    const sh = (...args: string[]) =>
      execFileSync("linphonecsh", args, { env, encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "pipe"] });
    const wav = join(tmp.dir, "heard.wav");
    try {
      sh("exit"); // a linphonec left over by an interrupted run holds the control socket
    } catch {
      // none running: the usual case
    }
    sh("init", "-c", rc, "-a", "-d", "1", "-l", join(tmp.dir, "linphone.log"));
    try {
      await sleep(1000);
      sh("generic", "soundcard use files");
      sh("generic", `record ${wav}`);
      sh("register", "--host", `127.0.0.1:${k.sipPort}`, "--username", "2104", "--password", "secret");
      await eventually("linphonec registered", () => k.ulDump().includes("sip:2104@"), 8000);
      await pmsWakeup("104", 500);
      const wa = await sim.waitFor(was("104"), 40_000);
      assert.equal(wa.fields.AS, "OK", "answered without a key counts as answered here");
      await eventually("the WAV is written", () => existsSync(wav) && readFileSync(wav).length > 44 + 8000, 5000);
      const audio = wavStats(readFileSync(wav));
      const prompt = readFileSync(join(import.meta.dirname ?? ".", "../../prompts/en/wakeup.ul")).length / 8000;
      assert.ok(
        audio.seconds >= prompt,
        `recorded ${audio.seconds.toFixed(2)} s, the prompt is ${prompt.toFixed(2)} s`,
      );
      assert.ok(audio.activeSeconds >= prompt * 0.5, `speech in the recording: ${audio.activeSeconds.toFixed(2)} s`);
      assert.ok(audio.rms > 500, `not silence: RMS ${audio.rms.toFixed(0)}`);

      // The guest dials the port through the PBX (407 first) and keys 0730, then 1 at the menu.
      sh("generic", `call sip:2001@127.0.0.1:${k.sipPort}`);
      await eventually(
        "the port answered the guest",
        async () =>
          (await app.store.read((db) => wakeupHistory(db, { room: "104" }))).length > 0 && app.sip?.freePorts() === 3,
        10_000,
      );
      await sleep(1500);
      sh("generic", "0730");
      await sleep(4000 + 5000);
      sh("generic", "1");
      await eventually(
        "the guest's wake-up is stored",
        async () => (await listWakeups(app.ctx, "104")).some((w) => w.source === "phone"),
        20_000,
      );
      const set = (await listWakeups(app.ctx, "104")).find((w) => w.source === "phone");
      assert.ok(set);
      assert.match(set.at, /T07:30:00[+-]\d\d:\d\d$/, `at 07:30 hotel time: ${set.at}`);
    } finally {
      try {
        sh("exit");
      } catch {
        // already gone
      }
      try {
        execFileSync("pkill", ["-KILL", "-f", rc], { stdio: "ignore" }); // it sometimes ignores `exit`
      } catch {
        // not running
      }
    }
  });

  test("a restart while a wake-up is pending: it is still called, once", { timeout: 90000 }, async () => {
    const p = await phone("uas-guest-phone.xml", "2105", 1);
    await pmsWakeup("105", 4000);
    await eventually(
      "the WR is stored",
      async () => (await app.store.read((db) => wakeupHistory(db, { room: "105" }))).length > 0,
      5000,
    );
    await app.stop();
    app = await startApp();
    const wa = await sim.waitFor(was("105"), 30_000);
    assert.equal(wa.fields.AS, "OK");
    assert.equal(await p.exited, 0);
    assert.equal((p.messages().match(/INVITE sip:2105@/g) ?? []).length, 1, "one INVITE reached the phone");
    await sleep(1000);
    assert.equal(received("105").length, 1);
  });
});
