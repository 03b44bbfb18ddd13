import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ulawToLinear } from "../../src/sip/rtp/g711.ts";
import { encodeWavUlaw, WavError, wavToUlaw } from "../../src/voice/wav.ts";
import { type Encoding, sine, wav } from "./wav-fixture.ts";

/** RMS of decoded μ-law, −1…1, skipping the filter's start and end transients. */
function rms(ulaw: Uint8Array, skip = 400): number {
  const pcm = ulawToLinear(ulaw).subarray(skip, ulaw.length - skip);
  let sum = 0;
  for (const s of pcm) sum += (s / 32768) ** 2;
  return Math.sqrt(sum / pcm.length);
}

/** A sine of peak amplitude a has RMS a/√2. */
const SINE_RMS = Math.SQRT1_2;

async function rejects(file: Uint8Array, message: RegExp): Promise<void> {
  await assert.rejects(
    () => wavToUlaw(file),
    (err: unknown) => {
      assert.ok(err instanceof WavError, `a WavError, got ${err}`);
      assert.equal(err.code, "INVALID");
      assert.match(err.message, message);
      return true;
    },
  );
}

describe("wavToUlaw: conversion", () => {
  test("44.1 kHz stereo 16-bit: 8000 bytes a second, level kept", async () => {
    const tone = sine(44100, 2, 440, 0.5);
    const r = await wavToUlaw(wav({ rate: 44100, channels: [tone, tone] }));
    assert.ok(Math.abs(r.ulaw.length - 16000) <= 1, `length ${r.ulaw.length}`);
    assert.equal(r.durationMs, 2000);
    assert.equal(r.source, "16-bit PCM, 44100 Hz, 2 channels");
    const level = rms(r.ulaw) / (0.5 * SINE_RMS);
    assert.ok(Math.abs(level - 1) < 0.03, `RMS ratio ${level.toFixed(3)}`);
  });

  test("a 1 kHz tone at 48 kHz keeps its amplitude", async () => {
    const r = await wavToUlaw(wav({ rate: 48000, channels: [sine(48000, 1, 1000, 0.8)] }));
    assert.equal(r.ulaw.length, 8000);
    const level = rms(r.ulaw) / (0.8 * SINE_RMS);
    assert.ok(Math.abs(level - 1) < 0.03, `RMS ratio ${level.toFixed(3)}`);
  });

  test("a 3 kHz tone (top of the telephone band) at 44.1 kHz passes", async () => {
    const r = await wavToUlaw(wav({ rate: 44100, channels: [sine(44100, 1, 3000, 0.5)] }));
    const level = rms(r.ulaw) / (0.5 * SINE_RMS);
    assert.ok(level > 0.9 && level < 1.03, `RMS ratio ${level.toFixed(3)}`);
  });

  for (const [rate, hz] of [
    [48000, 6000],
    [44100, 5000],
    [96000, 11000],
    [16000, 7000],
  ] as const) {
    test(`a ${hz} Hz tone at ${rate} Hz is filtered out, not aliased into the speech band`, async () => {
      // Undersampled at 8 kHz, these would fold to 2000, 3000, 3000 and 1000 Hz at full level.
      const r = await wavToUlaw(wav({ rate, channels: [sine(rate, 1, hz, 0.8)] }));
      const level = rms(r.ulaw) / (0.8 * SINE_RMS);
      assert.ok(level < 0.003, `RMS ratio ${level.toFixed(5)} (−50 dB at least)`);
    });
  }

  test("8 kHz μ-law mono comes back byte for byte", async () => {
    const ulaw = (await wavToUlaw(wav({ rate: 8000, channels: [sine(8000, 1, 700, 0.6)] }))).ulaw;
    const again = await wavToUlaw(wav({ rate: 8000, encoding: "ulaw", channels: [ulawToFloat(ulaw)] }));
    assert.deepEqual(again.ulaw, ulaw);
    assert.equal(again.source, "8-bit G.711 μ-law, 8000 Hz, 1 channel");
  });

  const encodings: [Encoding, string][] = [
    ["u8", "8-bit PCM"],
    ["s16", "16-bit PCM"],
    ["s24", "24-bit PCM"],
    ["s32", "32-bit PCM"],
    ["f32", "32-bit float"],
    ["f64", "64-bit float"],
    ["ulaw", "8-bit G.711 μ-law"],
    ["alaw", "8-bit G.711 A-law"],
  ];
  for (const [encoding, name] of encodings) {
    for (const extensible of [false, true]) {
      test(`${name}${extensible ? " (WAVE_FORMAT_EXTENSIBLE)" : ""} at 16 kHz`, async () => {
        const r = await wavToUlaw(wav({ rate: 16000, encoding, extensible, channels: [sine(16000, 1, 1000, 0.5)] }));
        assert.equal(r.ulaw.length, 8000);
        assert.equal(r.source, `${name}, 16000 Hz, 1 channel`);
        const level = rms(r.ulaw) / (0.5 * SINE_RMS);
        // 8-bit PCM and G.711 add their own quantisation noise.
        assert.ok(Math.abs(level - 1) < 0.04, `RMS ratio ${level.toFixed(3)}`);
      });
    }
  }

  test("any channel count is averaged to mono", async () => {
    const tone = sine(8000, 1, 500, 0.6);
    const quiet = new Float64Array(tone.length);
    const r = await wavToUlaw(wav({ rate: 8000, channels: [tone, quiet, tone, quiet, tone, quiet] }));
    const level = rms(r.ulaw) / (0.3 * SINE_RMS);
    assert.ok(Math.abs(level - 1) < 0.03, `RMS ratio ${level.toFixed(3)}`);
    assert.equal(r.source, "16-bit PCM, 8000 Hz, 6 channels");
  });

  test("chunks it does not need are skipped, odd sizes padded, data before fmt accepted", async () => {
    const tone = sine(8000, 1, 500, 0.5);
    const plain = (await wavToUlaw(wav({ rate: 8000, channels: [tone] }))).ulaw;
    const extra = [{ id: "LIST", body: new Uint8Array(7).fill(65) }];
    assert.deepEqual((await wavToUlaw(wav({ rate: 8000, channels: [tone], before: extra, after: extra }))).ulaw, plain);
    assert.deepEqual((await wavToUlaw(wav({ rate: 8000, channels: [tone], dataFirst: true }))).ulaw, plain);
  });

  test("a streaming writer's placeholder sizes (ffmpeg to a pipe) are read to the end", async () => {
    const tone = sine(8000, 1, 500, 0.5);
    const file = wav({ rate: 8000, channels: [tone] });
    const plain = (await wavToUlaw(file)).ulaw;
    const v = new DataView(file.buffer);
    v.setUint32(4, 0xffffffff, true);
    v.setUint32(dataSizeAt(file), 0xffffffff, true);
    assert.deepEqual((await wavToUlaw(file)).ulaw, plain);
  });

  test("bytes appended after the RIFF chunk (a tag) are ignored", async () => {
    const file = wav({ rate: 8000, channels: [sine(8000, 1, 500, 0.5)] });
    const tagged = new Uint8Array(file.length + 10);
    tagged.set(file);
    tagged.set([0x49, 0x44, 0x33, 0x04, 0, 0, 0, 0, 0, 0x7f], file.length);
    assert.deepEqual((await wavToUlaw(tagged)).ulaw, (await wavToUlaw(file)).ulaw);
  });

  test("a minute at 44.1 kHz stereo converts quickly, letting timers run meanwhile", async () => {
    const file = wav({ rate: 44100, channels: [sine(44100, 60, 440, 0.5), sine(44100, 60, 440, 0.5)] });
    let last = performance.now();
    let longest = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 1);
    const t0 = performance.now();
    try {
      const r = await wavToUlaw(file);
      assert.equal(r.durationMs, 60000);
    } finally {
      clearInterval(timer);
    }
    assert.ok(performance.now() - t0 < 5000);
    // RTP is paced every 20 ms: the conversion must never hold the event loop for long.
    assert.ok(longest < 150, `longest stall ${longest.toFixed(0)} ms`);
  });
});

