/**
 * Issue 12 §7, over SRTP: a message left for a room through Kamailio over TLS, the media SDES-SRTP
 * both ways, the caller a real SRTP phone. The port registers over TLS with `sip.media.srtp:
 * "mandatory"` (the Zoom setup, as in srtp-phones.test.ts); baresip (`mediaenc=srtp-mand`, registered
 * over TLS) dials room 101's extension 2101, which nobody registered, and Kamailio (`VM_PORT`) sends
 * the call on to the voicemail port with the To left as dialled: the mailbox is the called room.
 *
 * baresip's microphone is a WAV file (its aufile module): silence while the greeting and the tone
 * play, switched to ~6 s of syllables (a tone keyed on and off) the moment the recording starts (its
 * file appears in the voicemail folder); at the file's end baresip hangs up. So the message is as
 * long as what was played, and the PMS simulator gets one `RE|RN101|VM0100|`.
 */
import assert from "node:assert/strict";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import type { FiasRecord } from "../../src/pms/fias/record.ts";
import { generateHotel } from "../../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../../src/sim/pms/simulator.ts";
import { ulawToLinear } from "../../src/sip/rtp/g711.ts";
import { createToken } from "../../src/store/tokens.ts";
import { readMessageUlaw } from "../../src/voice/recorder.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { peerSkip } from "../peers/available.ts";
import { type Baresip, kamailioTls, startBaresip } from "../peers/baresip.ts";
import { type Kamailio, startKamailio } from "../peers/kamailio.ts";
import { eventually, explained, freePort, HOST, sleep } from "./support.ts";

const skip = peerSkip("kamailio", "kamailio-tls", "openssl", "baresip");
const PORT = "2001";
const RATE = 8000;
/** The syllables: 17 of 250 ms sound (300–420 Hz), 100 ms apart; the file ends on the last one. */
const SYLLABLES = 17;
const SYLLABLE_MS = 250;
const GAP_MS = 100;
const PLAYED_MS = SYLLABLES * SYLLABLE_MS + (SYLLABLES - 1) * GAP_MS;

/** A 16-bit mono 8 kHz WAV of these samples. */
function wav(samples: Int16Array): Uint8Array {
  const out = new Uint8Array(44 + samples.length * 2);
  const dv = new DataView(out.buffer);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
  };
  ascii(0, "RIFF");
  dv.setUint32(4, 36 + samples.length * 2, true);
  ascii(8, "WAVEfmt ");
  dv.setUint32(16, 16, true);
  dv.setUint16(20, 1, true); // PCM
  dv.setUint16(22, 1, true); // mono
  dv.setUint32(24, RATE, true);
  dv.setUint32(28, RATE * 2, true);
  dv.setUint16(32, 2, true);
  dv.setUint16(34, 16, true);
  ascii(36, "data");
  dv.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) dv.setInt16(44 + i * 2, samples[i] ?? 0, true);
  return out;
}

/** Speech-like sound: syllables of a tone with 20 ms ramps, each a little higher than the last, gaps of silence. */
function syllables(): Int16Array {
  const s = new Int16Array((PLAYED_MS * RATE) / 1000);
  const len = (SYLLABLE_MS * RATE) / 1000;
  const ramp = (20 * RATE) / 1000;
  for (let k = 0; k < SYLLABLES; k++) {
    const start = (k * (SYLLABLE_MS + GAP_MS) * RATE) / 1000;
    const hz = 300 + (k % 4) * 40;
    for (let i = 0; i < len; i++) {
      const env = Math.min(1, i / ramp, (len - 1 - i) / ramp);
      s[start + i] = Math.round(8000 * env * Math.sin((2 * Math.PI * hz * i) / RATE));
    }
  }
  return s;
}

/** Loud 20 ms frames of 8 kHz audio, and their zero crossings a second (a 300–420 Hz tone: 600–840). */
function toneStats(pcm: Int16Array): { loudMs: number; crossingsPerSecond: number } {
  let loud = 0;
  let crossings = 0;
  for (let f = 0; f + 160 <= pcm.length; f += 160) {
    let sum = 0;
    for (let i = f; i < f + 160; i++) sum += Math.abs(pcm[i] ?? 0);
    if (sum / 160 < 1000) continue;
    loud++;
    for (let i = f + 1; i < f + 160; i++) if ((pcm[i - 1] ?? 0) < 0 !== (pcm[i] ?? 0) < 0) crossings++;
  }
  return { loudMs: loud * 20, crossingsPerSecond: loud ? crossings / (loud * 0.02) : 0 };
}

