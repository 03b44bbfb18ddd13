/**
 * kill -9 of the compiled binary in the middle of a 2,000-room resync. The restart must know the
 * previous run was unclean, ask the PMS for a resync (DR) right after link-up, and end with exactly
 * the hotel's in-house guests: no doubled stays, no leftovers. A clean SIGTERM stop exits 0, and the
 * restart after it asks for nothing.
 *
 * kill -9 in the middle of an answered wake-up call: the restart calls the room again and the PMS
 * gets exactly one WA. Once with plain RTP (a sipp phone over UDP that presses 1), once the Zoom way
 * (issue 11 §4): the port registered over TLS, `sip.media.srtp: "mandatory"`, and baresip as the
 * guest phone (SRTP mandatory, registered over TLS, auto-answers, presses nothing, records what it
 * decrypts); both calls are SRTP, on baresip's side and in the wake-up history.
 *
 * kill -9 in the middle of a voicemail recording (issue 12 §2, §7): a sipp caller forwarded from a
 * room (Diversion) plays the g711a.pcap audio, and 4 s of it are on disk when the binary dies. The
 * restart keeps the message as new (it holds more than voicemail.minSeconds of sound), the PMS gets
 * one `RE VM0100` and the room phone's lamp lights, and the voicemail folder holds that message's
 * file and nothing else.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import type { Client } from "@libsql/client";
import { toWallTime } from "../../src/lib/zoned-time.ts";
import { fiasDate, fiasTime } from "../../src/pms/fias/datetime.ts";
import { type FiasRecord, recordFromText } from "../../src/pms/fias/record.ts";
import { type Guest, generateHotel, guestFields, resyncRecords } from "../../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../../src/sim/pms/simulator.ts";
import { WAV_HEADER_BYTES } from "../../src/voice/g711-wav.ts";
import { apiReady, binaryHarness, frames, killPoints, scalar } from "../helpers/binary.ts";
import { wavStats } from "../helpers/wav-stats.ts";
import { peerSkip } from "../peers/available.ts";
import { type Baresip, kamailioTls, startBaresip } from "../peers/baresip.ts";
import { type Kamailio, startKamailio } from "../peers/kamailio.ts";
import { startSipp } from "../peers/sipp.ts";
import { eventually, explained, freePort, HOST, sleep } from "./support.ts";

const ROOT = resolve(import.meta.dirname ?? ".", "../..");
const STAMP = "DA260115|TI120000|";

// Builds the binary once for the file; kills what is left running and cleans up after it.
const harness = binaryHarness("bellhop-crash-");

/** An admin API token made the way an installer makes one: `bellhop token create` (before the first start is fine). */
function createTokenWithCli(bin: string, dataDir: string): string {
  const res = Bun.spawnSync([bin, "token", "create", "--data", dataDir, "--role", "admin", "--name", "crash-test"], {
    cwd: harness.dir,
    stdout: "pipe",
    stderr: "pipe",
  });
  assert.equal(res.exitCode, 0, `token create failed: ${res.stderr.toString()}`);
  const token = res.stdout.toString().trim().split("\n").pop() ?? "";
  assert.ok(token.length > 16, `a token: ${res.stdout.toString()}`);
  return token;
}

/** Calls baresip auto-answered (it logs `call: answering call on line N from <caller>`). */
function incomingCalls(phone: Baresip): number {
  return (phone.log().match(/call: answering call on line \d+ from/g) ?? []).length;
}

/** Size of a file, 0 when it is not there (yet). */
function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The guest, the PMS simulator, Kamailio and the binary's config of a call crash test. */
interface WakeupRig {
  k: Kamailio;
  sim: PmsSimulator;
  guest: Guest;
  room: string;
  apiPort: number;
  /** The binary's SIP port (UDP unless `tls`): where a caller reaches the ports directly. */
  sipPort: number;
  configFile: string;
  dataDir: string;
}

