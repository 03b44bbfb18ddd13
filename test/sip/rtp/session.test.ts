import assert from "node:assert/strict";
import dgram from "node:dgram";
import { afterEach, describe, test } from "node:test";
import { FakeClock } from "../../../src/lib/clock.ts";
import { memoryLogger, silentLogger } from "../../../src/lib/logger.ts";
import { buildDtmfPackets, type DtmfPress } from "../../../src/sip/rtp/dtmf.ts";
import { alawToLinear, ULAW_SILENCE, ulawToAlaw, ulawToLinear } from "../../../src/sip/rtp/g711.ts";
import { buildRtp, parseRtp, type RtpPacket } from "../../../src/sip/rtp/packet.ts";
import {
  RtpPortPool,
  RtpPortsExhaustedError,
  type RtpRemote,
  RtpSession,
  type RtpSessionOptions,
} from "../../../src/sip/rtp/session.ts";

const HOST = "127.0.0.1";
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

/** Below Linux's ephemeral range (32768+), so other tests' port-0 sockets do not collide with it. */
function randomPool(size = 100): RtpPortPool {
  const base = 20000 + 2 * Math.floor(Math.random() * 5000);
  return new RtpPortPool(base, base + 2 * (size - 1));
}

async function session(o: Partial<RtpSessionOptions> = {}): Promise<RtpSession> {
  const s = await RtpSession.open({
    bind: HOST,
    ports: randomPool(),
    clock: new FakeClock(),
    logger: silentLogger,
    ...o,
  });
  opened.push(s);
  return s;
}

function remoteOf(s: { local: { address: string; port: number } }, o: Partial<RtpRemote> = {}): RtpRemote {
  return { address: s.local.address, port: s.local.port, codec: "PCMU", payloadType: 0, dtmfPayloadType: 101, ...o };
}

type Arrival = { at: number; p: RtpPacket };

/** Two sessions pointed at each other; `heard` collects what b receives from a. */
async function pair(o: Partial<RtpRemote> = {}) {
  const a = await session();
  const b = await session();
  a.setRemote(remoteOf(b, o));
  b.setRemote(remoteOf(a, o));
  const heard: Arrival[] = [];
  b.onAudio = (p) => heard.push({ at: performance.now(), p: { ...p, payload: p.payload.slice() } });
  return { a, b, heard };
}

async function rawUdp(address = HOST, port = 0): Promise<dgram.Socket> {
  const s = dgram.createSocket(address.includes(":") ? "udp6" : "udp4");
  s.on("error", () => {});
  await new Promise<void>((r) => s.bind(port, address, () => r()));
  opened.push(s);
  return s;
}

function sendRaw(s: dgram.Socket, bytes: Uint8Array, port: number, address = HOST): Promise<void> {
  return new Promise((resolve, reject) => s.send(bytes, port, address, (err) => (err ? reject(err) : resolve())));
}

/** A free even UDP port (for pools of one port). */
async function freeEvenPort(): Promise<number> {
  for (;;) {
    const s = dgram.createSocket("udp4");
    await new Promise<void>((r) => s.bind(0, HOST, () => r()));
    const port = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    if (port % 2 === 0) return port;
  }
}

function prompt(frames: number, extra = 0): Uint8Array {
  return Uint8Array.from({ length: frames * 160 + extra }, (_, i) => (i * 7 + 3) & 0xff);
}

const seqGap = (a: number, b: number) => (b - a + 0x10000) & 0xffff;
const tsGap = (a: number, b: number) => (b - a) >>> 0;

