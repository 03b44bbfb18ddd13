/**
 * @module runtime/prompt-pack
 * The built-in prompts as the binary carries them: one pack instead of 1,340 `.ul` files, each
 * language's prompts back to back as one Opus stream (8 kHz mono, 20 ms packets, ~12 kbit/s).
 *
 * Why Opus (issue 16 §6, "what we add to Bun ≤ 10 MB"): 34 minutes of μ-law are 16.4 MB; zstd made
 * them 8.4 MB, half of all we added to Bun. Opus at 12 kbit/s makes them ~2.8 MB, and the call's
 * narrowband G.711 hides the difference (Opus's own guidance for narrowband speech is 8–12 kbit/s;
 * the prompts are a synthetic voice, espeak-ng). The decoder is `opus-decoder` (libopus in
 * WebAssembly, ~90 kB), loaded only when a pack is expanded; the encoder (build/prompt-encoder.ts)
 * runs at build time only. The repository keeps the μ-law files: they are what a source run plays,
 * and the source the pack is made from.
 *
 * At the first start of a firmware version the pack is expanded into `<TMPDIR>/bellhop-prompts-<hash>/`
 * (the systemd unit's TMPDIR is /var/lib/bellhop/tmp, kept across reboots, where the libsql addon is
 * unpacked too) and the prompt library reads that folder like the source tree's `prompts/`.
 * Decoding all of it takes a few seconds, once per version; later starts only check the folder.
 *
 * The pack is the file `prompts-<hash>.pack` (the name tells a start whether it is expanded already
 * without reading it: Bun's embedded files can be read whole but not opened): the line
 * `bellhop-prompts-opus <index bytes>\n`, the index (JSON `[{lang, bytes, files: [[name, size], …]}, …]`,
 * sizes in μ-law bytes, i.e. samples), then per language its stream: a 16-bit big-endian pre-skip
 * (the encoder's look-ahead, in samples), then each packet as a 16-bit big-endian length and its bytes.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { linearToUlaw, ulawToLinear } from "../sip/rtp/g711.ts";
import { trimMemory } from "./memory-trim.ts";

const MAGIC = "bellhop-prompts-opus";
/** Written last into an expanded folder: its presence says every file is there. */
const DONE = ".complete";
/** 20 ms at 8 kHz: the packet size of every stream. */
export const PROMPT_FRAME_SAMPLES = 160;

/** An Opus encoder of 8 kHz mono, fresh for one stream (build/prompt-encoder.ts wraps libopus). */
export interface PromptEncoder {
  /** Samples by which the decoded stream lags the input (the encoder's look-ahead). */
  readonly lookahead: number;
  /** One packet for each PROMPT_FRAME_SAMPLES samples. */
  encodeFrame(pcm: Int16Array): Uint8Array;
  close(): void;
}

/**
 * The stream of one language's μ-law prompts, back to back: pre-skip, then length-prefixed packets.
 * The encoder is used for this stream alone, and closed.
 */
export function encodeStream(ulaw: Uint8Array, encoder: PromptEncoder): Uint8Array {
  try {
    return encodeWith(ulaw, encoder);
  } finally {
    encoder.close();
  }
}

function encodeWith(ulaw: Uint8Array, encoder: PromptEncoder): Uint8Array {
  // Padded with the look-ahead and to whole packets, so the last sample comes out of the decoder.
  const frames = Math.ceil((ulaw.length + encoder.lookahead) / PROMPT_FRAME_SAMPLES);
  const pcm = new Int16Array(frames * PROMPT_FRAME_SAMPLES);
  pcm.set(ulawToLinear(ulaw));
  const parts: Uint8Array[] = [u16(encoder.lookahead)];
  for (let f = 0; f < frames; f++) {
    const packet = encoder.encodeFrame(pcm.subarray(f * PROMPT_FRAME_SAMPLES, (f + 1) * PROMPT_FRAME_SAMPLES));
    if (packet.length === 0 || packet.length > 0xffff)
      throw new Error(`prompt encoder: a packet of ${packet.length} bytes`);
    parts.push(u16(packet.length), packet);
  }
  return Buffer.concat(parts);
}

function u16(n: number): Uint8Array {
  return Uint8Array.of(n >> 8, n & 0xff);
}