/**
 * Kamailio (with TLS when `tls`), a one-room hotel whose guest the PMS simulator holds, and the
 * binary's config: one port (2001) registered with Kamailio, over TLS with `sip.media.srtp:
 * "mandatory"` when `tls`; `wakeup` is merged into the wake-up settings.
 */
async function wakeupRig(prefix: string, o: { tls?: boolean; wakeup?: Record<string, unknown> }): Promise<WakeupRig> {
  const k = await startKamailio({
    sipPort: await freePort(),
    ...(o.tls ? { tlsPort: await freePort() } : {}),
    ctlPort: await freePort(),
    lastUser: 2200,
  });
  harness.defer(() => k.stop());
  // The PMS's own hotel holds the guest: the resync the restart asks for (DR) must keep the stay,
  // or its check-out would cancel the wake-up.
  const hotel = generateHotel({ rooms: 1, occupancy: 1 });
  const guest = hotel.guests[0] as Guest;
  const sim = new PmsSimulator({ hotel });
  harness.defer(() => sim.close());
  const pmsPort = await sim.listen(0, HOST);
  const rtp = 24000 + 2 * Math.floor(Math.random() * 1000);
  const media = { portMin: rtp, portMax: rtp + 100 };
  const sipPort = await freePort();
  const { apiPort, dataDir, configFile } = await harness.site(prefix, {
    pbx: { links: [] },
    pms: { mode: "client", host: HOST, port: pmsPort },
    rooms: { extensionTemplate: "2${room}" },
    sip: o.tls
      ? {
          local: { port: sipPort, transport: "tls" },
          pbx: { address: HOST, port: k.tlsPort, expiresSeconds: 600 },
          tls: { caFile: k.caFile ?? null, serverName: "localhost" },
          ports: [{ user: "2001", password: "secret" }],
          media: { ...media, srtp: "mandatory" },
        }
      : {
          local: { port: sipPort },
          pbx: { address: HOST, port: k.sipPort, expiresSeconds: 600 },
          ports: [{ user: "2001", password: "secret" }],
          media,
        },
    wakeup: { pollSeconds: 1, ...o.wakeup },
  });
  return { k, sim, guest, room: guest.room, apiPort, sipPort, configFile, dataDir };
}

