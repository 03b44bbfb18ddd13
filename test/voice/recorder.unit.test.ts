/**
 * The voicemail recorder on a fake clock with synthetic RTP: what lands in the WAV file, to the
 * sample, for clean, lossy, reordered and restarted streams; the four ways a recording ends and the
 * trims they make; sound time; crash recovery; A-law.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import { FakeClock } from "../../src/lib/clock.ts";
import { alawToUlaw, ulawToAlaw } from "../../src/sip/rtp/g711.ts";
import type { RecordOptions } from "../../src/voice/channel.ts";
import { g711WavHeader, g711WavLayout } from "../../src/voice/g711-wav.ts";
import {
  Recorder,
  type RecorderOptions,
  type RecorderPacket,
  readMessageUlaw,
  recoverRecording,
} from "../../src/voice/recorder.ts";
import { concat, tone } from "../../src/voice/tone.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh folder's file; the recorder makes `box/` itself, the tests writing files by hand need `flat`. */
function tempPath(name = "msg.wav", flat = false): string {
  const d = mkdtempSync(join(tmpdir(), "bellhop-rec-"));
  dirs.push(d);
  return flat ? join(d, name) : join(d, "box", name);
}

/** Speech stand-in: a tone well above the silence threshold. */
const speech = (ms: number) => tone({ hz: 440, ms, dbfs: -12, rampMs: 0 });
/** Line noise well below the threshold (μ-law codes near zero), as a phone sends in a pause. */
const hush = (ms: number) => Uint8Array.from({ length: ms * 8 }, (_, i) => (i % 2 ? 0xfe : 0x7e));

/** A phone's RTP stream; starts near the 32-bit timestamp and 16-bit sequence wrap on purpose. */
class Phone {
  ts = 0xffff_f000;
  seq = 0xfff0;
  constructor(
    public ssrc = 0x1234_5678,
    public pt = 0,
  ) {}
  packet(payload: Uint8Array): RecorderPacket {
    const p = { payloadType: this.pt, timestamp: this.ts >>> 0, sequence: this.seq & 0xffff, ssrc: this.ssrc, payload };
    this.ts += payload.length;
    this.seq++;
    return p;
  }
}

function frames(audio: Uint8Array, size = 160): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < audio.length; i += size) out.push(audio.slice(i, i + size));
  return out;
}

const defaults: Omit<RecordOptions, "path"> = { maxMs: 180_000, silenceMs: 5000, warnBeforeMs: 10_000, stopKeys: "#" };

function start(o: Partial<RecorderOptions> = {}) {
  const clock = new FakeClock();
  const path = o.path ?? tempPath();
  const rec = new Recorder({ ...defaults, ...o, path, clock });
  const phone = new Phone();
  /** Sends `audio` as 20 ms packets in real time; `skip` drops packets by index (lost). */
  const send = (audio: Uint8Array, skip: ReadonlySet<number> = new Set()) => {
    frames(audio).forEach((f, i) => {
      clock.advance(f.length / 8);
      const p = phone.packet(f);
      if (!skip.has(i)) rec.audio(p);
    });
  };
  return { clock, path, rec, phone, send };
}

function audioOf(path: string): { codec: string; data: Uint8Array; riff: number; fact: number; declared: number } {
  const file = new Uint8Array(readFileSync(path));
  const layout = g711WavLayout(file, file.length);
  assert.ok(layout, "a G.711 WAV");
  assert.equal(layout.dataOffset, 58);
  assert.equal(layout.unfinished, false, "sizes fixed");
  const v = new DataView(file.buffer, file.byteOffset);
  return {
    codec: layout.codec,
    data: file.subarray(58, 58 + layout.dataBytes),
    riff: v.getUint32(4, true),
    fact: v.getUint32(46, true),
    declared: v.getUint32(54, true),
  };
}

