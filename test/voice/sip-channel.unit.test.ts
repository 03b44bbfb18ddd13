/** The SIP channel's key handling: RFC 4733 and SIP INFO keys alike, type-ahead, barge-in, hang-up. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock } from "../../src/lib/clock.ts";
import type { RtpSession } from "../../src/sip/rtp/session.ts";
import type { CallEndReason, SipCall } from "../../src/sip/ua/call.ts";
import { SipChannel } from "../../src/voice/sip-channel.ts";

function fakes() {
  let end!: (r: CallEndReason) => void;
  const call = {
    onInfoDigit: undefined as ((d: string) => void) | undefined,
    ended: new Promise<CallEndReason>((r) => {
      end = r;
    }),
    hangups: 0,
    async hangup() {
      this.hangups++;
      end("local-bye");
    },
  };
  let finishPlay: ((stopped: boolean) => void) | undefined;
  const rtp = {
    onDigit: undefined as ((p: { digit: string }) => void) | undefined,
    plays: 0,
    stops: 0,
    play(_ulaw: Uint8Array) {
      this.plays++;
      return new Promise<{ stopped: boolean; packets: number }>((r) => {
        finishPlay = (stopped) => r({ stopped, packets: 1 });
      });
    },
    stopPlayback() {
      this.stops++;
      finishPlay?.(true);
      finishPlay = undefined;
    },
  };
  const clock = new FakeClock();
  const ch = new SipChannel(call as unknown as SipCall, rtp as unknown as RtpSession, clock);
  return { call, rtp, clock, ch, end: (r: CallEndReason) => end(r), done: () => finishPlay?.(false) };
}

const audio = new Uint8Array(160);
const tick = () => new Promise((r) => setTimeout(r, 0));

describe("SipChannel", () => {
  test("a key during an interruptible prompt stops it and stays buffered; INFO keys count too", async () => {
    const f = fakes();
    const p = f.ch.play(audio, { interruptible: true });
    f.rtp.onDigit?.({ digit: "1" });
    assert.equal(await p, "interrupted");
    assert.equal(f.rtp.stops, 1);
    assert.equal(await f.ch.readDigit(1000), "1");
    f.call.onInfoDigit?.("#");
    assert.equal(await f.ch.readDigit(1000), "#");
  });

  test("a plain prompt plays through keys; a key typed ahead skips the next interruptible prompt", async () => {
    const f = fakes();
    const p = f.ch.play(audio);
    f.rtp.onDigit?.({ digit: "7" });
    f.done();
    assert.equal(await p, "done");
    assert.equal(await f.ch.play(audio, { interruptible: true }), "interrupted");
    assert.equal(f.rtp.plays, 1, "the skipped prompt was never sent");
    f.ch.clearDigits();
    const r = f.ch.readDigit(3000);
    f.clock.advance(3000);
    assert.equal(await r, "timeout");
  });

  test("the far end hanging up ends a prompt and a wait with hangup", async () => {
    const f = fakes();
    const r = f.ch.readDigit(10_000);
    f.end("remote-bye");
    assert.equal(await r, "hangup");
    assert.equal(f.ch.hungUp, true);
    assert.equal(await f.ch.play(audio), "hangup");
    await tick();
  });
});