describe("wavToUlaw: refusals an installer can act on", () => {
  const tone = sine(8000, 1, 500, 0.5);

  test("not a WAV file", async () => {
    await rejects(new Uint8Array(0), /^not a WAV file \(no RIFF\/WAVE header\)$/);
    await rejects(new TextEncoder().encode("hello, this is text"), /^not a WAV file \(no RIFF\/WAVE header\)$/);
    await rejects(
      Uint8Array.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0, 0, 0]),
      /looks like an MP3 file; export it as WAV/,
    );
    await rejects(new TextEncoder().encode("OggS\0\0\0\0\0\0\0\0"), /Ogg/);
    await rejects(new TextEncoder().encode("fLaC\0\0\0\0\0\0\0\0"), /FLAC/);
    await rejects(new TextEncoder().encode("\0\0\0\x20ftypM4A \0\0\0\0"), /MP4\/M4A/);
  });

  test("an encoding it does not decode, by name", async () => {
    await rejects(
      wav({ rate: 8000, channels: [tone], formatCode: 17 }),
      /^unsupported WAV encoding: IMA ADPCM \(format 17\); export it as 16-bit PCM$/,
    );
    await rejects(wav({ rate: 8000, channels: [tone], formatCode: 85 }), /MP3 \(format 85\)/);
    await rejects(wav({ rate: 8000, channels: [tone], formatCode: 4242 }), /^unsupported WAV encoding: format 4242; /);
    await rejects(wav({ rate: 8000, channels: [tone], formatCode: 17, extensible: true }), /IMA ADPCM \(format 17\)/);
    await rejects(
      wav({ rate: 8000, channels: [tone], extensible: true, vendorGuid: true }),
      /vendor-specific sub-format/,
    );
    await rejects(
      wav({ rate: 8000, channels: [tone], encoding: "f32", bitsOverride: 16, blockAlign: 2 }),
      /16-bit float/,
    );
    await rejects(
      wav({ rate: 8000, channels: [tone], encoding: "s32", bitsOverride: 64, blockAlign: 8 }),
      /64-bit PCM/,
    );
  });

  test("a sample rate out of range", async () => {
    await rejects(
      wav({ rate: 6000, channels: [sine(6000, 1, 500, 0.5)] }),
      /^unsupported sample rate: 6000 Hz \(8000–96000 Hz\)/,
    );
    await rejects(wav({ rate: 192000, channels: [sine(192000, 1, 500, 0.5)] }), /unsupported sample rate: 192000 Hz/);
  });

  test("too long, too short", async () => {
    await rejects(
      wav({ rate: 8000, encoding: "u8", channels: [sine(8000, 185, 500, 0.5)] }),
      /^too long: 185 s, at most 120 s$/,
    );
    await rejects(wav({ rate: 8000, channels: [sine(8000, 0.1, 500, 0.5)] }), /^too short: 0\.10 s, at least 0\.2 s$/);
    await rejects(wav({ rate: 8000, channels: [new Float64Array(0)] }), /^too short: 0\.00 s/);
  });

  test("silence, also with a DC offset or in 8-bit", async () => {
    await rejects(wav({ rate: 8000, channels: [new Float64Array(8000)] }), /^the recording is silent$/);
    await rejects(wav({ rate: 8000, channels: [new Float64Array(8000).fill(0.2)] }), /silent/);
    await rejects(wav({ rate: 8000, encoding: "u8", channels: [new Float64Array(8000)] }), /silent/);
    await rejects(wav({ rate: 8000, channels: [tone, tone.map((x) => -x)] }), /silent/);
  });

  test("a truncated file", async () => {
    const file = wav({ rate: 8000, channels: [tone] });
    await rejects(
      file.subarray(0, file.length - 100),
      /^truncated WAV file: the audio data should be 16000 bytes but only 15900 are there/,
    );
    const longList = wav({ rate: 8000, channels: [tone], before: [{ id: "LIST", body: new Uint8Array(4) }] });
    new DataView(longList.buffer).setUint32(40, 1_000_000, true);
    await rejects(longList, /^truncated WAV file: the 'LIST' chunk at byte 36 runs past the end of the file$/);
    await rejects(file.subarray(0, 30), /^truncated WAV file: the 'fmt' chunk at byte 12 runs past the end/);
  });

  test("odd chunks", async () => {
    const file = wav({ rate: 8000, channels: [tone], before: [{ id: "LIST", body: new Uint8Array(4) }] });
    file.set([0, 1, 2, 3], 36);
    await rejects(file, /^malformed WAV file: unreadable chunk header at byte 36$/);
    await rejects(wav({ rate: 8000, channels: [tone], omit: "fmt " }), /no 'fmt ' chunk/);
    await rejects(wav({ rate: 8000, channels: [tone], omit: "data" }), /no 'data' chunk/);
    await rejects(wav({ rate: 8000, channels: [tone], fmtSize: 14 }), /'fmt ' chunk is 14 bytes, at least 16/);
    await rejects(wav({ rate: 8000, channels: [tone], channelCount: 0 }), /0 channels/);
    await rejects(
      wav({ rate: 8000, channels: [tone], blockAlign: 3 }),
      /^malformed WAV file: 3-byte frames do not match 1 channel\(s\) of 16-bit samples$/,
    );
    await rejects(
      wav({ rate: 8000, channels: [tone], extensible: true, fmtSize: 18 }),
      /extensible 'fmt ' chunk without its sub-format/,
    );
  });
});