describe("Recorder", () => {
  test("a clean stream is stored byte for byte as it arrives, header first, sizes fixed at the end", async () => {
    const r = start();
    const sent = concat([speech(1000), hush(500), speech(1500)]);
    r.send(sent.subarray(0, 8000));
    const mid = readFileSync(r.path);
    assert.equal(mid.length, 58 + 8000, "written as it arrives");
    assert.equal(new DataView(mid.buffer, mid.byteOffset).getUint32(54, true), 0xffffffff, "placeholder size");
    r.send(sent.subarray(8000));
    r.rec.hangup();
    const res = await r.rec.done;
    assert.deepEqual(res, { end: "hangup", durationMs: 3000, soundMs: 2500, codec: "PCMU" });
    const a = audioOf(r.path);
    assert.deepEqual(a.data, sent);
    assert.equal(a.codec, "PCMU");
    assert.equal(a.declared, sent.length);
    assert.equal(a.fact, sent.length);
    assert.equal(a.riff, statSync(r.path).size - 8);
    assert.equal(statSync(r.path).mode & 0o777, 0o600, "a guest's message is the appliance's only");
    assert.deepEqual(readMessageUlaw(r.path), sent);
  });

  test("lost packets become silence, a late packet takes its slot back, duplicates are dropped", async () => {
    const r = start();
    const sent = speech(1000);
    const fs = frames(sent);
    const packets = fs.map((f) => r.phone.packet(f));
    const order = [0, 1, 2, 3, 5, 4, 6, 7, 7, 8, 12, 13, 9, 14, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30];
    for (const i of order) {
      r.clock.advance(20);
      r.rec.audio(packets[i] as RecorderPacket);
    }
    for (let i = 31; i < fs.length; i++) r.rec.audio(packets[i] as RecorderPacket);
    r.rec.hangup();
    const res = await r.rec.done;
    assert.equal(res.durationMs, 1000, "the length stays true");
    const want = sent.slice();
    for (const lost of [10, 11, 15, 16, 17, 18, 19]) want.fill(0xff, lost * 160, lost * 160 + 160);
    assert.deepEqual(audioOf(r.path).data, want);
    assert.equal(res.soundMs, 1000 - 7 * 20, "filled frames are silence; the late 9 is sound again");
  });

  test("a timestamp jump over 1 s and a new SSRC are not filled", async () => {
    const r = start();
    r.send(speech(200));
    r.phone.ts += 3 * 8000;
    r.send(speech(200));
    r.phone.ssrc = 0x0bad_cafe;
    r.phone.ts = 77;
    r.send(speech(200));
    r.rec.hangup();
    const res = await r.rec.done;
    assert.equal(res.durationMs, 600);
  });

  test("# ends it, cut 40 ms before where the RFC 4733 event began, though it arrived later", async () => {
    const r = start({ stopKeys: "#0" });
    r.send(speech(1500));
    const pressedAt = r.phone.ts;
    r.send(speech(200)); // the tone's duration: the end packet reports the press
    assert.equal(r.rec.key("5", { timestamp: pressedAt, ssrc: r.phone.ssrc, durationMs: 200 }), false, "ignored");
    assert.equal(r.rec.key("#", { timestamp: pressedAt, ssrc: r.phone.ssrc, durationMs: 200 }), true);
    r.send(speech(100)); // after the end: not recorded
    const res = await r.rec.done;
    assert.deepEqual(res, { end: "key", key: "#", durationMs: 1460, soundMs: 1460, codec: "PCMU" });
    assert.equal(audioOf(r.path).data.length, 1460 * 8);
  });

  test("a key without a usable timestamp (SIP INFO, another SSRC) cuts its duration and 40 ms off the end", async () => {
    const info = start();
    info.send(speech(1000));
    info.rec.key("#");
    assert.equal((await info.rec.done).durationMs, 960);
    const other = start();
    other.send(speech(1000));
    other.rec.key("#", { timestamp: 123, ssrc: 999, durationMs: 100 });
    assert.equal((await other.rec.done).durationMs, 860);
  });

  test("silence ends it and trailing silence is trimmed to 200 ms; sound time excludes the pauses", async () => {
    const r = start({ silenceMs: 2000 });
    r.send(concat([speech(1000), hush(1000), speech(1500)]));
    r.send(hush(5000));
    const res = await r.rec.done;
    assert.equal(res.end, "silence");
    assert.equal(res.durationMs, 3700);
    assert.equal(res.soundMs, 2500);
    assert.equal(audioOf(r.path).data.length, 3700 * 8);
  });

  test("a caller who never speaks, or sends no RTP at all, ends after silenceMs by the clock", async () => {
    const quiet = start({ silenceMs: 3000 });
    quiet.send(hush(10_000));
    assert.deepEqual(await quiet.rec.done, { end: "silence", durationMs: 200, soundMs: 0, codec: "PCMU" });
    const none = start({ silenceMs: 3000 });
    none.clock.advance(2999);
    assert.equal(none.rec.ended, false);
    none.clock.advance(1);
    assert.deepEqual(await none.rec.done, { end: "silence", durationMs: 0, soundMs: 0, codec: "PCMU" });
    assert.equal(readMessageUlaw(none.path).length, 0);
  });

  test("max: the warning tone is asked for warnBeforeMs before, the audio is cut at maxMs exactly", async () => {
    const warned: number[] = [];
    const r = start({
      maxMs: 3000,
      warnBeforeMs: 1000,
      silenceMs: 10_000,
      onWarning: () => warned.push(r.clock.now()),
    });
    const t0 = r.clock.now();
    for (const f of frames(speech(5000), 240)) {
      r.clock.advance(30);
      r.rec.audio(r.phone.packet(f));
    }
    assert.deepEqual(
      warned.map((t) => t - t0),
      [2000],
    );
    assert.deepEqual(await r.rec.done, { end: "max", durationMs: 3000, soundMs: 3000, codec: "PCMU" });
    assert.equal(audioOf(r.path).data.length, 24000);
  });

  test("max by the clock when the stream gives less audio than time passed", async () => {
    const r = start({ maxMs: 3000, silenceMs: 60_000 });
    r.send(speech(1000));
    r.clock.advance(2499);
    assert.equal(r.rec.ended, false);
    r.clock.advance(1);
    assert.deepEqual(await r.rec.done, { end: "max", durationMs: 1000, soundMs: 1000, codec: "PCMU" });
  });

  test("a hang-up keeps the message, trailing silence trimmed to 200 ms", async () => {
    const r = start();
    r.send(concat([hush(300), speech(1500), hush(1200)]));
    r.rec.hangup();
    r.rec.hangup();
    assert.deepEqual(await r.rec.done, { end: "hangup", durationMs: 2000, soundMs: 1500, codec: "PCMU" });
  });

  test("A-law is stored as A-law (tag 6, silence 0xD5) and played back as μ-law", async () => {
    const r = start();
    r.phone.pt = 8;
    const sent = ulawToAlaw(concat([speech(600), hush(400)]));
    r.send(sent, new Set([2]));
    r.rec.hangup();
    const res = await r.rec.done;
    assert.deepEqual(res, { end: "hangup", durationMs: 800, soundMs: 580, codec: "PCMA" });
    const a = audioOf(r.path);
    assert.equal(a.codec, "PCMA");
    assert.equal(readFileSync(r.path).readUInt16LE(20), 6);
    const want = sent.slice(0, 6400);
    want.fill(0xd5, 320, 480);
    assert.deepEqual(a.data, want);
    assert.deepEqual(readMessageUlaw(r.path), alawToUlaw(want));
  });

  test("a dynamic payload type is stored in the negotiated codec", async () => {
    const r = start({ codec: "PCMA" });
    r.phone.pt = 96;
    r.send(ulawToAlaw(speech(400)));
    r.rec.hangup();
    assert.equal((await r.rec.done).codec, "PCMA");
    assert.equal(audioOf(r.path).codec, "PCMA");
  });

  test("an existing file is never overwritten", async () => {
    const path = tempPath();
    const first = new Recorder({ ...defaults, path, clock: new FakeClock() });
    assert.throws(() => new Recorder({ ...defaults, path, clock: new FakeClock() }), /EEXIST/);
    first.hangup();
    await first.done;
  });
});

