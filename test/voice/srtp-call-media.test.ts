/**
 * SRTP calls as staff and support see them (issue 11 §3, §6), against the real appliance with a
 * scripted UDP PBX on loopback: `GET /api/v1/sip/ports` counts the calls by media and the SRTP drops
 * by reason (live and ended); a wake-up's history names the media of the answered call, or the
 * refused SRTP answer as the failure; and with the log at debug (SIP packet log on) no SDES key
 * reaches a log line or the API — only the masked form `inline:[key masked]`.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import { type Fields, memoryLogger } from "../../src/lib/logger.ts";
import { defineRoom } from "../../src/services/rooms.ts";
import { createWakeup } from "../../src/services/wakeups.ts";
import type { MediaCounters } from "../../src/sip/rtp/media-tally.ts";
import { buildRtp } from "../../src/sip/rtp/packet.ts";
import { createToken } from "../../src/store/tokens.ts";
import { wakeupHistory } from "../../src/store/wakeup-history.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { cryptoLines, MediaPeer, pbxSdp, peerKeys, sdpOf, UdpPbx } from "../helpers/udp-pbx.ts";
import { eventually, freePort, HOST } from "../integration/support.ts";

const SUITE = "AES_CM_128_HMAC_SHA1_80";
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function appliance() {
  const t = tempDir("bellhop-srtp-");
  cleanups.push(() => t.cleanup());
  const pbx = await UdpPbx.open();
  cleanups.push(() => pbx.close());
  const media = await MediaPeer.open();
  cleanups.push(() => media.close());
  const sipPort = await freePort();
  const rtpBase = 30000 + 2 * Math.floor(Math.random() * 2000);
  const config = parseConfig({
    pms: { port: await freePort() },
    log: { level: "debug" },
    sip: {
      local: { port: sipPort },
      pbx: { address: HOST, port: pbx.port, expiresSeconds: 600 },
      ports: [{ user: "2001", password: "secret" }],
      media: { portMin: rtpBase, portMax: rtpBase + 20, srtp: "mandatory" },
    },
  });
  pbx.appPort = sipPort;
  const logger = memoryLogger();
  const app: Appliance = await startAppliance({
    config,
    dataDir: join(t.dir, "data"),
    migrationsFolder: MIGRATIONS,
    logger,
    version: "test",
  });
  cleanups.push(() => app.stop());
  await eventually("the port registered", () => app.sip?.freePorts() === 1, 5000);
  const token = await app.store.tx((tx) => createToken(tx, "tech", "installer", Date.now()));
  const api = async () => {
    const r = await app.api.request("/api/v1/sip/ports", { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200);
    return (await r.text()) as string;
  };
  return { app, pbx, media, logger, api };
}

/** Every `inline:` in `text` is followed by the mask: no key material. */
function assertNoKeys(where: string, text: string, keys: readonly string[]): void {
  for (const m of text.matchAll(/inline:(.{0,12})/g)) {
    assert.ok(m[1]?.startsWith("[key masked]"), `${where}: an unmasked inline: key: ${m[0]}`);
  }
  for (const k of keys) assert.ok(!text.includes(k), `${where} holds a key`);
}

function logText(lines: Fields[]): string {
  return lines.map((l) => JSON.stringify(l)).join("\n");
}

