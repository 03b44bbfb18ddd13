import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import dgram from "node:dgram";
import { afterEach, describe, test } from "node:test";
import { FakeClock } from "../../../src/lib/clock.ts";
import { silentLogger } from "../../../src/lib/logger.ts";
import { buildDtmfPackets, type DtmfPress } from "../../../src/sip/rtp/dtmf.ts";
import { buildRtp, type RtpPacket } from "../../../src/sip/rtp/packet.ts";
import { RtpPortPool, RtpSession, type RtpSessionOptions } from "../../../src/sip/rtp/session.ts";
import { SrtpContext, type SrtpSuite } from "../../../src/sip/rtp/srtp/index.ts";

const HOST = "127.0.0.1";
const SUITE: SrtpSuite = "AES_CM_128_HMAC_SHA1_80";
const opened: { close(): unknown }[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > until) assert.fail(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

async function session(o: Partial<RtpSessionOptions> = {}): Promise<RtpSession> {
  const base = 20000 + 2 * Math.floor(Math.random() * 5000);
  const s = await RtpSession.open({
    bind: HOST,
    ports: new RtpPortPool(base, base + 198),
    clock: new FakeClock(),
    logger: silentLogger,
    ...o,
  });
  opened.push(s);
  return s;
}

async function rawUdp(port = 0): Promise<dgram.Socket> {
  const s = dgram.createSocket("udp4");
  s.on("error", () => {});
  await new Promise<void>((r) => s.bind(port, HOST, () => r()));
  opened.push(s);
  return s;
}

function sendRaw(s: dgram.Socket, bytes: Uint8Array, port: number): Promise<void> {
  return new Promise((resolve, reject) => s.send(bytes, port, HOST, (err) => (err ? reject(err) : resolve())));
}

const key = () => new Uint8Array(randomBytes(30));
const remoteAt = (port: number) => ({
  address: HOST,
  port,
  codec: "PCMU" as const,
  payloadType: 0,
  dtmfPayloadType: 101,
});
const audio = (seq: number, ssrc = 7) =>
  buildRtp({ payloadType: 0, sequence: seq, timestamp: seq * 160, ssrc }, new Uint8Array(160).fill(0xff));

describe("RtpSession with SRTP", () => {
  test("a prompt goes out protected and the far end decrypts it; keys presses (RFC 4733) inside SRTP are read", async () => {
    const a = await session();
    const b = await session();
    const ka = key();
    const kb = key();
    a.setRemote(remoteAt(b.local.port));
    b.setRemote(remoteAt(a.local.port));
    a.setSrtp({ suite: SUITE, local: ka, remote: kb, rtcpMux: false });
    b.setSrtp({ suite: SUITE, local: kb, remote: ka, rtcpMux: false });
    const heard: RtpPacket[] = [];
    b.onAudio = (p) => heard.push(p);
    const digits: DtmfPress[] = [];
    a.onDigit = (p) => digits.push(p);
    const r = await a.play(new Uint8Array(800).fill(0x7f));
    assert.equal(r.packets, 5);
    await waitFor("five packets", () => heard.length === 5);
    assert.ok(heard.every((p) => p.payload.length === 160 && p.payload.every((x) => x === 0x7f)));
    // b's keys, protected with b's key, reach a through a's receive context.
    const tx = new SrtpContext(SUITE, kb);
    const far = await rawUdp();
    for (const pkt of buildDtmfPackets("5", { pt: 101, ssrc: 9, seq: 100, timestamp: 8000, durationMs: 120 }))
      await sendRaw(far, tx.protectRtp(pkt), a.local.port);
    await waitFor("the digit", () => digits.length === 1);
    assert.equal(digits[0]?.digit, "5");
    assert.deepEqual(b.stats().srtp, { suite: SUITE, srtpAuthFailures: 0, srtpReplays: 0, srtpNotSrtp: 0 });
  });

  test("forged, replayed, plain and STUN packets are dropped and counted, and never latch", async () => {
    const s = await session();
    const kRemote = key();
    const sdp = await rawUdp();
    s.setRemote(remoteAt(sdp.address().port));
    s.setSrtp({ suite: SUITE, local: key(), remote: kRemote, rtcpMux: false });
    const heard: RtpPacket[] = [];
    s.onAudio = (p) => heard.push(p);
    const attacker = await rawUdp();
    const tx = new SrtpContext(SUITE, kRemote);
    const good = tx.protectRtp(audio(1));
    const tampered = Uint8Array.from(good);
    tampered[20] ^= 1;
    await sendRaw(attacker, tampered, s.local.port); // auth
    await sendRaw(attacker, audio(2), s.local.port); // plain RTP: fails auth too
    await sendRaw(attacker, new Uint8Array([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, ...new Uint8Array(12)]), s.local.port); // STUN
    await sendRaw(attacker, new Uint8Array([0x80, 204, 0, 2, 0, 0, 0, 1, 0x50, 0x49, 0x4e, 0x47]), s.local.port); // plain RTCP APP
    await sleep(50);
    assert.equal(heard.length, 0);
    assert.deepEqual(s.destination, { address: HOST, port: sdp.address().port }, "nothing latched");
    const peer = await rawUdp();
    await sendRaw(peer, good, s.local.port);
    await waitFor("the authenticated packet", () => heard.length === 1);
    assert.deepEqual(
      s.destination,
      { address: HOST, port: peer.address().port },
      "latched to the authenticated source",
    );
    await sendRaw(peer, good, s.local.port); // replay
    await sendRaw(peer, tx.protectRtp(audio(3)), s.local.port);
    await waitFor("the next packet", () => heard.length === 2);
    const st = s.stats();
    assert.deepEqual(st.srtp, { suite: SUITE, srtpAuthFailures: 2, srtpReplays: 1, srtpNotSrtp: 2 });
    assert.equal(st.packetsIn, 2);
    assert.equal(st.ignored, 5);
  });

  test("a changed remote key gets a new receive context; ours stays", async () => {
    const s = await session();
    const peer = await rawUdp();
    s.setRemote(remoteAt(peer.address().port));
    const mine = key();
    const k1 = key();
    const k2 = key();
    s.setSrtp({ suite: SUITE, local: mine, remote: k1, rtcpMux: false });
    const heard: RtpPacket[] = [];
    s.onAudio = (p) => heard.push(p);
    await sendRaw(peer, new SrtpContext(SUITE, k1).protectRtp(audio(500)), s.local.port);
    await waitFor("first key", () => heard.length === 1);
    s.setSrtp({ suite: SUITE, local: mine, remote: k2, rtcpMux: false });
    await sendRaw(peer, new SrtpContext(SUITE, k1).protectRtp(audio(501)), s.local.port);
    await sendRaw(peer, new SrtpContext(SUITE, k2).protectRtp(audio(10)), s.local.port); // new context: any index
    await waitFor("second key", () => heard.length === 2);
    assert.equal(heard[1]?.sequence, 10);
    assert.equal(s.stats().srtp?.srtpAuthFailures, 1);
  });

  for (const mux of [false, true]) {
    test(`SRTCP sender reports every 5 s on ${mux ? "the RTP port (rtcp-mux)" : "RTP + 1"}, authenticated`, async () => {
      const pacing = new FakeClock();
      const s = await session({ pacingClock: pacing });
      const rtcp = await rawUdp();
      const port = rtcp.address().port;
      s.setRemote(remoteAt(mux ? port : port - 1));
      const mine = key();
      s.setSrtp({ suite: SUITE, local: mine, remote: key(), rtcpMux: mux });
      const got: Buffer[] = [];
      rtcp.on("message", (m) => got.push(m));
      await sleep(30); // the RTCP socket binds in the background
      pacing.advance(4999);
      await sleep(30);
      assert.equal(got.length, 0);
      pacing.advance(1);
      await waitFor("a report", () => got.length === 1);
      const rx = new SrtpContext(SUITE, mine);
      const r = rx.unprotectRtcp(new Uint8Array(got[0] as Buffer));
      assert.ok(r.ok, "authenticates with our key");
      assert.equal(r.packet[1], 200, "a sender report");
      assert.equal(r.packet[29], 202, "then SDES");
      pacing.advance(5000);
      await waitFor("a second report", () => got.length === 2);
    });
  }
});
