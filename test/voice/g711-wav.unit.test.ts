/** The stored message format and the generated tones: readable by the prompt reader, levels as meant. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ulawToAlaw, ulawToLinear } from "../../src/sip/rtp/g711.ts";
import { g711WavHeader, g711WavLayout } from "../../src/voice/g711-wav.ts";
import { beep, concat, tone, warningTone } from "../../src/voice/tone.ts";
import { encodeWavUlaw, wavToUlaw } from "../../src/voice/wav.ts";

const peak = (ulaw: Uint8Array) => ulawToLinear(ulaw).reduce((m, s) => Math.max(m, Math.abs(s)), 0);

describe("G.711 WAV layout", () => {
  test("our header is the prompt writer's header, byte for byte, for μ-law", () => {
    const audio = tone({ hz: 700, ms: 300 });
    assert.deepEqual(concat([g711WavHeader("PCMU", audio.length), audio]), encodeWavUlaw(audio));
  });

  test("a finished A-law message and an unfinished μ-law one read back through the upload converter", async () => {
    const audio = tone({ hz: 700, ms: 500 });
    const alaw = concat([g711WavHeader("PCMA", audio.length), ulawToAlaw(audio)]);
    const layout = g711WavLayout(alaw, alaw.length);
    assert.deepEqual(layout, { codec: "PCMA", dataOffset: 58, dataBytes: 4000, unfinished: false });
    assert.equal((await wavToUlaw(alaw)).durationMs, 500);
    const open = concat([g711WavHeader("PCMU", null), audio]);
    assert.deepEqual(g711WavLayout(open, open.length), {
      codec: "PCMU",
      dataOffset: 58,
      dataBytes: 4000,
      unfinished: true,
    });
    assert.equal((await wavToUlaw(open)).durationMs, 500, "placeholder sizes read as 'to the end'");
  });

  test("other formats and cut headers are not ours", () => {
    const h = g711WavHeader("PCMU", 0);
    assert.equal(g711WavLayout(h.subarray(0, 40), 40), undefined);
    const pcm = h.slice();
    pcm[20] = 1;
    assert.equal(g711WavLayout(pcm, pcm.length), undefined);
    const stereo = h.slice();
    stereo[22] = 2;
    assert.equal(g711WavLayout(stereo, stereo.length), undefined);
  });
});

describe("tones", () => {
  test("the beep: 250 ms at −12 dBFS, ramped in and out", () => {
    const b = beep();
    assert.equal(b.length, 2000);
    assert.ok(Math.abs(peak(b) - 8230) < 300, `peak ${peak(b)}`);
    assert.ok(Math.abs(ulawToLinear(b.subarray(0, 1))[0] as number) < 100, "starts from silence");
    b.fill(0);
    assert.notEqual(beep()[100], 0, "each call gets its own copy");
  });

  test("the warning: two softer pips with a pause between", () => {
    const w = warningTone();
    assert.equal(w.length, (120 + 100 + 120) * 8);
    assert.ok(peak(w) < peak(beep()));
    assert.equal(peak(w.subarray(960, 1760)), 0, "the pause is silence");
  });
});