describe("crash recovery of the compiled binary", () => {
  for (const kill of killPoints) {
    test(`kill -9 mid-resync (${kill.name}): the restart asks for DR and ends with exactly the hotel's guests; restarts after a clean stop do not`, {
      timeout: 60_000,
    }, async () => {
      const hotel = generateHotel({ rooms: 2000, occupancy: 0.8 });
      const records = resyncRecords(hotel);
      const sim = new PmsSimulator({ hotel });
      harness.defer(() => sim.close());
      const pmsPort = await sim.listen(0, HOST);
      const { apiPort, dataDir, configFile } = await harness.site("bellhop-crash-run-", {
        pms: { mode: "client", host: HOST, port: pmsPort },
      });
      const occupied = new Set(hotel.guests.map((g) => g.room));
      const ghosts = hotel.rooms.filter((r) => !occupied.has(r.number)).slice(0, 3);
      const drs = (connection?: number) =>
        sim.received.filter((r) => r.record.type === "DR" && (connection === undefined || r.connection === connection));

      // ---- run 1: linked, a few real-time check-ins, then a resync killed half-way -----------------
      let linked = once(sim, "linked");
      const run1 = harness.start(configFile, dataDir);
      await linked;
      await apiReady(apiPort, ["linked"]);
      // Opened once the binary created and migrated the file; reads only.
      const db = harness.openDb(dataDir);
      // Stays the coming resync does not list: checked out once it completes. The first ghost holds a
      // real in-house reservation in the wrong room (a room move the PMS sent while we were down): the
      // resync lists it in its own room, and the stale stay must not survive as a second one.
      const movedAway = hotel.guests[hotel.guests.length - 1].reservation;
      ghosts.forEach((r, i) => {
        sim.send(`GI|RN${r.number}|G#${i === 0 ? movedAway : 900001 + i}|GNGhost|GSN|`);
      });
      await eventually("the real-time check-ins", async () => (await scalar(db, "select count(*) from stays")) === 3);

      // DS and the first half of the swap in one write, as a PMS streams it. Two messages ride in the
      // first ingest batch: applied twice (a replay after the kill) the lamp would count 2, not 1.
      const lit = [hotel.guests[0], hotel.guests.find((g) => g.room !== hotel.guests[0].room)].map(
        (g) => g?.room ?? "",
      );
      sim.sendRaw(
        frames([
          recordFromText(`DS|${STAMP}`),
          ...lit.map((room) => recordFromText(`XL|RN${room}|MI1|MTCall the front desk|`)),
          ...records.slice(0, Math.floor(records.length / 2)),
        ]),
      );
      await eventually(`the kill point (${kill.name})`, () => kill.reached(db), 10_000, 1);
      run1.proc.kill("SIGKILL");
      await run1.proc.exited;
      assert.equal(run1.proc.signalCode, "SIGKILL");
      const atKill = {
        inbox: await scalar(db, "select count(*) from pms_inbox"),
        unapplied: await scalar(db, "select count(*) from pms_inbox where applied_at is null"),
        stays: await scalar(db, "select count(*) from stays where active = 1"),
      };
      assert.ok(atKill.inbox < records.length, `the kill came after the whole resync: ${JSON.stringify(atKill)}`);
      assert.deepEqual(drs(), []);

      // ---- run 2: unclean start → DR right after link-up → full DS…DE -----------------------------
      linked = once(sim, "linked");
      const run2 = harness.start(configFile, dataDir);
      const [connection2] = (await linked) as [number];
      const linkedAt = Date.now();
      await apiReady(apiPort, ["linked", "resync"]);
      const dr = await sim.waitFor("DR", 10_000);
      const drEntry = sim.received.find((r) => r.record === dr);
      assert.equal(drEntry?.connection, connection2);
      assert.ok((drEntry?.at ?? 0) - linkedAt < 2000, "DR came long after link-up");
      // The first application record of the new connection is the DR.
      const firstApp = sim.received.find((r) => r.connection === connection2 && !/^L[SDRAE]$/.test(r.record.type));
      assert.equal(firstApp?.record.type, "DR");

      await eventually(
        "the resync to be applied",
        async () =>
          (await scalar(db, "select count(*) from pms_inbox where type = 'DE' and applied_at is not null")) === 1 &&
          (await scalar(db, "select count(*) from pms_inbox where applied_at is null")) === 0,
        30_000,
        50,
      );

      // Every in-house reservation has exactly one active stay, in its room; nobody else is in.
      const doubled = await db.execute(
        "select reservation, count(*) as n from stays where active = 1 group by reservation having n > 1",
      );
      assert.deepEqual(doubled.rows, [], "doubled stays");
      const active = await db.execute("select room, reservation from stays where active = 1");
      const got = active.rows.map((r) => `${r.room}/${r.reservation}`).sort();
      const want = hotel.guests.map((g) => `${g.room}/${g.reservation}`).sort();
      assert.equal(got.length, hotel.guests.length);
      assert.deepEqual(got, want);
      const roomRows = await db.execute("select number, occupied from rooms");
      for (const r of roomRows.rows) {
        assert.equal(Boolean(r.occupied), occupied.has(String(r.number)), `occupied flag of room ${r.number}`);
      }
      assert.equal(await scalar(db, "select count(*) from rooms where occupied = 1"), occupied.size);
      for (const g of ghosts) {
        assert.equal(
          await scalar(db, `select occupied from rooms where number = '${g.number}'`),
          0,
          `ghost ${g.number}`,
        );
      }
      for (const room of lit) {
        assert.equal(await scalar(db, `select message_lamp from rooms where number = '${room}'`), 1, `lamp of ${room}`);
      }
      assert.equal(await scalar(db, "select count(*) from pms_inbox where error is not null"), 0, "records failed");
      assert.equal(await scalar(db, "select count(*) from meta where key = 'pms.resyncWanted' and value = '0'"), 1);
      assert.equal(drs().length, 1);

      // Clean stop: LE to the PMS, exit 0.
      run2.proc.kill("SIGTERM");
      assert.equal(await run2.proc.exited, 0, await run2.log);
      assert.ok(sim.received.some((r) => r.connection === connection2 && r.record.type === "LE"));
      assert.match(await run2.log, /previous run did not stop cleanly/);

      // ---- run 3: after a clean stop, a plain restart asks for no resync ----------------------------
      linked = once(sim, "linked");
      const run3 = harness.start(configFile, dataDir);
      const [connection3] = (await linked) as [number];
      await apiReady(apiPort, ["linked"]);
      // A round trip through the appliance's store: a DR decided at link-up would be out by now.
      sim.send("GI|RN9999|G#999999|GNLate|GSN|");
      await eventually(
        "the round trip",
        async () => (await scalar(db, "select count(*) from stays where reservation = '999999'")) === 1,
      );
      await sleep(200);
      assert.deepEqual(drs(connection3), [], "DR after a clean stop");
      run3.proc.kill("SIGTERM");
      assert.equal(await run3.proc.exited, 0, await run3.log);
      assert.doesNotMatch(await run3.log, /did not stop cleanly/);
      if (process.env.CRASH_VERBOSE) console.log(`killed at ${JSON.stringify(atKill)} of ${records.length}`);
    });
  }
  test("kill -9 during a wake-up call: the restart calls the room again and the PMS gets one WA; the binary's prompts play", {
    skip: peerSkip("kamailio", "sipp"),
    timeout: 90_000,
  }, async () => {
    const { k, sim, guest, room, apiPort, configFile, dataDir } = await wakeupRig("bellhop-crash-wakeup-", {});
    const phone = await startSipp({ scenario: "uas-guest-phone.xml", user: `2${room}`, registrar: k.sipPort });
    harness.defer(() => phone.stop());
    const invites = () => (phone.messages().match(new RegExp(`INVITE sip:2${room}@`, "g")) ?? []).length;

    // ---- run 1: the wake-up is answered, and the binary dies in the middle of the call -------------
    let linked = once(sim, "linked");
    const run1 = harness.start(configFile, dataDir);
    await linked;
    await apiReady(apiPort, ["linked"]);
    await eventually("port registered", () => k.ulDump().includes("sip:2001@"), 10_000);
    const wall = toWallTime(Date.now() + 1000, "Europe/Rome");
    sim.send({ type: "GI", fields: guestFields(guest) });
    sim.send(`WR|RN${room}|DA${fiasDate(wall)}|TI${fiasTime(wall)}|`);
    await eventually("the phone answered", () => phone.messages().includes(`ACK sip:2${room}@`), 15_000);
    await sleep(300); // the prompt is playing
    run1.proc.kill("SIGKILL");
    await run1.proc.exited;
    assert.equal(invites(), 1);
    assert.ok(!sim.received.some((r) => r.record.type === "WA"), "no WA from the killed run");

    // ---- run 2: the call in flight is placed again; the guest presses 1; one WA ASOK ---------------
    linked = once(sim, "linked");
    const run2 = harness.start(configFile, dataDir);
    await linked;
    const wa = await sim.waitFor((r) => r.type === "WA" && r.fields.RN === room, 30_000);
    assert.equal(wa.fields.AS, "OK");
    assert.equal(wa.fields.TI, fiasTime(wall));
    assert.equal(invites(), 2, "called again once after the restart");
    await sleep(1500);
    assert.equal(sim.received.filter((r) => r.record.type === "WA").length, 1, "one WA, never doubled");
    run2.proc.kill("SIGTERM");
    assert.equal(await run2.proc.exited, 0, await run2.log);
  });

  test("kill -9 during an SRTP wake-up call (TLS ports, srtp mandatory, baresip): the restart calls the room again over SRTP and the PMS gets one WA", {
    skip: peerSkip("kamailio", "kamailio-tls", "openssl", "baresip"),
    timeout: 120_000,
  }, async () => {
    const { k, sim, guest, room, apiPort, configFile, dataDir } = await wakeupRig("bellhop-crash-srtp-", {
      tls: true,
      // baresip auto-answers and presses no key: that counts as answered (WA ASOK), deterministically.
      wakeup: { answeredWithoutKey: "answered", menuRepeats: 1, keyWaitSeconds: 2, rings: 3, retries: 0 },
    });
    const phone = await startBaresip({
      user: `2${room}`,
      registrar: `127.0.0.1:${k.tlsPort};transport=tls`,
      mediaenc: "srtp-mand",
      tls: kamailioTls(k),
    });
    harness.defer(() => phone.stop());
    const diag = () => `baresip:\n${phone.log().slice(-3000)}\nkamailio:\n${k.log().slice(-1500)}`;
    await explained(
      eventually(
        "baresip registered over TLS",
        () => new RegExp(`sip:2${room}[-@][^\\n]*transport=tls`, "i").test(k.ulDump()),
        20_000,
      ),
      diag,
    );
    let db: Client | undefined;
    /** The `answered` events of the room's wake-up history, read from the binary's database. */
    const answered = async () => {
      db ??= harness.openDb(dataDir);
      const rs = await db.execute({
        sql: "select e.detail from wakeup_events e join wakeups w on w.id = e.wakeup_id where w.room = ? and e.event = 'answered' order by e.id",
        args: [room],
      });
      return rs.rows.map((r) => JSON.parse(String(r.detail ?? "{}")) as { media?: string });
    };

    // ---- run 1: baresip answers, the call is SRTP, the prompt plays; the binary dies mid-call ------
    let linked = once(sim, "linked");
    const run1 = harness.start(configFile, dataDir);
    await linked;
    await apiReady(apiPort, ["linked"]);
    await eventually("port 2001 registered over TLS", () => /sip:2001@[^\n]*transport=tls/i.test(k.ulDump()), 10_000);
    const wall = toWallTime(Date.now() + 1000, "Europe/Rome");
    sim.send({ type: "GI", fields: guestFields(guest) });
    sim.send(`WR|RN${room}|DA${fiasDate(wall)}|TI${fiasTime(wall)}|`);
    await explained(phone.waitForLog("SRTP is Enabled", 20_000), diag);
    await eventually("the answered event in the history", async () => (await answered()).length === 1, 10_000, 50);
    // What baresip decrypts reaches its recording: the prompt is playing when the kill lands.
    await explained(
      eventually(
        "baresip records the prompt",
        () => phone.recordings().some((f) => fileSize(f) > 44 + 16_000),
        10_000,
        20,
      ),
      diag,
    );
    run1.proc.kill("SIGKILL");
    await run1.proc.exited;
    assert.equal(run1.proc.signalCode, "SIGKILL");
    assert.equal(incomingCalls(phone), 1);
    assert.match((await answered())[0]?.media ?? "", /^srtp (AES|AEAD)_\w+$/, "the history names the SRTP suite");
    assert.ok(!sim.received.some((r) => r.record.type === "WA"), "no WA from the killed run");

    // ---- run 2: the call in flight is placed again, over SRTP; no key → one WA ASOK -----------------
    linked = once(sim, "linked");
    const run2 = harness.start(configFile, dataDir);
    await linked;
    const wa = await explained(
      sim.waitFor((r) => r.type === "WA" && r.fields.RN === room, 45_000),
      diag,
    );
    assert.equal(wa.fields.AS, "OK", "answered without a key counts as answered here");
    assert.equal(wa.fields.TI, fiasTime(wall));
    assert.equal(incomingCalls(phone), 2, `called again once after the restart\n${diag()}`);
    // Both calls were SRTP, on baresip's side and in the history, which names the suite baresip used.
    const suites = [...phone.log().matchAll(/SRTP is Enabled \(cryptosuite=(\w+)\)/g)].map((m) => `srtp ${m[1]}`);
    assert.equal(suites.length, 2, `baresip: ${JSON.stringify(suites)}`);
    const media = (await answered()).map((d) => d.media);
    assert.deepEqual(media, suites, "the history's answered events name the media");
    assert.doesNotMatch(phone.log(), /failed to decrypt|srtp: .*error/i, "every packet of ours authenticated");
    // The restart's call ends with our BYE once its menu ran out; what baresip decrypted of it is the prompt.
    await explained(
      eventually("the restart's call ended on baresip", () => /Call with \S+ terminated/.test(phone.log()), 15_000, 50),
      diag,
    );
    const recordings = phone.recordings().sort();
    assert.equal(recordings.length, 2, `one recording per call: ${recordings}`);
    const audio = wavStats(readFileSync(recordings[1] as string));
    const prompt = statSync(join(ROOT, "prompts/en/wakeup.ul")).size / 8000;
    assert.ok(audio.seconds >= prompt, `recorded ${audio.seconds.toFixed(2)} s, the prompt is ${prompt.toFixed(2)} s`);
    assert.ok(audio.activeSeconds >= prompt * 0.5, `speech in the recording: ${audio.activeSeconds.toFixed(2)} s`);
    assert.ok(audio.rms > 500, `not silence: RMS ${audio.rms.toFixed(0)}`);
    await sleep(1500);
    assert.equal(sim.received.filter((r) => r.record.type === "WA").length, 1, "one WA, never doubled");
    run2.proc.kill("SIGTERM");
    assert.equal(await run2.proc.exited, 0, await run2.log);
  });

  test("kill -9 during a voicemail recording: the restart keeps the message (new, ≥ 2 s), RE VM0100 reaches the PMS, the lamp lights, no file left over", {
    skip: peerSkip("kamailio", "sipp"),
    timeout: 90_000,
  }, async () => {
    const { k, sim, guest, room, apiPort, sipPort, configFile, dataDir } = await wakeupRig("bellhop-crash-vm-", {});
    // The English greeting and the tone (5.6 s) are over before the caller's audio starts (6 s after the 200).
    guest.language = "EA";
    const token = createTokenWithCli(harness.binary(), dataDir);
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`http://${HOST}:${apiPort}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      });
    // The room's phone, for the lamp: NOTIFYs reach it at the address the room is given below.
    const phone = await startSipp({ scenario: "uas-guest-phone.xml", user: `2${room}` });
    harness.defer(() => phone.stop());
    const msgsDir = join(dataDir, "voicemail", "msgs");
    const files = () => (existsSync(msgsDir) ? readdirSync(msgsDir) : []);
    const vm0100 = (r: FiasRecord) => r.type === "RE" && r.fields.RN === room && r.fields.VM === "0100";

    // ---- run 1: a caller forwarded from the room leaves a message; the binary dies 4 s into it -----
    let linked = once(sim, "linked");
    const run1 = harness.start(configFile, dataDir);
    await linked;
    await apiReady(apiPort, ["linked"]);
    await eventually("port registered", () => k.ulDump().includes("sip:2001@"), 10_000);
    sim.send({ type: "GI", fields: guestFields(guest) });
    await eventually(
      `room ${room} checked in`,
      async () => (await api(`/api/v1/rooms/${room}/voicemail`)).status === 200,
      5000,
      20,
    );
    const put = await api(`/api/v1/rooms/${room}`, {
      method: "PUT",
      body: JSON.stringify({ phone: { address: `127.0.0.1:${phone.port}` } }),
    });
    assert.equal(put.status, 200, await put.text());
    const caller = await startSipp({
      scenario: "uac-vm-deposit.xml",
      user: "600",
      remote: `127.0.0.1:${sipPort}`,
      max: 1,
      extra: [
        ...["-key", "redirect", `Diversion: <sip:${room}@127.0.0.1>;reason=no-answer`],
        ...["-key", "todisplay", "", "-key", "caller", "0612345678", "-timeout", "40s"],
      ],
    });
    harness.defer(() => caller.stop());
    // The file grows as the audio arrives: 4 s of the pcap's PCMA (8000 bytes a second) are on disk.
    const audioBytes = () =>
      files().reduce((n, f) => n + Math.max(0, fileSize(join(msgsDir, f)) - WAV_HEADER_BYTES), 0);
    await explained(
      eventually("4 s of the caller's audio recorded", () => audioBytes() >= 4 * 8000, 20_000, 10),
      () => `caller:\n${caller.messages().slice(-2000)}`,
    );
    run1.proc.kill("SIGKILL");
    await run1.proc.exited;
    assert.equal(run1.proc.signalCode, "SIGKILL");
    const recorded = audioBytes();
    assert.equal(files().length, 1, `one recording: ${files()}`);
    assert.ok(!sim.received.some((r) => r.record.type === "RE" && r.record.fields.VM !== undefined), "no RE VM yet");
    // Its BYE would only meet the restarted binary's 481.
    await caller.stop();

    // ---- run 2: the recording cut off is kept as a new message, counted, reported, lit -------------
    linked = once(sim, "linked");
    const run2 = harness.start(configFile, dataDir);
    const [connection2] = (await linked) as [number];
    await apiReady(apiPort, ["linked", "resync"]);
    await sim.waitFor(vm0100, 20_000);
    assert.equal(sim.received.find((r) => vm0100(r.record))?.connection, connection2);
    const box = (await (await api(`/api/v1/rooms/${room}/voicemail`)).json()) as {
      new: number;
      saved: number;
      messages: { id: string; durationMs: number; caller: string; state: string }[];
    };
    assert.deepEqual([box.new, box.saved, box.messages.length], [1, 0, 1], JSON.stringify(box));
    const m = box.messages[0] as (typeof box.messages)[number];
    assert.equal(m.state, "new");
    assert.equal(m.caller, "0612345678");
    assert.ok(m.durationMs >= 2000, `${m.durationMs} ms kept`);
    assert.ok(
      m.durationMs <= (recorded / 8000) * 1000 + 20,
      `${m.durationMs} ms, ${recorded} bytes on disk at the kill`,
    );
    await explained(
      eventually("the lamp is lit", () => /Messages-Waiting: yes \| Voice-Message: 1\/0/.test(phone.log()), 15_000, 50),
      () => `phone:\n${phone.log().slice(-1500)}`,
    );
    // The message's file and nothing else: no orphan, no second copy, no temporary file.
    assert.deepEqual(files(), [`${m.id}.wav`]);
    assert.deepEqual(readdirSync(join(dataDir, "voicemail")), ["msgs"]);
    // The DR resync the unclean stop asked for keeps the stay, and with it the message.
    await sim.waitFor("DR", 10_000);
    await sleep(1500);
    assert.equal(((await (await api(`/api/v1/rooms/${room}/voicemail`)).json()) as { new: number }).new, 1);
    assert.equal(sim.received.filter((r) => vm0100(r.record)).length, 1, "RE VM0100 once");
    run2.proc.kill("SIGTERM");
    assert.equal(await run2.proc.exited, 0, await run2.log);
    assert.match(await run2.log, /voicemail reconciled after an unclean stop/);
  });
});