describe("recoverRecording", () => {
  test("a file a crash left mid-recording gets its sizes, its length and its sound time", async () => {
    const r = start();
    r.send(concat([speech(2000), hush(300), speech(700), hush(1000)]));
    const crashed = join(r.path, "..", "crashed.wav");
    copyFileSync(r.path, crashed); // what is on disk at a kill -9: every packet so far, placeholder sizes
    r.rec.hangup();
    await r.rec.done;
    assert.deepEqual(recoverRecording(crashed), { durationMs: 3200, soundMs: 2700, codec: "PCMU" });
    const a = audioOf(crashed);
    assert.equal(a.declared, 3200 * 8);
    assert.equal(a.riff, statSync(crashed).size - 8);
    assert.deepEqual(a.data, readMessageUlaw(r.path).subarray(0, 3200 * 8));
    assert.deepEqual(recoverRecording(crashed), { durationMs: 3200, soundMs: 2700, codec: "PCMU" }, "idempotent");
  });

  test("header and data written without the final fix-up (odd length, A-law)", () => {
    const path = tempPath("msg.wav", true);
    const data = concat([ulawToAlaw(speech(1234)), new Uint8Array(3).fill(0xd5)]);
    writeFileSync(path, concat([g711WavHeader("PCMA", null), data]), { flag: "wx" });
    assert.deepEqual(recoverRecording(path), { durationMs: 1234, soundMs: 1234, codec: "PCMA" });
    const file = readFileSync(path);
    assert.equal(file.length, 58 + 9875 + 1, "trailing silence within 200 ms kept, a pad byte after odd audio");
    assert.equal(file.readUInt32LE(54), 9875);
    assert.equal(file.readUInt32LE(4), file.length - 8);
    assert.equal(readMessageUlaw(path).length, 9875);
  });

  test("missing, empty, foreign or header-only files", () => {
    assert.equal(recoverRecording(tempPath("nothing.wav")), undefined);
    const empty = tempPath("empty.wav", true);
    writeFileSync(empty, new Uint8Array(0));
    assert.equal(recoverRecording(empty), undefined);
    const text = tempPath("text.wav", true);
    writeFileSync(text, "RIFF nonsense that is not a wave file at all");
    assert.equal(recoverRecording(text), undefined);
    const headerOnly = tempPath("header.wav", true);
    writeFileSync(headerOnly, g711WavHeader("PCMU", null));
    assert.deepEqual(recoverRecording(headerOnly), { durationMs: 0, soundMs: 0, codec: "PCMU" });
    assert.equal(existsSync(headerOnly), true);
    assert.throws(() => readMessageUlaw(text));
  });
});