describe("RtpSession", () => {
  test("a prompt arrives intact and in order: one SSRC, consecutive sequence numbers, marker on the first", async () => {
    const { a, b, heard } = await pair();
    const audio = prompt(5, 37);
    const r = await a.play(audio);
    assert.deepEqual(r, { stopped: false, packets: 6 });
    await waitFor("6 packets at b", () => heard.length === 6);
    const got = new Uint8Array(6 * 160);
    heard.forEach((h, i) => {
      got.set(h.p.payload, i * 160);
      assert.equal(h.p.payloadType, 0);
      assert.equal(h.p.marker, i === 0);
      assert.equal(h.p.ssrc, heard[0]?.p.ssrc);
      if (i > 0) {
        const prev = heard[i - 1]?.p as RtpPacket;
        assert.equal(seqGap(prev.sequence, h.p.sequence), 1);
        assert.equal(tsGap(prev.timestamp, h.p.timestamp), 160);
      }
    });
    const padded = new Uint8Array(6 * 160).fill(ULAW_SILENCE);
    padded.set(audio);
    assert.deepEqual(got, padded, "payloads are the prompt, the last frame padded with silence");
    assert.equal(a.stats().packetsOut, 6);
    assert.equal(b.stats().packetsIn, 6);
    assert.equal(b.stats().ignored, 0);
  });

  test("sequence numbers continue across prompts; the timestamp jumps by the real time between them", async () => {
    const { a, heard } = await pair();
    await a.play(prompt(3));
    await sleep(150);
    await a.play(prompt(3));
    await a.play(prompt(2)); // straight after: keeps the 20 ms cadence
    await waitFor("8 packets", () => heard.length === 8);
    const ps = heard.map((h) => h.p);
    for (let i = 1; i < 8; i++) assert.equal(seqGap(ps[i - 1]?.sequence ?? 0, ps[i]?.sequence ?? 0), 1, `seq at ${i}`);
    assert.deepEqual(
      ps.map((p) => p.marker),
      [true, false, false, true, false, false, true, false],
    );
    assert.ok(ps.every((p) => p.ssrc === ps[0]?.ssrc));

    const jump = tsGap(ps[2]?.timestamp ?? 0, ps[3]?.timestamp ?? 0);
    const gapMs = (heard[3]?.at ?? 0) - (heard[2]?.at ?? 0);
    assert.ok(jump >= 150 * 8, `jump ${jump} covers the 150 ms pause`);
    assert.ok(Math.abs(jump - gapMs * 8) <= 10 * 8, `jump ${jump} samples vs ${gapMs.toFixed(1)} ms between arrivals`);

    const next = tsGap(ps[5]?.timestamp ?? 0, ps[6]?.timestamp ?? 0);
    const nextMs = (heard[6]?.at ?? 0) - (heard[5]?.at ?? 0);
    assert.ok(next >= 160 && next <= 160 + 5 * 8, `back-to-back prompts advance one frame, got ${next}`);
    assert.ok(nextMs >= 15, `the next prompt waits out the frame interval (${nextMs.toFixed(1)} ms)`);
  });

  test("PCMA: the μ-law prompt goes out as A-law and decodes to nearly the same signal", async () => {
    const { a, heard } = await pair({ codec: "PCMA", payloadType: 8 });
    const audio = Uint8Array.from({ length: 320 }, (_, i) => i & 0xff);
    await a.play(audio);
    await waitFor("2 packets", () => heard.length === 2);
    const got = new Uint8Array(320);
    for (const [i, h] of heard.entries()) got.set(h.p.payload, i * 160);
    assert.ok(heard.every((h) => h.p.payloadType === 8));
    assert.deepEqual(got, ulawToAlaw(audio));
    const want = ulawToLinear(audio);
    const back = alawToLinear(got);
    for (let i = 0; i < want.length; i++) {
      const w = want[i] as number;
      const d = Math.abs((back[i] as number) - w);
      assert.ok(d <= Math.max(16, Math.abs(w) / 16), `sample ${i}: ${w} came back as ${back[i]}`);
    }
  });

  test("RFC 4733 events from the far end arrive as one digit each", async () => {
    const a = await session();
    const far = await rawUdp();
    a.setRemote({ address: HOST, port: far.address().port, codec: "PCMU", payloadType: 0, dtmfPayloadType: 101 });
    const digits: DtmfPress[] = [];
    a.onDigit = (p) => digits.push(p);
    for (const [i, key] of ["5", "#"].entries()) {
      for (const pkt of buildDtmfPackets(key, { pt: 101, ssrc: 9, seq: 10 * i, timestamp: 8000 * i, durationMs: 120 }))
        await sendRaw(far, pkt, a.local.port);
    }
    await waitFor("two digits", () => digits.length === 2);
    await sleep(20); // late redundant end packets must not repeat a digit
    assert.deepEqual(
      digits.map((d) => [d.digit, d.closedBy, d.durationMs]),
      [
        ["5", "end", 120],
        ["#", "end", 120],
      ],
    );
    assert.equal(a.stats().digits, 2);
  });

  test("garbage, RTCP, other payload types, other sources and packets before setRemote are ignored", async () => {
    const logger = memoryLogger();
    const a = await session({ logger });
    const far = await rawUdp();
    const stranger = await rawUdp();
    const rtp = (pt: number, seq: number) =>
      buildRtp({ payloadType: pt, sequence: seq, timestamp: 0, ssrc: 1 }, new Uint8Array(160));
    await sendRaw(far, rtp(0, 1), a.local.port); // before setRemote
    await waitFor("first ignored", () => a.stats().ignored === 1);

    a.setRemote({ address: HOST, port: far.address().port, codec: "PCMU", payloadType: 0, dtmfPayloadType: 101 });
    await sendRaw(far, new Uint8Array([1, 2, 3]), a.local.port);
    await sendRaw(
      far,
      Uint8Array.from({ length: 40 }, (_, i) => (i * 37) & 0xff),
      a.local.port,
    );
    await sendRaw(far, Uint8Array.of(0x80, 200, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1), a.local.port); // RTCP SR
    await sendRaw(far, rtp(13, 2), a.local.port); // comfort noise: not negotiated
    await sendRaw(far, new Uint8Array(0), a.local.port);
    await waitFor("five more ignored", () => a.stats().ignored === 6);
    assert.equal(a.stats().packetsIn, 0);

    await sendRaw(far, rtp(0, 3), a.local.port); // latches to far
    await waitFor("accepted", () => a.stats().packetsIn === 1);
    await sendRaw(stranger, rtp(0, 4), a.local.port);
    await sendRaw(
      stranger,
      buildDtmfPackets("1", { pt: 101, ssrc: 5, seq: 0, timestamp: 0, durationMs: 60 })[0] as Uint8Array,
      a.local.port,
    );
    await waitFor("stranger ignored", () => a.stats().ignored === 8);
    await sendRaw(far, rtp(0, 5), a.local.port);
    await waitFor("far still heard", () => a.stats().packetsIn === 2);
    assert.equal(a.stats().digits, 0);
    assert.ok(!logger.lines.some((l) => l.level === "error"));
  });

  test("latching: the session sends to the source of the first valid packet, not the SDP port", async () => {
    const a = await session();
    const far = await rawUdp();
    const farPort = far.address().port;
    const got: RtpPacket[] = [];
    far.on("message", (m: Uint8Array) => {
      const r = parseRtp(m);
      if (r.ok) got.push(r.packet);
    });
    a.setRemote({ address: HOST, port: farPort + 1, codec: "PCMU", payloadType: 0, dtmfPayloadType: null });
    assert.deepEqual(a.destination, { address: HOST, port: farPort + 1 });
    await sendRaw(
      far,
      buildRtp({ payloadType: 0, sequence: 1, timestamp: 0, ssrc: 1 }, new Uint8Array(160)),
      a.local.port,
    );
    await waitFor("latched", () => a.destination?.port === farPort);
    await a.play(prompt(2));
    await waitFor("prompt at the latched source", () => got.length === 2);

    // The same address and port again (a session refresh) keeps the latch; a move drops it.
    a.setRemote({ address: HOST, port: farPort + 1, codec: "PCMU", payloadType: 0, dtmfPayloadType: null });
    assert.equal(a.destination?.port, farPort);
    a.setRemote({ address: HOST, port: farPort + 3, codec: "PCMU", payloadType: 0, dtmfPayloadType: null });
    assert.equal(a.destination?.port, farPort + 3);
  });

  test("a play stops the running one; stopPlayback ends a prompt early", async () => {
    const { a, heard } = await pair();
    const first = a.play(prompt(50));
    await sleep(70);
    const second = a.play(prompt(2));
    const r1 = await first;
    assert.equal(r1.stopped, true);
    assert.ok(r1.packets >= 2 && r1.packets < 50);
    assert.deepEqual(await second, { stopped: false, packets: 2 });
    await waitFor("all packets", () => heard.length === r1.packets + 2);
    for (let i = 1; i < heard.length; i++)
      assert.equal(seqGap(heard[i - 1]?.p.sequence ?? 0, heard[i]?.p.sequence ?? 0), 1);
    assert.equal(heard[r1.packets]?.p.marker, true);

    const third = a.play(prompt(50));
    await sleep(50);
    a.stopPlayback();
    const r3 = await third;
    assert.equal(r3.stopped, true);
    assert.ok(r3.packets < 50);
  });

  test("close stops a running prompt, is idempotent and frees the port", async () => {
    const port = await freeEvenPort();
    const ports = new RtpPortPool(port, port);
    const { a, heard } = await pair();
    const b2 = await session({ ports });
    a.setRemote(remoteOf(b2));
    b2.setRemote(remoteOf(a));
    let n = 0;
    b2.onAudio = () => n++;
    const playing = a.play(prompt(250));
    await waitFor("some audio", () => n >= 3);
    await a.close();
    const r = await playing;
    assert.equal(r.stopped, true);
    assert.ok(r.packets >= 3 && r.packets < 250);
    await sleep(60);
    assert.equal(n, r.packets, "nothing is sent after close");
    assert.deepEqual(await a.play(prompt(1)), { stopped: true, packets: 0 });
    assert.equal(heard.length, 0);

    assert.equal(ports.inUse, 1);
    await Promise.all([b2.close(), b2.close()]);
    assert.equal(ports.inUse, 0);
    const again = await session({ ports });
    assert.equal(again.local.port, port);
  });

  test("port pool: even ports round-robin, busy ports skipped, a clear error when none is left", async () => {
    const pool = new RtpPortPool(1001, 1008);
    assert.equal(pool.capacity, 4);
    assert.deepEqual([pool.take(), pool.take(), pool.take(), pool.take(), pool.take()], [1002, 1004, 1006, 1008, null]);
    pool.release(1004);
    pool.release(1002);
    assert.equal(pool.take(), 1002, "the next free one after the last handed out, wrapping");
    assert.equal(pool.take(), 1004);
    assert.throws(() => new RtpPortPool(1001, 1001), RangeError);

    const port = await freeEvenPort();
    const one = new RtpPortPool(port, port);
    const s = await session({ ports: one });
    assert.equal(s.local.port, port);
    await assert.rejects(session({ ports: one }), (e: unknown) => {
      assert.ok(e instanceof RtpPortsExhaustedError);
      assert.match(
        e.message,
        new RegExp(`no free RTP port in ${port}–${port} on 127\\.0\\.0\\.1: all 1 held by calls`),
      );
      return true;
    });
    await s.close();

    // A port held by another program is skipped, then counted in the error.
    const blocker = await rawUdp(HOST, port);
    const two = new RtpPortPool(port, port + 2);
    const t = await session({ ports: two }).catch(() => null);
    if (t) assert.equal(t.local.port, port + 2);
    await assert.rejects(session({ ports: two }), /taken by other programs/);
    blocker.close();
    opened.splice(opened.indexOf(blocker), 1);
  });

  test("play before setRemote rejects; IPv6 works", async () => {
    const a = await session({ bind: "::1" });
    await assert.rejects(a.play(prompt(1)), /before setRemote/);
    const b = await session({ bind: "::1" });
    assert.equal(a.local.address, "::1");
    a.setRemote(remoteOf(b));
    b.setRemote(remoteOf(a));
    let n = 0;
    b.onAudio = () => n++;
    await a.play(prompt(2));
    await waitFor("2 packets over ::1", () => n === 2);
    assert.throws(() => a.setRemote({ ...remoteOf(b), address: HOST }), RangeError);
  });
});
