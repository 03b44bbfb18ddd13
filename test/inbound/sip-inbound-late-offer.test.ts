/**
 * Late offer (RFC 3261 §13.2.1, issue 11 §3): an INVITE without SDP gets our offer in the 200 OK —
 * RTP/SAVP with one a=crypto per suite under mandatory SRTP, RTP/AVP with them under optional, plain
 * RTP/AVP when off — and the answer in the ACK starts the media; an unusable answer ends the call
 * with a BYE. The PBX is a bare UDP socket on loopback; the appliance is the real assembly.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import { type Logger, silentLogger } from "../../src/lib/logger.ts";
import { parseRtp } from "../../src/sip/rtp/packet.ts";
import { SUITE_PREFERENCE } from "../../src/sip/sdp/crypto.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { cryptoLines, MediaPeer, pbxSdp, peerKeys, sdpOf, UdpPbx } from "../helpers/udp-pbx.ts";
import { eventually, freePort, HOST } from "../integration/support.ts";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function appliance(srtp: "mandatory" | "optional" | "off", logger: Logger = silentLogger) {
  const t = tempDir("bellhop-late-");
  cleanups.push(() => t.cleanup());
  const pbx = await UdpPbx.open();
  cleanups.push(() => pbx.close());
  const media = await MediaPeer.open();
  cleanups.push(() => media.close());
  const sipPort = await freePort();
  const rtpBase = 30000 + 2 * Math.floor(Math.random() * 2000);
  const config = parseConfig({
    pms: { port: await freePort() },
    sip: {
      local: { port: sipPort },
      pbx: { address: HOST, port: pbx.port, expiresSeconds: 600 },
      ports: [{ user: "2001", password: "secret" }],
      media: { portMin: rtpBase, portMax: rtpBase + 20, srtp },
    },
  });
  pbx.appPort = sipPort;
  const app: Appliance = await startAppliance({
    config,
    dataDir: join(t.dir, "data"),
    migrationsFolder: MIGRATIONS,
    logger,
    version: "test",
  });
  cleanups.push(() => app.stop());
  await eventually("the port registered", () => app.sip?.freePorts() === 1, 5000);
  return { app, pbx, media };
}

/** The 200 OK to `callId` and the offer it carries. */
async function offerIn200(pbx: UdpPbx, callId: string) {
  await eventually("the 200 OK", () => pbx.responses(callId, 200).length > 0, 5000);
  const ok = pbx.responses(callId, 200)[0];
  assert.equal(ok.headers.get("Content-Type"), "application/sdp");
  const sdp = sdpOf(ok);
  const m = /^m=audio (\d+) (\S+) /m.exec(sdp);
  assert.ok(m, sdp);
  return { sdp, rtpPort: Number(m[1]), proto: m[2], crypto: cryptoLines(sdp) };
}

describe("late offer: an INVITE without SDP", () => {
  test("mandatory SRTP: our SAVP offer in the 200, the ACK's answer keys the media", async () => {
    const { pbx, media } = await appliance("mandatory");
    pbx.invite("2001", "late1");
    const offer = await offerIn200(pbx, "late1");
    assert.equal(offer.proto, "RTP/SAVP");
    assert.deepEqual(
      offer.crypto.map((c) => c.suite),
      [...SUITE_PREFERENCE],
      "one a=crypto per suite, best first",
    );
    assert.equal(new Set(offer.crypto.map((c) => c.tag)).size, offer.crypto.length, "distinct tags");
    assert.equal(pbx.requests("late1", "BYE").length, 0);
    // Answer the second line (another suite than the first) with our own key.
    const chosen = offer.crypto[1];
    const peerKey = new Uint8Array(randomBytes(chosen.key.length));
    const answer = `${chosen.tag} ${chosen.suite} inline:${Buffer.from(peerKey).toString("base64")}`;
    pbx.ack("late1", pbxSdp(media.port, "RTP/SAVP", [`a=crypto:${answer}`]));
    await eventually("SRTP from the appliance", () => media.packets.length >= 5, 5000);
    const { rx } = peerKeys(chosen, peerKey);
    const opened = media.packets.slice(0, 5).map((p) => rx.unprotectRtp(p));
    assert.ok(
      opened.every((r) => r.ok),
      `every packet opens with the answered line's key: ${JSON.stringify(opened.map((r) => r.ok || r.reason))}`,
    );
    assert.equal(pbx.requests("late1", "BYE").length, 0, "the call goes on");
    pbx.bye("late1");
  });

  test("optional SRTP: RTP/AVP with a=crypto offered; a plain answer in the ACK gets plain RTP", async () => {
    const { pbx, media } = await appliance("optional");
    pbx.invite("2001", "late2");
    const offer = await offerIn200(pbx, "late2");
    assert.equal(offer.proto, "RTP/AVP");
    assert.equal(offer.crypto.length, SUITE_PREFERENCE.length);
    pbx.ack("late2", pbxSdp(media.port));
    await eventually("RTP from the appliance", () => media.packets.length >= 3, 5000);
    const first = parseRtp(media.packets[0] as Uint8Array);
    assert.ok(first.ok);
    assert.equal(first.packet.payloadType, 0);
    assert.equal(first.packet.payload.length, 160, "a plain G.711 frame, no SRTP tag");
    pbx.bye("late2");
  });

  test("SRTP off: plain RTP/AVP offer without a=crypto", async () => {
    const { pbx, media } = await appliance("off");
    pbx.invite("2001", "late3");
    const offer = await offerIn200(pbx, "late3");
    assert.equal(offer.proto, "RTP/AVP");
    assert.equal(offer.crypto.length, 0);
    pbx.ack("late3", pbxSdp(media.port));
    await eventually("RTP from the appliance", () => media.packets.length >= 3, 5000);
    pbx.bye("late3");
  });

  test("an SRTP answer with a tag we did not offer: BYE with a Reason, no media", async () => {
    const { pbx, media } = await appliance("mandatory");
    pbx.invite("2001", "late4");
    const offer = await offerIn200(pbx, "late4");
    const key = Buffer.from(randomBytes(30)).toString("base64");
    const wrong = `a=crypto:${offer.crypto.length + 7} AES_CM_128_HMAC_SHA1_80 inline:${key}`;
    pbx.ack("late4", pbxSdp(media.port, "RTP/SAVP", [wrong]));
    await eventually("the BYE", () => pbx.requests("late4", "BYE").length > 0, 5000);
    const bye = pbx.requests("late4", "BYE")[0];
    assert.match(bye.headers.get("Reason") ?? "", /^SIP;cause=488;/);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(media.packets.length, 0, "nothing was sent to the refused answer");
  });

  test("mandatory SRTP, a plain RTP/AVP answer, or none at all in the ACK: BYE", async () => {
    const { app, pbx, media } = await appliance("mandatory");
    pbx.invite("2001", "late5");
    await offerIn200(pbx, "late5");
    pbx.ack("late5", pbxSdp(media.port));
    await eventually("the BYE (plain answer)", () => pbx.requests("late5", "BYE").length > 0, 5000);
    await eventually("the port is free again", () => app.sip?.freePorts() === 1, 5000);
    pbx.invite("2001", "late6");
    await offerIn200(pbx, "late6");
    pbx.ack("late6");
    await eventually("the BYE (no answer)", () => pbx.requests("late6", "BYE").length > 0, 5000);
    assert.equal(media.packets.length, 0);
  });
});
