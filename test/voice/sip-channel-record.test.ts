/**
 * Recording over real RTP on 127.0.0.1: one RtpSession plays speech-like audio (tone bursts with
 * pauses), the other records it through SipChannel.record; and a raw UDP phone presses # (RFC 4733)
 * while its audio goes on. Real time, real sockets, real files.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import { FakeClock, monotonicClock } from "../../src/lib/clock.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { buildDtmfPackets } from "../../src/sip/rtp/dtmf.ts";
import { ulawToAlaw } from "../../src/sip/rtp/g711.ts";
import { buildRtp } from "../../src/sip/rtp/packet.ts";
import { RtpPortPool, type RtpRemote, RtpSession } from "../../src/sip/rtp/session.ts";
import type { CallEndReason, SipCall } from "../../src/sip/ua/call.ts";
import type { RecordOptions } from "../../src/voice/channel.ts";
import { g711WavLayout } from "../../src/voice/g711-wav.ts";
import { SipChannel } from "../../src/voice/sip-channel.ts";
import { concat, silence, tone } from "../../src/voice/tone.ts";

const HOST = "127.0.0.1";
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function randomPool(): RtpPortPool {
  const base = 20000 + 2 * Math.floor(Math.random() * 5000);
  return new RtpPortPool(base, base + 20);
}

async function session(): Promise<RtpSession> {
  const s = await RtpSession.open({ bind: HOST, ports: randomPool(), clock: new FakeClock(), logger: silentLogger });
  cleanups.push(() => s.close());
  return s;
}

function fakeCall() {
  let end!: (r: CallEndReason) => void;
  const call = {
    onInfoDigit: undefined as ((d: string) => void) | undefined,
    ended: new Promise<CallEndReason>((r) => {
      end = r;
    }),
    async hangup() {
      end("local-bye");
    },
  };
  return { call: call as unknown as SipCall, end };
}

function tempPath(): string {
  const d = mkdtempSync(join(tmpdir(), "bellhop-rtprec-"));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return join(d, "m.wav");
}

const remoteOf = (s: { local: { address: string; port: number } }, codec: "PCMU" | "PCMA"): RtpRemote => ({
  address: s.local.address,
  port: s.local.port,
  codec,
  payloadType: codec === "PCMU" ? 0 : 8,
  dtmfPayloadType: 101,
});

const burst = (ms: number, hz: number) => tone({ hz, ms, dbfs: -14 });

describe("SipChannel.record over RTP", () => {
  for (const codec of ["PCMU", "PCMA"] as const) {
    test(`${codec}: the recording is as long as what was sent, within 40 ms`, async () => {
      const a = await session();
      const b = await session();
      a.setRemote(remoteOf(b, codec));
      b.setRemote(remoteOf(a, codec));
      const { call } = fakeCall();
      const ch = new SipChannel(call, b, monotonicClock, { codec });
      const sent = concat([burst(400, 350), silence(300), burst(500, 520), silence(200), burst(300, 430)]);
      const path = tempPath();
      const opts: RecordOptions = { path, maxMs: 10_000, silenceMs: 700, warnBeforeMs: 0, stopKeys: "#" };
      const recording = ch.record(opts);
      await sleep(30);
      const played = await a.play(sent);
      assert.equal(played.stopped, false);
      const r = await recording;
      assert.equal(r.end, "silence");
      assert.equal(r.codec, codec);
      assert.ok(Math.abs(r.durationMs - 1700) <= 40, `duration ${r.durationMs} ms for 1700 ms sent`);
      assert.ok(Math.abs(r.soundMs - 1200) <= 40, `sound ${r.soundMs} ms for 1200 ms of bursts`);
      const file = new Uint8Array(readFileSync(path));
      const layout = g711WavLayout(file, file.length);
      assert.equal(layout?.codec, codec);
      assert.equal(layout?.unfinished, false);
      const want = codec === "PCMA" ? ulawToAlaw(sent) : sent;
      assert.deepEqual(file.subarray(58, 58 + (layout?.dataBytes ?? 0)), want, "no loss on loopback: the same bytes");
    });
  }

  test("# from a phone that keeps sending audio: cut 40 ms before the event's start timestamp", async () => {
    const b = await session();
    const phone = dgram.createSocket("udp4");
    await new Promise<void>((r) => phone.bind(0, HOST, () => r()));
    cleanups.push(() => new Promise<void>((r) => phone.close(() => r())));
    b.setRemote({ address: HOST, port: phone.address().port, codec: "PCMU", payloadType: 0, dtmfPayloadType: 101 });
    const { call } = fakeCall();
    const ch = new SipChannel(call, b, monotonicClock);
    const recording = ch.record({ path: tempPath(), maxMs: 10_000, silenceMs: 3000, warnBeforeMs: 0, stopKeys: "#" });
    const send = (bytes: Uint8Array) => phone.send(bytes, b.local.port, HOST);
    const ssrc = 0x5eed;
    let ts = 0xffff_ff00;
    let seq = 0xffff;
    const voice = burst(2000, 300);
    const keyAtMs = 1000;
    let dtmf: Uint8Array[] = [];
    for (let ms = 0, i = 0; ms < 1500; ms += 20, i++) {
      if (ms === keyAtMs) {
        dtmf = buildDtmfPackets("#", { pt: 101, ssrc, seq: 0, timestamp: ts >>> 0, durationMs: 200 });
      }
      send(
        buildRtp(
          { payloadType: 0, sequence: seq++ & 0xffff, timestamp: ts >>> 0, ssrc },
          voice.subarray(i * 160, i * 160 + 160),
        ),
      );
      if (ms >= keyAtMs && (ms - keyAtMs) % 40 === 0 && dtmf.length > 0) {
        const p = dtmf.shift() as Uint8Array;
        p[2] = (seq >> 8) & 0xff; // the events share the stream's sequence numbers
        p[3] = seq++ & 0xff;
        send(p);
      }
      ts += 160;
      await sleep(20);
    }
    const r = await recording;
    assert.deepEqual(r, { end: "key", key: "#", durationMs: keyAtMs - 40, soundMs: keyAtMs - 40, codec: "PCMU" });
    const next = ch.readDigit(50);
    assert.equal(await next, "timeout", "the stop key is not left for the flow");
  });
});
