/**
 * The Opus encoder the built-in prompts are packed with (build.ts; src/runtime/prompt-pack.ts has
 * the format and the decoder). Build time only: `opusscript` (libopus in WebAssembly) is a
 * development dependency and never in the binary.
 *
 * Settings: 8 kHz mono, 20 ms packets, VOIP mode (speech), 12 kbit/s VBR: the top of Opus's
 * narrowband speech range, chosen for quality while the size target holds (8 kbit/s would save
 * another 0.8 MB). Changing any of them changes the pack's bytes, hence its name and build.ts's cache key.
 */
import OpusScript from "opusscript";
import type { PromptEncoder } from "../src/runtime/prompt-pack.ts";

export const PROMPT_BITRATE = 10_000;
const RATE = 8000;

/**
 * A fresh encoder for one stream. Its look-ahead is libopus's for VOIP mode at 8 kHz: Fs/400 plus
 * the 4 ms delay compensation (Fs/250), 52 samples; opusscript cannot read OPUS_GET_LOOKAHEAD back,
 * and test/runtime/prompt-pack.test.ts checks decoded audio lines up with the input sample for sample.
 */
export function promptEncoder(bitrate = PROMPT_BITRATE): PromptEncoder {
  const opus = new OpusScript(RATE, 1, OpusScript.Application.VOIP);
  opus.setBitrate(bitrate);
  return {
    lookahead: RATE / 400 + RATE / 250,
    encodeFrame: (pcm) =>
      new Uint8Array(opus.encode(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), pcm.length)),
    close: () => opus.delete(),
  };
}
