/**
 * Guest voicemail end to end against real peers on loopback (issue 12 §7): Kamailio as the PBX the
 * ports register with, sipp callers forwarded with Diversion / History-Info / a Zoom-style name that
 * play the g711a.pcap audio Debian's sip-tester ships (7.08 s of PCMA), a sipp room phone taking the
 * lamp NOTIFYs, and a sipp room phone listening (its media goes to a UDP socket here that counts what
 * reaches it); the PMS is the PMS simulator over FIAS/TCP, whose RE VM records are the proof.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import type { FiasRecord } from "../../src/pms/fias/record.ts";
import { defineRoom } from "../../src/services/rooms.ts";
import { mailboxOf } from "../../src/services/voicemail.ts";
import { voicemailArchive } from "../../src/services/voicemail-staff.ts";
import { generateHotel } from "../../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../../src/sim/pms/simulator.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { peerSkip } from "../peers/available.ts";
import { type Kamailio, startKamailio } from "../peers/kamailio.ts";
import { type Sipp, startSipp } from "../peers/sipp.ts";
import { eventually, freePort, HOST, sleep } from "./support.ts";

const skip = peerSkip("kamailio", "sipp");
/** The g711a.pcap audio: 236 packets of 30 ms. */
const PCAP_MS = 236 * 30;