describe("SRTP calls: counters, history, no keys in logs", () => {
  test("an inbound SRTP call: counted by media and drop reason, live and ended; no key in any log line", async () => {
    const { app, pbx, media, logger, api } = await appliance();
    const peerKey = new Uint8Array(randomBytes(30));
    const peerB64 = Buffer.from(peerKey).toString("base64");
    pbx.invite("2001", "srtp1", pbxSdp(media.port, "RTP/SAVP", [`a=crypto:1 ${SUITE} inline:${peerB64}`]));
    await eventually("the 200 OK", () => pbx.responses("srtp1", 200).length > 0, 5000);
    const answer = sdpOf(pbx.responses("srtp1", 200)[0]);
    const ours = cryptoLines(answer)[0];
    assert.equal(ours?.suite, SUITE);
    const rtpPort = Number(/^m=audio (\d+) /m.exec(answer)?.[1]);
    pbx.ack("srtp1");
    await eventually("SRTP from the appliance", () => media.packets.length >= 3, 5000);
    const { rx, tx } = peerKeys(ours, peerKey);
    assert.ok(rx.unprotectRtp(media.packets[0] as Uint8Array).ok, "the appliance's SRTP opens with its key");

    // One good packet (it latches), its replay, a tampered one, and a STUN binding request.
    const good = tx.protectRtp(
      buildRtp({ payloadType: 0, sequence: 1000, timestamp: 160, ssrc: 0x1234 }, new Uint8Array(160).fill(0xff)),
    );
    const tampered = tx.protectRtp(
      buildRtp({ payloadType: 0, sequence: 1001, timestamp: 320, ssrc: 0x1234 }, new Uint8Array(160).fill(0xff)),
    );
    tampered[20] = (tampered[20] as number) ^ 1;
    const stun = new Uint8Array(20);
    stun.set([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]);
    for (const p of [good, good, tampered, stun]) {
      media.send(p, rtpPort);
      await new Promise((r) => setTimeout(r, 20));
    }
    const counters = async () => JSON.parse(await api()).media as MediaCounters;
    await eventually(
      "the drops counted",
      async () => {
        const c = await counters();
        return c.srtpReplays === 1 && c.srtpAuthFailures === 1 && c.srtpNotSrtp === 1;
      },
      3000,
    );
    assert.deepEqual(await counters(), {
      callsSrtp: 1,
      callsRtp: 0,
      callsLive: 1,
      srtpAuthFailures: 1,
      srtpReplays: 1,
      srtpNotSrtp: 1,
    });

    pbx.bye("srtp1");
    await eventually("the port free again", () => app.sip?.freePorts() === 1, 5000);
    await eventually("the call ended", async () => (await counters()).callsLive === 0, 3000);
    assert.deepEqual(await counters(), {
      callsSrtp: 1,
      callsRtp: 0,
      callsLive: 0,
      srtpAuthFailures: 1,
      srtpReplays: 1,
      srtpNotSrtp: 1,
    });
    await eventually("the call log line", () => logger.lines.some((l) => l.msg === "inbound call"), 3000);
    assert.equal(logger.lines.find((l) => l.msg === "inbound call")?.media, `srtp ${SUITE}`);

    const keys = [peerB64, ours.value.split("inline:")[1]?.split(/[|\s]/)[0] ?? "-"];
    assert.ok(
      logger.lines.some((l) => l.msg === "sip packet" && String(l.text).includes("inline:[key masked]")),
      "the SIP packet log ran, with the SDP masked",
    );
    assertNoKeys("the log", logText(logger.lines), keys);
    assertNoKeys("GET /api/v1/sip/ports", await api(), keys);
  });

  test("wake-up calls: the history names the media; a refused SRTP answer is the failure's reason", async () => {
    const { app, pbx, media, logger } = await appliance();
    await defineRoom(app.ctx, "api:tech", "101", { extension: "2101" });
    const peerKeys: string[] = [];
    let tag: (offered: number) => number = (t) => t;
    pbx.answer = (invite) => {
      const first = cryptoLines(sdpOf(invite))[0];
      if (!first) return undefined;
      // The first offered suite (AEAD_AES_256_GCM), keyed with a key of its length.
      const key = Buffer.from(randomBytes(first.key.length)).toString("base64");
      peerKeys.push(key);
      return pbxSdp(media.port, "RTP/SAVP", [`a=crypto:${tag(first.tag)} ${first.suite} inline:${key}`]);
    };
    const created = await createWakeup(app.ctx, "api:desk", { room: "101", at: Date.now() + 300 });
    const id = created.wakeup.id;
    const history = () => app.store.read((db) => wakeupHistory(db, id));
    await eventually("SRTP to the room", () => media.packets.length >= 3, 10_000);
    const invite = pbx.requests(null, "INVITE")[0];
    assert.ok(invite);
    pbx.hangUpWakeup(invite);
    await eventually("the answered event", async () => (await history()).some((e) => e.event === "answered"), 5000);
    const answered = (await history()).find((e) => e.event === "answered");
    assert.deepEqual(answered?.detail, { media: "srtp AEAD_AES_256_GCM" });

    // The next wake-up's room answers with a tag we never offered: ACK, BYE, failed with the reason.
    tag = () => 99;
    await eventually("the port free again", () => app.sip?.freePorts() === 1, 5000);
    const second = await createWakeup(app.ctx, "api:desk", { room: "101", at: Date.now() + 300 });
    const events = () => app.store.read((db) => wakeupHistory(db, second.wakeup.id));
    await eventually("the failure", async () => (await events()).some((e) => e.event === "failed"), 10_000);
    const failed = (await events()).find((e) => e.event === "failed");
    assert.match(String(failed?.detail?.detail), /SRTP answer refused: answered tag 99 was not offered/);
    const answeredAgain = (await events()).find((e) => e.event === "answered");
    assert.deepEqual(answeredAgain?.detail, {}, "no media on a call whose answer was refused");
    assertNoKeys("the log", logText(logger.lines), peerKeys);
    assertNoKeys("the history", JSON.stringify(await events()), peerKeys);
  });
});