describe("encodeWavUlaw", () => {
  test("a μ-law WAV (format 7, 8 kHz mono) that reads back the same", async () => {
    const ulaw = (await wavToUlaw(wav({ rate: 8000, channels: [sine(8000, 1, 500, 0.5)] }))).ulaw;
    const file = encodeWavUlaw(ulaw);
    const v = new DataView(file.buffer);
    assert.equal(new TextDecoder().decode(file.subarray(0, 4)), "RIFF");
    assert.equal(v.getUint32(4, true), file.length - 8);
    assert.equal(v.getUint16(20, true), 7);
    assert.equal(v.getUint16(22, true), 1);
    assert.equal(v.getUint32(24, true), 8000);
    assert.deepEqual((await wavToUlaw(file)).ulaw, ulaw);
  });

  test("an odd length is padded to keep the RIFF chunk even", async () => {
    const ulaw = (await wavToUlaw(wav({ rate: 8000, channels: [sine(8000, 1.0001, 500, 0.5)] }))).ulaw;
    assert.equal(ulaw.length % 2, 1);
    const file = encodeWavUlaw(ulaw);
    assert.equal(file.length % 2, 0);
    assert.equal(new DataView(file.buffer).getUint32(54, true), ulaw.length);
    assert.deepEqual((await wavToUlaw(file)).ulaw, ulaw);
  });
});

function ulawToFloat(ulaw: Uint8Array): Float64Array {
  return Float64Array.from(ulawToLinear(ulaw), (s) => s / 32768);
}

function dataSizeAt(file: Uint8Array): number {
  for (let i = 12; i + 4 <= file.length; i++) {
    if (file[i] === 0x64 && file[i + 1] === 0x61 && file[i + 2] === 0x74 && file[i + 3] === 0x61) return i + 4;
  }
  throw new Error("no data chunk");
}
