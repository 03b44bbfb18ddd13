/** SipChannel.record over a scripted RTP session: audio and keys go to the recording, then back. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import { FakeClock } from "../../src/lib/clock.ts";
import type { DtmfPress, RtpSession } from "../../src/sip/rtp/session.ts";
import type { CallEndReason, SipCall } from "../../src/sip/ua/call.ts";
import type { RecordOptions } from "../../src/voice/channel.ts";
import type { RecorderPacket } from "../../src/voice/recorder.ts";
import { SipChannel } from "../../src/voice/sip-channel.ts";
import { tone, warningTone } from "../../src/voice/tone.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fakes(codec?: "PCMU" | "PCMA") {
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
  const rtp = {
    onDigit: undefined as ((p: DtmfPress) => void) | undefined,
    onAudio: undefined as ((p: RecorderPacket) => void) | undefined,
    played: [] as Uint8Array[],
    async play(ulaw: Uint8Array) {
      this.played.push(ulaw);
      return { stopped: false, packets: 1 };
    },
    stopPlayback() {},
  };
  const clock = new FakeClock();
  const ch = new SipChannel(call as unknown as SipCall, rtp as unknown as RtpSession, clock, codec ? { codec } : {});
  const dir = mkdtempSync(join(tmpdir(), "bellhop-chrec-"));
  dirs.push(dir);
  let ts = 1000;
  const phone = {
    /** `ms` of speech as 20 ms packets, in real time. */
    speak(ms: number, pt = 0) {
      const audio = tone({ hz: 300, ms, rampMs: 0 });
      for (let i = 0; i < audio.length; i += 160) {
        clock.advance(20);
        rtp.onAudio?.({ payloadType: pt, timestamp: ts, sequence: i, ssrc: 7, payload: audio.subarray(i, i + 160) });
        ts += 160;
      }
    },
    press(digit: string, durationMs = 100): DtmfPress {
      return {
        digit,
        event: 0,
        ssrc: 7,
        timestamp: ts - durationMs * 8,
        durationMs,
        volume: 10,
        closedBy: "end",
      } as DtmfPress;
    },
  };
  const opts: RecordOptions = {
    path: join(dir, "m.wav"),
    maxMs: 60_000,
    silenceMs: 5000,
    warnBeforeMs: 10_000,
    stopKeys: "#",
  };
  // The far end's BYE: the recording takes late RTP for a grace period (fake time) before it ends.
  const farEnd = (r: CallEndReason) => {
    end(r);
    void new Promise((res) => setTimeout(res, 0)).then(() => clock.advance(100));
  };
  return { call, rtp, clock, ch, phone, opts, end: farEnd };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("SipChannel.record", () => {
  test("a stop key ends it and is not buffered; other keys are dropped; earlier keys stay; audio listener restored", async () => {
    const f = fakes();
    const heard: number[] = [];
    const before = (p: RecorderPacket) => heard.push(p.sequence);
    f.rtp.onAudio = before;
    f.rtp.onDigit?.(f.phone.press("1"));
    const r = f.ch.record(f.opts);
    f.phone.speak(1000);
    f.rtp.onDigit?.(f.phone.press("5"));
    f.call.onInfoDigit?.("7");
    f.phone.speak(200);
    f.rtp.onDigit?.(f.phone.press("#", 100));
    assert.deepEqual(await r, { end: "key", key: "#", durationMs: 1060, soundMs: 1060, codec: "PCMU" });
    assert.equal(heard.length, 60, "the earlier listener got every packet too");
    assert.equal(f.rtp.onAudio, before);
    assert.equal(await f.ch.readDigit(0), "1", "typed before the recording: still there");
    const next = f.ch.readDigit(1000);
    f.clock.advance(1000);
    assert.equal(await next, "timeout", "neither the ignored keys nor the stop key were buffered");
    f.rtp.onDigit?.(f.phone.press("9"));
    assert.equal(await f.ch.readDigit(0), "9", "keys buffer again after it");
  });

  test("a SIP INFO stop key ends it too", async () => {
    const f = fakes();
    const r = f.ch.record(f.opts);
    f.phone.speak(500);
    f.call.onInfoDigit?.("#");
    assert.deepEqual(await r, { end: "key", key: "#", durationMs: 460, soundMs: 460, codec: "PCMU" });
  });

  test("the caller hanging up ends it and keeps the message; a recording on a dead call ends at once", async () => {
    const f = fakes();
    const r = f.ch.record(f.opts);
    f.phone.speak(800);
    f.end("remote-bye");
    assert.deepEqual(await r, { end: "hangup", durationMs: 800, soundMs: 800, codec: "PCMU" });
    await tick();
    const again = await f.ch.record({ ...f.opts, path: `${f.opts.path}.2` });
    assert.deepEqual(again, { end: "hangup", durationMs: 0, soundMs: 0, codec: "PCMU" });
  });

  test("the warning tone is played to the caller; silence ends it by the clock", async () => {
    const f = fakes("PCMA");
    const r = f.ch.record({ ...f.opts, maxMs: 60_000, warnBeforeMs: 50_000, silenceMs: 16_000 });
    f.phone.speak(15_000, 8);
    assert.deepEqual(f.rtp.played, [warningTone()]);
    f.clock.advance(16_000);
    assert.deepEqual(await r, { end: "silence", durationMs: 15_000, soundMs: 15_000, codec: "PCMA" });
  });

  test("the negotiated codec covers packets of a dynamic payload type; one recording at a time", async () => {
    const f = fakes();
    f.ch.setCodec("PCMA");
    const r = f.ch.record(f.opts);
    await assert.rejects(f.ch.record({ ...f.opts, path: `${f.opts.path}.2` }), /already running/);
    f.phone.speak(400, 96);
    await f.ch.hangup();
    assert.equal((await r).codec, "PCMA");
  });

  test("a file that cannot be created rejects", async () => {
    const f = fakes();
    const first = f.ch.record(f.opts);
    f.end("remote-bye");
    await first;
    const g = fakes();
    await assert.rejects(g.ch.record({ ...g.opts, path: f.opts.path }), /EEXIST/);
  });
});