/** The decoder `opus-decoder` gives, as far as expanding uses it. */
interface OpusStreamDecoder {
  ready: Promise<void>;
  decodeFrame(packet: Uint8Array): { channelData: Float32Array[]; samplesDecoded: number; errors: unknown[] };
  free(): void;
}

/** `samples` μ-law samples out of a stream encodeStream made. */
export async function decodeStream(stream: Uint8Array, samples: number): Promise<Uint8Array> {
  const { OpusDecoder } = await import("opus-decoder");
  const decoder = new OpusDecoder({ sampleRate: 8000, channels: 1 }) as unknown as OpusStreamDecoder;
  await decoder.ready;
  try {
    const out = new Uint8Array(samples);
    const pcm = new Int16Array(PROMPT_FRAME_SAMPLES * 6); // room for a 120 ms packet
    let skip = (stream[0] << 8) | stream[1];
    let at = 2;
    let written = 0;
    while (at < stream.length && written < samples) {
      const length = (stream[at] << 8) | stream[at + 1];
      if (length === 0 || at + 2 + length > stream.length) throw new Error(`packet at byte ${at}: cut short`);
      const decoded = decoder.decodeFrame(stream.subarray(at + 2, at + 2 + length));
      if (decoded.errors.length > 0) throw new Error(`packet at byte ${at}: ${String(decoded.errors[0])}`);
      at += 2 + length;
      const channel = decoded.channelData[0];
      let n = 0;
      for (let i = skip; i < decoded.samplesDecoded && written + n < samples; i++) {
        const v = channel[i] * 32768;
        pcm[n++] = v >= 32767 ? 32767 : v <= -32768 ? -32768 : Math.round(v);
      }
      skip = Math.max(0, skip - decoded.samplesDecoded);
      out.set(linearToUlaw(pcm.subarray(0, n)), written);
      written += n;
    }
    if (written !== samples) throw new Error(`${written} samples in the stream, ${samples} in the index`);
    return out;
  } finally {
    decoder.free();
  }
}

/** Every language folder under `dir`, sorted, with its `.ul` files, sorted. */
function promptFiles(dir: string): { lang: string; files: { name: string; bytes: Uint8Array }[] }[] {
  return readdirSync(dir)
    .filter((lang) => !lang.startsWith("."))
    .sort()
    .map((lang) => ({
      lang,
      files: readdirSync(join(dir, lang))
        .filter((f) => f.endsWith(".ul"))
        .sort()
        .map((name) => ({ name, bytes: readFileSync(join(dir, lang, name)) })),
    }));
}

interface Frame {
  lang: string;
  /** Bytes of the language's stream. */
  bytes: number;
  /** Each prompt's name and μ-law size (= samples), in stream order. */
  files: [name: string, size: number][];
}

/**
 * The pack of the prompts folder `dir` and its file name (`prompts-<hash of the pack>.pack`: other
 * prompts or another encoder, another folder to expand into). `encode` turns one language's μ-law,
 * its files back to back, into a stream (encodeStream with an encoder, cached by build.ts).
 */
export function packPrompts(
  dir: string,
  encode: (ulaw: Uint8Array) => Uint8Array,
): { name: string; bytes: Uint8Array; rawBytes: number } {
  const frames: Frame[] = [];
  const bodies: Uint8Array[] = [];
  let rawBytes = 0;
  for (const { lang, files } of promptFiles(dir)) {
    const raw = Buffer.concat(files.map((f) => f.bytes));
    const body = encode(raw);
    frames.push({ lang, bytes: body.length, files: files.map((f) => [f.name, f.bytes.length]) });
    bodies.push(body);
    rawBytes += raw.length;
  }
  const index = Buffer.from(JSON.stringify(frames));
  const bytes = Buffer.concat([Buffer.from(`${MAGIC} ${index.length}\n`), index, ...bodies]);
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
  return { name: `prompts-${hash}.pack`, bytes, rawBytes };
}

/** The pack in `dir` (`prompts-<hash>.pack`), if there is one. */
export function findPack(dir: string): string | undefined {
  try {
    const name = readdirSync(dir).find((f) => PACK_NAME.test(f));
    return name ? join(dir, name) : undefined;
  } catch {
    return undefined;
  }
}

const PACK_NAME = /^prompts-([0-9a-f]{16})\.pack$/;

