/**
 * Issue 11 §4: SDES-SRTP calls against real SRTP phones, through Kamailio over TLS, on loopback. The
 * appliance's ports register over TLS with `sip.media.srtp: "mandatory"` (the Zoom setup); the PMS is
 * the PMS simulator, so the proof of each call is the record the PMS received.
 *
 * - linphonec (`media_encryption=srtp`, mandatory; registered over TLS, trusting the test CA) calls a
 *   port and keys the housekeeping code 1 23 # as RFC 4733 events inside SRTP → `RE RS1 ID23`. In
 *   the middle of that call forged SRTP packets hit the session's RTP port: they are dropped and
 *   counted as authentication failures, and the call goes on (the code keyed after them arrives).
 * - sipp (no SRTP in Debian's build) offers plain RTP to a mandatory port → 488 `Warning: 302`.
 * - baresip (`srtp.so`, `mediaenc=srtp-mand`, registered over TLS) gets a wake-up call, auto-answers
 *   and records what it decrypts → the recording holds the prompt, and the PMS gets one WA.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { toWallTime } from "../../src/lib/zoned-time.ts";
import { fiasDate, fiasTime } from "../../src/pms/fias/datetime.ts";
import type { FiasRecord } from "../../src/pms/fias/record.ts";
import { generateHotel } from "../../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../../src/sim/pms/simulator.ts";
import { RtpSession } from "../../src/sip/rtp/session.ts";
import { wakeupHistory } from "../../src/store/wakeup-history.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { wavStats } from "../helpers/wav-stats.ts";
import { PEER_FIXTURES, peerSkip } from "../peers/available.ts";
import { type Baresip, kamailioTls, startBaresip } from "../peers/baresip.ts";
import { type Kamailio, startKamailio } from "../peers/kamailio.ts";
import { startSipp } from "../peers/sipp.ts";
import { eventually, explained, freePort, HOST } from "./support.ts";

const TZ = "Europe/Rome";
const PORTS = ["2001", "2002", "2003", "2004"];
const skip = peerSkip("kamailio", "kamailio-tls", "openssl");
const PROMPTS = join(import.meta.dirname ?? ".", "../../prompts/en");

describe("SRTP calls against real SRTP phones through Kamailio over TLS", { skip }, () => {
  let k: Kamailio;
  let sim: PmsSimulator;
  let app: Appliance;
  const tmp = tempDir("bellhop-srtp-phones-");
  /** Every RTP session the appliance opens, to read its counters (the API is not under test here). */
  const sessions: RtpSession[] = [];
  const open = RtpSession.open;

  before(async () => {
    RtpSession.open = async (o) => {
      const s = await open.call(RtpSession, o);
      sessions.push(s);
      return s;
    };
    k = await startKamailio({
      sipPort: await freePort(),
      tlsPort: await freePort(),
      ctlPort: await freePort(),
      lastUser: 2200,
    });
    sim = new PmsSimulator({ hotel: generateHotel({ rooms: 1, occupancy: 0 }) });
    const pmsPort = await sim.listen(0, HOST);
    const rtpBase = 24000 + 2 * Math.floor(Math.random() * 2000);
    const config = parseConfig({
      site: { timezone: TZ },
      pms: { mode: "client", host: HOST, port: pmsPort },
      api: { listen: `127.0.0.1:${await freePort()}` },
      rooms: { extensionTemplate: "2${room}" },
      sip: {
        local: { port: await freePort(), transport: "tls" },
        pbx: { address: "127.0.0.1", port: k.tlsPort, expiresSeconds: 600 },
        tls: { caFile: k.caFile ?? null, serverName: "localhost" },
        ports: PORTS.map((user) => ({ user, password: "secret" })),
        media: { portMin: rtpBase, portMax: rtpBase + 200, srtp: "mandatory" },
      },
      wakeup: {
        rings: 3,
        retries: 0,
        // baresip auto-answers and presses no key: that counts as answered (WA ASOK), deterministically.
        answeredWithoutKey: "answered",
        menuRepeats: 1,
        keyWaitSeconds: 2,
        pollSeconds: 1,
      },
      // A call to a port's own number is the housekeeping service (Kamailio routes the number to the port).
      ivr: { defaultService: "housekeeping" },
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
    await eventually("4 TLS ports registered", () => (app.sip?.freePorts() ?? 0) === PORTS.length, 10_000);
  });

  after(async () => {
    RtpSession.open = open;
    await app?.stop();
    await sim?.close();
    await k?.stop();
    tmp.cleanup();
  });

  test("a plain-RTP offer (sipp) to a mandatory port → 488 with Warning: 302", {
    skip: peerSkip("sipp"),
    timeout: 60_000,
  }, async () => {
    const caller = await startSipp({
      scenario: "uac-call-plain-rtp.xml",
      user: "2001",
      remote: `127.0.0.1:${k.sipPort}`,
      max: 1,
      extra: ["-timeout", "20s"],
    });
    try {
      assert.equal(await caller.exited, 0, `refused with 488:\n${caller.messages().slice(-2500)}`);
      const msgs = caller.messages();
      assert.match(msgs, /SIP\/2\.0 488 Not Acceptable Here/);
      assert.match(msgs, /^Warning: 302 \S+ "Incompatible transport protocol"/m);
      assert.match(k.log(), /RELAY INVITE to sip:2001@127\.0\.0\.1:\d+;transport=tls/, "it reached the port over TLS");
    } finally {
      await caller.stop();
    }
    await eventually("the port is free again", () => app.sip?.freePorts() === PORTS.length, 10_000);
  });

  test("linphonec (SRTP mandatory, over TLS) keys 1 23 # → RE RS1 ID23; forged SRTP mid-call is dropped and counted", {
    skip: peerSkip("linphonec"),
    timeout: 120_000,
  }, async () => {
    sim.send("GI|RN101|G#101|GNGuest|GLEA|");
    const home = join(tmp.dir, "lphome");
    mkdirSync(join(home, ".local/share/linphone"), { recursive: true });
    const rc = join(tmp.dir, "linphonerc-srtp");
    const logFile = join(tmp.dir, "linphone.log");
    writeFileSync(
      rc,
      readFileSync(join(PEER_FIXTURES, "linphone/linphonerc-srtp"), "utf8")
        .replace("sip_port=5074", `sip_port=${await freePort()}`)
        .replace("sip_tls_port=5075", `sip_tls_port=${await freePort()}`)
        .replace(/audio_rtp_port=\d+/, `audio_rtp_port=${await freePort()}`)
        .replace("root_ca=CA_FILE", `root_ca=${k.caFile}`)
        .replaceAll("127.0.0.1:5061", `127.0.0.1:${k.tlsPort}`),
    );
    const env = { ...process.env, HOME: home };
    const sh = (...args: string[]) =>
      execFileSync("linphonecsh", args, { env, encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "pipe"] });
    const linphoneLog = () => {
      try {
        return readFileSync(logFile, "utf8");
      } catch {
        return "";
      }
    };
    try {
      sh("exit"); // a linphonec left over by an interrupted run holds the control socket
    } catch {
      // none running: the usual case
    }
    sh("init", "-c", rc, "-d", "6", "-l", logFile);
    const before = sessions.length;
    try {
      await explained(
        eventually("linphonec registered over TLS", () => k.ulDump().includes("sip:2101@"), 20_000),
        () => `linphonec:\n${linphoneLog().slice(-3000)}\nkamailio:\n${k.log().slice(-1500)}`,
      );
      assert.match(k.ulDump(), /sip:2101@[^\n]*transport=tls/i, "its contact is a TLS one");
      // Kamailio stores the binding before linphonec has read the 200: a call placed in between may be lost.
      await eventually(
        "linphonec sees its registration",
        () => /to \[LinphoneRegistrationOk\]/.test(linphoneLog()),
        10_000,
      );
      sh("generic", "soundcard use files");
      sh("generic", "call sip:2002@127.0.0.1");
      await explained(
        eventually("the port answered linphonec", () => sessions.length > before && app.sip?.freePorts() === 3, 20_000),
        () =>
          `linphonec:\n${linphoneLog()
            .split("\n")
            .filter((l) => /call|invite|SIP\/2\.0 \d|error|srtp/i.test(l))
            .slice(-60)
            .join("\n")}\nkamailio:\n${k.log().slice(-1500)}`,
      );
      const rtp = sessions[sessions.length - 1] as RtpSession;
      await eventually("the call is keyed for SRTP", () => rtp.stats().srtp !== null, 10_000);
      await eventually(
        "linphonec says the call runs",
        () => /Call[^\n]*(connected|StreamsRunning)/i.test(linphoneLog()),
        15_000,
      );

      // Forged SRTP: well-formed RTP headers on the negotiated payload type, random payload and tag.
      const forged = 5;
      const s = createSocket("udp4");
      await new Promise<void>((r) => s.bind(0, HOST, () => r()));
      for (let i = 0; i < forged; i++) {
        const pkt = new Uint8Array(12 + 160 + 10);
        crypto.getRandomValues(pkt);
        pkt[0] = 0x80;
        pkt[1] = 0; // PCMU
        await new Promise<void>((r, j) => s.send(pkt, rtp.local.port, rtp.local.address, (e) => (e ? j(e) : r())));
      }
      s.close();
      await eventually(
        "the forged packets are counted",
        () => (rtp.stats().srtp?.srtpAuthFailures ?? 0) >= forged,
        5000,
      );

      sh("generic", "123#");
      const re = await sim.waitFor(
        (r) => r.type === "RE" && r.fields.RN === "101" && r.fields.RS !== undefined,
        30_000,
      );
      assert.equal(re.fields.RS, "1");
      assert.equal(re.fields.ID, "23");
      const stats = rtp.stats();
      assert.equal(stats.srtp?.srtpAuthFailures, forged, `only the forged packets failed: ${JSON.stringify(stats)}`);
      // linphone sends each RFC 4733 end packet three times with one sequence number (libsrtp's
      // allow_repeat_tx): the repeats are replays, dropped and counted; the first one ends the key.
      assert.ok((stats.srtp?.srtpReplays ?? 0) <= 2 * 4, `at most the repeated end packets: ${JSON.stringify(stats)}`);
      assert.ok(stats.digits >= 4, `the keys came through SRTP after the forgery: ${JSON.stringify(stats)}`);
      assert.ok(stats.packetsIn > 0);
      assert.match(stats.srtp?.suite ?? "", /^AES_(256_)?CM_/);
      assert.match(linphoneLog(), /RTP\/SAVP/, "linphonec offered SRTP");
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

  test("a wake-up call to baresip (srtp-mand, over TLS): its recording holds the prompt, the PMS gets one WA ASOK", {
    skip: peerSkip("baresip"),
    timeout: 120_000,
  }, async () => {
    let phone: Baresip | undefined;
    try {
      phone = await startBaresip({
        user: "2102",
        registrar: `127.0.0.1:${k.tlsPort};transport=tls`,
        mediaenc: "srtp-mand",
        tls: kamailioTls(k),
      });
      const b = phone;
      await explained(
        eventually("baresip registered over TLS", () => /sip:2102[-@][^\n]*transport=tls/i.test(k.ulDump()), 20_000),
        () => `baresip:\n${b.log().slice(-3000)}\nkamailio:\n${k.log().slice(-1500)}`,
      );
      sim.send("GI|RN102|G#102|GNGuest|GLEA|");
      const wall = toWallTime(Date.now() + 1500, TZ);
      sim.send(`WR|RN102|DA${fiasDate(wall)}|TI${fiasTime(wall)}|`);
      const wa = await sim.waitFor(was("102"), 60_000);
      assert.equal(wa.fields.AS, "OK", "answered without a key counts as answered here");
      await b.waitForLog("SRTP is Enabled", 5000);
      await eventually("baresip hung up and wrote its recording", () => b.recordings().length > 0, 10_000);
      // The dump is complete once the call is closed on baresip's side.
      await eventually("the call ended on baresip", () => /closed|terminated/i.test(b.log()), 15_000);
      const file = b.recordings()[0] as string;
      const audio = wavStats(readFileSync(file));
      const prompt = readFileSync(join(PROMPTS, "wakeup.ul")).length / 8000;
      assert.ok(
        audio.seconds >= prompt,
        `recorded ${audio.seconds.toFixed(2)} s, the prompt is ${prompt.toFixed(2)} s`,
      );
      assert.ok(audio.activeSeconds >= prompt * 0.5, `speech in the recording: ${audio.activeSeconds.toFixed(2)} s`);
      assert.ok(audio.rms > 500, `not silence: RMS ${audio.rms.toFixed(0)}`);
      assert.doesNotMatch(b.log(), /failed to decrypt|srtp: .*error/i, "every packet of ours authenticated");
      const h = await app.store.read(async (db) => (await wakeupHistory(db, { room: "102" })).map((e) => e.event));
      assert.ok(h.includes("answered"), `${h}`);
      await eventually("the port is free again", () => app.sip?.freePorts() === PORTS.length, 15_000);
      assert.equal(sim.received.filter((r) => was("102")(r.record)).length, 1, "exactly one WA");
    } finally {
      await phone?.stop();
    }
  });
});

const was = (room: string) => (r: FiasRecord) => r.type === "WA" && r.fields.RN === room;