describe("guest voicemail against real peers", { skip }, () => {
  let k: Kamailio;
  let sim: PmsSimulator;
  let app: Appliance;
  let config: Config;
  const tmp = tempDir("bellhop-voicemail-");
  const peers: Sipp[] = [];
  let lampPhone: Sipp;

  before(async () => {
    k = await startKamailio({ sipPort: await freePort(), ctlPort: await freePort(), lastUser: 2200 });
    sim = new PmsSimulator({ hotel: generateHotel({ rooms: 1, occupancy: 0 }) });
    const pmsPort = await sim.listen(0, HOST);
    const rtpBase = 20000 + 2 * Math.floor(Math.random() * 2000);
    config = parseConfig({
      site: { timezone: "Europe/Rome" },
      pms: { mode: "client", host: HOST, port: pmsPort },
      api: { listen: `127.0.0.1:${await freePort()}` },
      sip: {
        local: { port: await freePort() },
        pbx: { address: "127.0.0.1", port: k.sipPort, expiresSeconds: 600 },
        ports: ["2001", "2002", "2003", "2004"].map((user) => ({ user, password: "secret" })),
        media: { portMin: rtpBase, portMax: rtpBase + 200 },
      },
    });
    app = await startAppliance({
      config,
      dataDir: join(tmp.dir, "data"),
      migrationsFolder: MIGRATIONS,
      logger: silentLogger,
      version: "test",
      link: { initWaitMs: 100, backoff: { initialMs: 50, maxMs: 500 } },
    });
    await sim.whenLinked(10_000);
    await eventually("SIP ports registered", () => (app.sip?.freePorts() ?? 0) === 4, 8000);
    // One sipp phone takes every room's lamp NOTIFYs and logs each body.
    lampPhone = await startSipp({ scenario: "uas-guest-phone.xml", user: "2199" });
    peers.push(lampPhone);
    for (const room of ["101", "102", "103", "104"]) {
      sim.send(`GI|RN${room}|G#${room}|GNGuest|GLEA|`);
    }
    await eventually(
      "rooms checked in",
      async () => (await mailboxOf(app.ctx, "104").catch(() => undefined)) !== undefined,
    );
    for (const room of ["101", "102", "103", "104", "105"])
      await defineRoom(app.ctx, "test", room, { phone: { address: `127.0.0.1:${lampPhone.port}` } });
  });

  after(async () => {
    await app?.stop();
    for (const p of peers) await p.stop();
    await sim?.close();
    await k?.stop();
    tmp.cleanup();
  });

  const vm = (room: string, field: string) => (r: FiasRecord) =>
    r.type === "RE" && r.fields.RN === room && r.fields.VM === field;

  async function deposit(keys: { service?: string; redirect?: string; todisplay?: string; caller?: string }) {
    const caller = await startSipp({
      scenario: "uac-vm-deposit.xml",
      user: keys.service ?? "600",
      remote: `127.0.0.1:${config.sip.local.port}`,
      max: 1,
      extra: [
        "-key",
        "redirect",
        keys.redirect ?? "X-No-Redirect: 1",
        "-key",
        "todisplay",
        keys.todisplay ?? "",
        "-key",
        "caller",
        keys.caller ?? "0612345678",
        "-timeout",
        "40s",
      ],
    });
    peers.push(caller);
    return caller;
  }

  async function oneNewMessage(room: string) {
    await eventually(`room ${room} has a new message`, async () => (await mailboxOf(app.ctx, room)).new === 1, 20_000);
    const box = await mailboxOf(app.ctx, room);
    assert.equal(box.messages.length, 1);
    const m = box.messages[0];
    assert.ok(m, "a message");
    assert.ok(Math.abs(m.durationMs - PCAP_MS) <= 400, `about the pcap's length: ${m.durationMs} ms vs ${PCAP_MS}`);
    return m;
  }

  test("Diversion: the message, the lamp (Voice-Message 1/0) and RE VM0100; the room listens and saves it", {
    timeout: 120_000,
  }, async () => {
    const caller = await deposit({ redirect: "Diversion: <sip:101@127.0.0.1>;reason=no-answer" });
    assert.equal(await caller.exited, 0, `the caller's call went as scripted:\n${caller.messages().slice(-1500)}`);
    await oneNewMessage("101");
    await sim.waitFor(vm("101", "0100"), 10_000);
    await eventually(
      "the phone's lamp",
      () => /Messages-Waiting: yes \| Voice-Message: 1\/0/.test(lampPhone.log()),
      10_000,
    );
    await sleep(300);
    assert.equal(sim.received.filter((r) => vm("101", "0100")(r.record)).length, 1, "RE VM0100 once");

    // The room phone calls the access number: counts, envelope and the message reach it; 2 saves.
    const sink = dgram.createSocket("udp4");
    let bytes = 0;
    sink.on("message", (m) => {
      bytes += Math.max(0, m.length - 12);
    });
    await new Promise<void>((r) => sink.bind(0, "127.0.0.1", () => r()));
    try {
      const phone = await startSipp({
        scenario: "uac-vm-retrieve.xml",
        user: "600",
        remote: `127.0.0.1:${config.sip.local.port}`,
        max: 1,
        extra: ["-key", "caller", "101", "-key", "sink_port", String(sink.address().port), "-timeout", "60s"],
      });
      peers.push(phone);
      await sim.waitFor(vm("101", "0001"), 40_000);
      assert.equal(await phone.exited, 0, `the room phone's call went as scripted:\n${phone.messages().slice(-1500)}`);
      assert.ok(
        bytes >= (PCAP_MS / 1000) * 8000,
        `at least the message's length of audio reached the phone: ${bytes} B`,
      );
    } finally {
      sink.close();
    }
    const box = await mailboxOf(app.ctx, "101");
    assert.deepEqual([box.new, box.saved], [0, 1]);
    await eventually(
      "the lamp goes off",
      () => /Messages-Waiting: no \| Voice-Message: 0\/1/.test(lampPhone.log()),
      10_000,
    );
  });

  test("History-Info: the parent of the entry with cause= gets the message", { timeout: 60_000 }, async () => {
    const caller = await deposit({
      redirect: "History-Info: <sip:102@127.0.0.1>;index=1,<sip:600@127.0.0.1;cause=408>;index=1.1;mp=1",
    });
    assert.equal(await caller.exited, 0, caller.messages().slice(-1500));
    await oneNewMessage("102");
    await sim.waitFor(vm("102", "0100"), 10_000);
  });

  test("Zoom-style name digits: To names room 103, the Request-URI is the port itself", {
    timeout: 60_000,
  }, async () => {
    const caller = await deposit({ service: "2001", todisplay: "Room 103 Guest" });
    assert.equal(await caller.exited, 0, caller.messages().slice(-1500));
    await oneNewMessage("103");
    await sim.waitFor(vm("103", "0100"), 10_000);
  });

  test("a forwarded call whose caller is the room itself deposits (no login into the box)", {
    timeout: 60_000,
  }, async () => {
    const caller = await deposit({ redirect: "Diversion: <sip:104@127.0.0.1>;reason=user-busy", caller: "104" });
    assert.equal(await caller.exited, 0, caller.messages().slice(-1500));
    await oneNewMessage("104");
  });

  test("a deposit for a vacant room records nothing", { timeout: 60_000 }, async () => {
    const caller = await deposit({ redirect: "Diversion: <sip:105@127.0.0.1>;reason=no-answer" });
    await caller.exited; // we hang up after "not available": the caller's own BYE then has no call
    await sleep(500);
    const box = await mailboxOf(app.ctx, "105");
    assert.equal(box.messages.length, 0);
    assert.ok(!sim.received.some((r) => r.record.type === "RE" && r.record.fields.RN === "105" && r.record.fields.VM));
  });

  test("a room move (GC with RO) takes the messages along: RE VM for both rooms", { timeout: 30_000 }, async () => {
    sim.send("GC|RN106|RO102|G#102|GNGuest|GLEA|");
    await sim.waitFor(vm("106", "0100"), 10_000);
    await sim.waitFor(vm("102", "0000"), 10_000);
    assert.equal((await mailboxOf(app.ctx, "106")).new, 1);
    assert.equal((await mailboxOf(app.ctx, "102")).messages.length, 0);
  });

  test("the last GO archives the stay: box empty, RE VM0000, staff see it in the archive", {
    timeout: 30_000,
  }, async () => {
    sim.send("GO|RN101|G#101|");
    await sim.waitFor(vm("101", "0000"), 10_000);
    await eventually("box empty", async () => (await mailboxOf(app.ctx, "101")).messages.length === 0);
    const { stays } = await voicemailArchive(app.ctx, { room: "101" });
    assert.equal(stays.length, 1);
    assert.equal(stays[0]?.messages.length, 1);
  });
});