/** Where the pack expands to under `baseDir`. */
function folderOf(pack: string, baseDir: string): string {
  const hash = PACK_NAME.exec(basename(pack))?.[1];
  if (!hash) throw new Error(`${pack}: not a prompt pack name`);
  return join(baseDir, `bellhop-prompts-${hash}`);
}

/** The pack's folder under `baseDir` when a previous run expanded all of it, else undefined. */
export function expandedFolder(pack: string, baseDir: string): string | undefined {
  const dir = folderOf(pack, baseDir);
  return isComplete(dir) ? dir : undefined;
}

/**
 * The folder holding the pack's files, expanded under `baseDir` unless a previous start did; then
 * the pack is not read at all, so its pages stay out of memory.
 */
export async function expandPrompts(pack: string, baseDir: string): Promise<string> {
  const dir = folderOf(pack, baseDir);
  if (isComplete(dir)) return dir;
  const all = readFileSync(pack);
  const head = new RegExp(`^${MAGIC} (\\d+)\\n`).exec(all.subarray(0, 64).toString("latin1"));
  if (!head) throw new Error(`${pack}: not a prompt pack`);
  let at = head[0].length + Number(head[1]);
  const frames = JSON.parse(all.subarray(head[0].length, at).toString("utf8")) as Frame[];
  // Expanded beside its final name and renamed, so a crash or a second process never sees half of it.
  const temp = `${dir}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const counts: Record<string, number> = {};
    for (const frame of frames) {
      const samples = frame.files.reduce((n, [, size]) => n + size, 0);
      const raw = await decodeStream(all.subarray(at, at + frame.bytes), samples).catch((err: Error) => {
        throw new Error(`${pack}: ${frame.lang}: ${err.message}`);
      });
      at += frame.bytes;
      mkdirSync(join(temp, frame.lang), { recursive: true });
      let from = 0;
      for (const [name, size] of frame.files) {
        writeFileSync(join(temp, frame.lang, name), raw.subarray(from, from + size));
        from += size;
      }
      if (from !== raw.length) throw new Error(`${pack}: ${frame.lang}: index and data disagree`);
      counts[frame.lang] = frame.files.length;
    }
    writeFileSync(join(temp, DONE), JSON.stringify(counts));
    try {
      renameSync(temp, dir);
    } catch {
      // Another process expanded the same pack meanwhile (fine), or a damaged copy is in the way.
      if (!isComplete(dir)) {
        rmSync(dir, { recursive: true, force: true });
        renameSync(temp, dir);
      }
    }
  } finally {
    if (existsSync(temp)) rmSync(temp, { recursive: true, force: true });
  }
  removeStale(baseDir, dir);
  // The pack, the languages decoded (~4 MB each) and the decoder's memory are garbage now; without
  // this a version's first start kept them as anonymous memory until the next restart.
  trimMemory();
  return dir;
}

/** A version's prompts unused this long are an old firmware's (a roll-back expands them again). */
const STALE_MS = 7 * 86_400_000;

/**
 * Removes the expanded prompts of earlier firmware versions, 19 MB each, expanded more than a week
 * ago. Not younger ones: on a development machine several builds run side by side.
 */
function removeStale(baseDir: string, keep: string): void {
  try {
    for (const name of readdirSync(baseDir)) {
      const dir = join(baseDir, name);
      if (!/^bellhop-prompts-[0-9a-f]{16}$/.test(name) || dir === keep) continue;
      let expandedAt = 0;
      try {
        expandedAt = statSync(join(dir, DONE)).mtimeMs;
      } catch {
        // no marker: a damaged copy, as stale as it gets
      }
      if (Date.now() - expandedAt > STALE_MS) rmSync(dir, { recursive: true, force: true });
    }
  } catch {
    // tidying up only
  }
}

/** Expanded, and no file lost since (a tmp cleaner): the marker's count per language still holds. */
function isComplete(dir: string): boolean {
  let counts: Record<string, number>;
  try {
    counts = JSON.parse(readFileSync(join(dir, DONE), "utf8")) as Record<string, number>;
  } catch {
    return false;
  }
  try {
    return Object.entries(counts).every(([lang, n]) => readdirSync(join(dir, lang)).length === n);
  } catch {
    return false;
  }
}