interface MessageView {
  id: string;
  durationMs: number;
  caller: string;
  state: string;
}

describe("a voicemail deposit over SDES-SRTP from baresip, through Kamailio over TLS", { skip }, () => {
  let k: Kamailio;
  let sim: PmsSimulator;
  let app: Appliance;
  let token: string;
  const tmp = tempDir("bellhop-voicemail-srtp-");
  const dataDir = join(tmp.dir, "data");
  const msgsDir = join(dataDir, "voicemail", "msgs");

  before(async () => {
    k = await startKamailio({
      sipPort: await freePort(),
      tlsPort: await freePort(),
      ctlPort: await freePort(),
      lastUser: 2200,
      defines: [`VM_PORT="${PORT}"`],
    });
    sim = new PmsSimulator({ hotel: generateHotel({ rooms: 1, occupancy: 0 }) });
    const pmsPort = await sim.listen(0, HOST);
    const rtpBase = 26000 + 2 * Math.floor(Math.random() * 2000);
    const config = parseConfig({
      site: { timezone: "Europe/Rome" },
      pms: { mode: "client", host: HOST, port: pmsPort },
      api: { listen: `127.0.0.1:${await freePort()}` },
      rooms: { extensionTemplate: "2${room}" },
      sip: {
        local: { port: await freePort(), transport: "tls" },
        pbx: { address: "127.0.0.1", port: k.tlsPort, expiresSeconds: 600 },
        tls: { caFile: k.caFile ?? null, serverName: "localhost" },
        ports: [{ user: PORT, password: "secret" }],
        media: { portMin: rtpBase, portMax: rtpBase + 200, srtp: "mandatory" },
      },
    });
    app = await startAppliance({
      config,
      dataDir,
      migrationsFolder: MIGRATIONS,
      logger: silentLogger,
      version: "test",
      link: { initWaitMs: 100, backoff: { initialMs: 50, maxMs: 500 } },
    });
    token = await app.store.tx((tx) => createToken(tx, "test", "admin", Date.now()));
    await sim.whenLinked(10_000);
    await eventually("the port registered over TLS", () => app.sip?.freePorts() === 1, 10_000);
    sim.send("GI|RN101|G#101|GNGuest|GLEA|");
    await eventually("room 101 checked in", async () => (await api("/api/v1/rooms/101")).status === 200, 5000, 20);
  });

  after(async () => {
    await app?.stop();
    await sim?.close();
    await k?.stop();
    tmp.cleanup();
  });

  async function api(path: string): Promise<Response> {
    return app.api.request(path, { headers: { authorization: `Bearer ${token}` } });
  }

  async function apiJson<T>(path: string): Promise<T> {
    const r = await api(path);
    assert.equal(r.status, 200, `${path}: ${r.status}`);
    return (await r.json()) as T;
  }

  const recordings = () => {
    try {
      return readdirSync(msgsDir).filter((f) => f.endsWith(".wav"));
    } catch {
      return [];
    }
  };

  test("baresip calls room 101 and plays ~6 s of syllables: one new message that long, SRTP media, RE VM0100", {
    timeout: 90_000,
  }, async () => {
    const silence = join(tmp.dir, "silence.wav");
    const speech = join(tmp.dir, "syllables.wav");
    writeFileSync(silence, wav(new Int16Array(60 * RATE)));
    writeFileSync(speech, wav(syllables()));
    let phone: Baresip | undefined;
    try {
      phone = await startBaresip({
        user: "2102",
        registrar: `127.0.0.1:${k.tlsPort};transport=tls`,
        mediaenc: "srtp-mand",
        tls: kamailioTls(k),
        audioSource: `aufile,${silence}`,
        sourceFormat: { rate: RATE, channels: 1 },
      });
      const b = phone;
      const diag = () => `baresip:\n${b.log().slice(-3000)}\nkamailio:\n${k.log().slice(-2000)}`;
      await explained(
        eventually("baresip registered over TLS", () => /sip:2102[-@][^\n]*transport=tls/i.test(k.ulDump()), 20_000),
        diag,
      );
      assert.deepEqual(recordings(), []);

      await b.command("/dial sip:2101@127.0.0.1");
      // The recording's file appears when the tone has played: the syllables start then.
      await explained(
        eventually("the recording starts", () => recordings().length > 0, 20_000, 2),
        diag,
      );
      await b.command(`/ausrc aufile,${speech}`);
      await explained(b.waitForLog("SRTP is Enabled", 1000), diag);
      await explained(b.waitForLog(/Call with \S+ terminated/, PLAYED_MS + 5000), diag);

      const box = await explained(
        (async () => {
          await eventually(
            "one new message in room 101",
            async () => (await apiJson<{ new: number }>("/api/v1/rooms/101/voicemail")).new === 1,
            10_000,
            50,
          );
          return apiJson<{ new: number; saved: number; messages: MessageView[] }>("/api/v1/rooms/101/voicemail");
        })(),
        diag,
      );
      assert.equal(box.messages.length, 1);
      const m = box.messages[0] as MessageView;
      assert.equal(m.state, "new");
      assert.equal(m.caller, "2102");
      assert.ok(
        Math.abs(m.durationMs - PLAYED_MS) <= 500,
        `as long as what was played: ${m.durationMs} ms vs ${PLAYED_MS} ms`,
      );
      // What was recorded is what baresip played, decrypted: the syllables' tone, not noise.
      const [file] = recordings();
      assert.equal(file, `${m.id}.wav`);
      const heard = toneStats(ulawToLinear(readMessageUlaw(join(msgsDir, file as string))));
      // A syllable's 20 ms ramps at both ends leave about 240 ms of it loud.
      const loudMs = SYLLABLES * (SYLLABLE_MS - 10);
      assert.ok(Math.abs(heard.loudMs - loudMs) <= 300, `syllables recorded: ${heard.loudMs} ms loud, ~${loudMs}`);
      assert.ok(
        heard.crossingsPerSecond > 540 && heard.crossingsPerSecond < 920,
        `a 300–420 Hz tone: ${heard.crossingsPerSecond.toFixed(0)} zero crossings a second`,
      );

      // SRTP both ways: baresip keyed it; the port's media counters count one SRTP call, nothing dropped.
      assert.match(b.log(), /SRTP is Enabled \(cryptosuite=\w+\)/);
      assert.doesNotMatch(b.log(), /failed to decrypt|srtp: .*error/i, "every packet of ours authenticated");
      const { media } = await apiJson<{
        media: {
          callsSrtp: number;
          callsRtp: number;
          srtpAuthFailures: number;
          srtpReplays: number;
          srtpNotSrtp: number;
        };
      }>("/api/v1/sip/ports");
      assert.equal(media.callsSrtp, 1, JSON.stringify(media));
      assert.equal(media.callsRtp, 0, JSON.stringify(media));
      // baresip sends two RTCP packets in clear: an APP PING when the call starts (not SRTP at all) and
      // BYE + SDES after its hang-up, which lacks the SRTCP trailer and so fails authentication, when it
      // arrives before the session closes. Nothing else may fail.
      assert.ok(media.srtpAuthFailures <= 1, JSON.stringify(media));
      assert.ok(media.srtpNotSrtp <= 1, JSON.stringify(media));
      assert.equal(media.srtpReplays, 0, JSON.stringify(media));
      // The call went through Kamailio over TLS to the port, forwarded from the room's extension.
      assert.match(k.log(), /RETARGET sip:2101@127\.0\.0\.1 to the voicemail port/);
      assert.match(k.log(), new RegExp(`RELAY INVITE to sip:${PORT}@127\\.0\\.0\\.1:\\d+;transport=tls`));

      const vm0100 = (r: FiasRecord) => r.type === "RE" && r.fields.RN === "101" && r.fields.VM === "0100";
      await sim.waitFor(vm0100, 10_000);
      await sleep(500);
      assert.equal(sim.received.filter((r) => vm0100(r.record)).length, 1, "one RE VM0100");
      assert.equal(
        sim.received.filter((r) => r.record.type === "RE" && r.record.fields.VM !== undefined).length,
        1,
        "no other RE VM",
      );
      await eventually("the port is free again", () => app.sip?.freePorts() === 1, 10_000);
    } finally {
      await phone?.stop();
    }
  });
});
