/**
 * @module voice/wav
 * Uploaded prompt recordings: a WAV file as an installer's audio editor or phone app exports it →
 * the 8 kHz mono μ-law the calls play; and a prompt back as a WAV anyone can play. Every refusal is
 * a WavError whose message says what is wrong with the file in an installer's words and, where it
 * helps, how to export it instead.
 */
import { AppError } from "../lib/errors.ts";
import { yieldToEventLoop } from "../lib/yield.ts";
import { decodeAlaw, decodeUlaw, encodeUlaw } from "../sip/rtp/g711.ts";
import { Resampler } from "./resample.ts";

export const PROMPT_RATE = 8000;
export const MIN_SAMPLE_RATE = 8000;
export const MAX_SAMPLE_RATE = 96000;
export const MAX_PROMPT_SECONDS = 120;
export const MIN_PROMPT_SECONDS = 0.2;
/** Frames decoded, or output samples filtered, between two yields to the event loop (a few ms of work). */
const SLICE = 16000;
/** Below −60 dBFS peak (after removing any DC offset) nothing would be heard on a phone. */
const SILENCE_PEAK = 0.001;

const EXPORT_HINT = "export it as 16-bit PCM";

/** A file that cannot become a prompt; the message is meant for the person who uploaded it. */
export class WavError extends AppError {
  constructor(message: string) {
    super("INVALID", message);
    this.name = "WavError";
  }
}

export interface ConvertedPrompt {
  /** 8 kHz mono G.711 μ-law, headerless. */
  ulaw: Uint8Array;
  durationMs: number;
  /** What was uploaded, for the log: e.g. `PCM 16-bit, 44100 Hz, 2 channels`. */
  source: string;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_ALAW = 6;
const FORMAT_ULAW = 7;
const FORMAT_EXTENSIBLE = 0xfffe;

/** Names of encodings people do upload, so the refusal says what the file is. */
const FORMAT_NAMES: Readonly<Record<number, string>> = {
  2: "Microsoft ADPCM",
  17: "IMA ADPCM",
  34: "DSP Group TrueSpeech",
  49: "GSM 6.10",
  64: "G.721 ADPCM",
  80: "MPEG audio",
  85: "MP3",
  255: "AAC",
  353: "Windows Media Audio",
  5648: "AAC",
};

/** KSDATAFORMAT_SUBTYPE_*: the format code in the first two bytes, then this fixed tail. */
const SUBFORMAT_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

interface Format {
  code: number;
  channels: number;
  sampleRate: number;
  /** Bytes per sample of one channel. */
  container: number;
  bits: number;
}

/**
 * Validates and converts an uploaded WAV file to prompt audio (8 kHz mono μ-law). Yields to the event
 * loop between slices of work: converting minutes of 96 kHz audio must not stall calls in progress.
 */
export async function wavToUlaw(file: Uint8Array): Promise<ConvertedPrompt> {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const { fmt, data } = readChunks(file, view);
  const format = readFormat(view, fmt.offset, fmt.size);
  const frameBytes = format.container * format.channels;
  const frames = Math.floor(data.size / frameBytes);
  const seconds = frames / format.sampleRate;
  if (seconds > MAX_PROMPT_SECONDS) {
    throw new WavError(`too long: ${Math.round(seconds)} s, at most ${MAX_PROMPT_SECONDS} s`);
  }
  if (seconds < MIN_PROMPT_SECONDS) {
    throw new WavError(`too short: ${seconds.toFixed(2)} s, at least ${MIN_PROMPT_SECONDS} s`);
  }

  const read = sampleReader(view, format);
  const mono = new Float32Array(frames);
  for (let i = 0; i < frames; i += SLICE) {
    decodeMono(read, data.offset, mono, i, Math.min(frames, i + SLICE), format);
    await yieldToEventLoop();
  }
  if (isSilent(mono)) throw new WavError("the recording is silent");

  const resampler = new Resampler(format.sampleRate, PROMPT_RATE);
  const audio = new Float32Array(resampler.outputLength(frames));
  for (let n = 0; n < audio.length; n += SLICE) {
    resampler.run(mono, audio, n, Math.min(audio.length, n + SLICE));
    await yieldToEventLoop();
  }
  const ulaw = new Uint8Array(audio.length);
  for (let i = 0; i < audio.length; i++) ulaw[i] = encodeUlaw(Math.round(audio[i] * 32768));
  return {
    ulaw,
    durationMs: ulawDurationMs(ulaw),
    source: `${encodingName(format)}, ${format.sampleRate} Hz, ${format.channels} channel${format.channels === 1 ? "" : "s"}`,
  };
}

/** Playing time of headerless 8 kHz μ-law (one byte a sample). */
export function ulawDurationMs(ulaw: Uint8Array): number {
  return Math.round((ulaw.length * 1000) / PROMPT_RATE);
}

/** Prompt audio as a WAV file (G.711 μ-law, format 7, 8 kHz mono) that media players and browsers play. */
export function encodeWavUlaw(ulaw: Uint8Array): Uint8Array<ArrayBuffer> {
  const pad = ulaw.length % 2;
  const out = new Uint8Array(58 + ulaw.length + pad);
  const v = new DataView(out.buffer);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  ascii(0, "RIFF");
  v.setUint32(4, out.length - 8, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  v.setUint32(16, 18, true);
  v.setUint16(20, FORMAT_ULAW, true);
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, PROMPT_RATE, true);
  v.setUint32(28, PROMPT_RATE, true); // bytes a second
  v.setUint16(32, 1, true); // block align
  v.setUint16(34, 8, true); // bits a sample
  v.setUint16(36, 0, true); // no extra format bytes
  // Non-PCM formats carry a fact chunk with the sample count (the RIFF spec asks for it).
  ascii(38, "fact");
  v.setUint32(42, 4, true);
  v.setUint32(46, ulaw.length, true);
  ascii(50, "data");
  v.setUint32(54, ulaw.length, true);
  out.set(ulaw, 58);
  return out;
}

// ---------------------------------------------------------------- container

interface Span {
  offset: number;
  size: number;
}

/** Streaming writers (ffmpeg, sox to a pipe) cannot seek back, so they leave a huge size instead. */
const STREAMING_SIZE = 0x7fff0000;

function readChunks(file: Uint8Array, view: DataView): { fmt: Span; data: Span } {
  if (file.length < 12 || fourcc(file, 0) !== "RIFF" || fourcc(file, 8) !== "WAVE") {
    const kind = sniff(file);
    throw new WavError(
      kind
        ? `not a WAV file: this looks like ${kind}; export it as WAV (16-bit PCM)`
        : "not a WAV file (no RIFF/WAVE header)",
    );
  }
  const riffSize = view.getUint32(4, true);
  // The RIFF size bounds the chunks (tags are sometimes appended after it), unless it is a placeholder.
  const end = riffSize >= 4 && riffSize < STREAMING_SIZE ? Math.min(file.length, riffSize + 8) : file.length;
  let fmt: Span | undefined;
  let data: Span | undefined;
  let at = 12;
  while (at + 8 <= end) {
    const id = fourcc(file, at);
    if (!printable(file, at)) {
      if (fmt && data) break;
      throw new WavError(`malformed WAV file: unreadable chunk header at byte ${at}`);
    }
    const declared = view.getUint32(at + 4, true);
    const body = at + 8;
    let size = declared;
    if (body + size > file.length) {
      if (id === "data" && declared >= STREAMING_SIZE) size = file.length - body;
      else if (id === "data") {
        throw new WavError(
          `truncated WAV file: the audio data should be ${declared} bytes but only ${file.length - body} are there ` +
            "(was the upload or the copy cut short?)",
        );
      } else if (fmt && data) break;
      else
        throw new WavError(`truncated WAV file: the '${id.trim()}' chunk at byte ${at} runs past the end of the file`);
    }
    if (id === "fmt ") fmt ??= { offset: body, size };
    else if (id === "data") data ??= { offset: body, size };
    at = body + size + (size % 2);
  }
  if (!fmt) throw new WavError("malformed WAV file: no 'fmt ' chunk describing the audio");
  if (!data) throw new WavError("malformed WAV file: no 'data' chunk (no audio in it)");
  return { fmt, data };
}

function fourcc(file: Uint8Array, at: number): string {
  return String.fromCharCode(file[at], file[at + 1], file[at + 2], file[at + 3]);
}

/** Chunk ids are four printable ASCII characters; anything else means we lost the chunk boundaries. */
function printable(file: Uint8Array, at: number): boolean {
  for (let i = at; i < at + 4; i++) if (file[i] < 0x20 || file[i] > 0x7e) return false;
  return true;
}

/** What a file that is not a WAV most likely is, by its first bytes. */
function sniff(file: Uint8Array): string | undefined {
  const head = file.length >= 4 ? fourcc(file, 0) : "";
  if (head.startsWith("ID3") || (file[0] === 0xff && (file[1] & 0xe0) === 0xe0)) return "an MP3 file";
  if (head === "OggS") return "an Ogg (Vorbis/Opus) file";
  if (head === "fLaC") return "a FLAC file";
  if (file.length >= 8 && fourcc(file, 4) === "ftyp") return "an MP4/M4A file";
  if (head === "FORM") return "an AIFF file";
  if (head === "RF64") return "an RF64 file (WAV over 4 GB)";
  return undefined;
}

// ---------------------------------------------------------------- format

function readFormat(view: DataView, at: number, size: number): Format {
  if (size < 16) throw new WavError(`malformed WAV file: the 'fmt ' chunk is ${size} bytes, at least 16 expected`);
  let code = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const blockAlign = view.getUint16(at + 12, true);
  const bits = view.getUint16(at + 14, true);
  if (code === FORMAT_EXTENSIBLE) code = subFormat(view, at, size);
  if (channels === 0) throw new WavError("malformed WAV file: the 'fmt ' chunk says 0 channels");

  const known = code === FORMAT_PCM || code === FORMAT_FLOAT || code === FORMAT_ULAW || code === FORMAT_ALAW;
  if (!known) throw new WavError(`unsupported WAV encoding: ${describe(code, bits)}; ${EXPORT_HINT}`);
  const container = Math.ceil(bits / 8);
  if (container === 0 || blockAlign !== container * channels) {
    throw new WavError(
      `malformed WAV file: ${blockAlign}-byte frames do not match ${channels} channel(s) of ${bits}-bit samples`,
    );
  }
  const supported =
    (code === FORMAT_PCM && container <= 4) ||
    (code === FORMAT_FLOAT && (bits === 32 || bits === 64)) ||
    ((code === FORMAT_ULAW || code === FORMAT_ALAW) && bits === 8);
  if (!supported) throw new WavError(`unsupported WAV encoding: ${describe(code, bits)}; ${EXPORT_HINT}`);
  if (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    throw new WavError(
      `unsupported sample rate: ${sampleRate} Hz (${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE} Hz); export it at 8000, 16000, 44100 or 48000 Hz`,
    );
  }
  return { code, channels, sampleRate, container, bits };
}

/** The real format code inside WAVE_FORMAT_EXTENSIBLE. */
function subFormat(view: DataView, at: number, size: number): number {
  if (size < 40 || view.getUint16(at + 16, true) < 22) {
    throw new WavError("malformed WAV file: an extensible 'fmt ' chunk without its sub-format");
  }
  const guid = at + 24;
  for (let i = 0; i < SUBFORMAT_TAIL.length; i++) {
    if (view.getUint8(guid + 2 + i) !== SUBFORMAT_TAIL[i]) {
      throw new WavError(`unsupported WAV encoding: a vendor-specific sub-format; ${EXPORT_HINT}`);
    }
  }
  return view.getUint16(guid, true);
}

function describe(code: number, bits: number): string {
  const name = FORMAT_NAMES[code];
  if (name) return `${name} (format ${code})`;
  const known = code === FORMAT_PCM || code === FORMAT_FLOAT || code === FORMAT_ULAW || code === FORMAT_ALAW;
  return known ? encodingName({ code, bits }) : `format ${code}`;
}

function encodingName(f: Pick<Format, "code" | "bits">): string {
  if (f.code === FORMAT_ULAW) return `${f.bits}-bit G.711 μ-law`;
  if (f.code === FORMAT_ALAW) return `${f.bits}-bit G.711 A-law`;
  if (f.code === FORMAT_FLOAT) return `${f.bits}-bit float`;
  return `${f.bits}-bit PCM`;
}

// ---------------------------------------------------------------- samples

/**
 * Frames [from, to) into `out`, channels averaged, scaled to −1…1 (a stereo file with the same take
 * on both sides keeps its level).
 */
function decodeMono(
  read: (at: number) => number,
  offset: number,
  out: Float32Array,
  from: number,
  to: number,
  f: Format,
): void {
  const scale = 1 / f.channels;
  let at = offset + from * f.container * f.channels;
  for (let i = from; i < to; i++) {
    let sum = 0;
    for (let ch = 0; ch < f.channels; ch++) {
      sum += read(at);
      at += f.container;
    }
    out[i] = sum * scale;
  }
}

function sampleReader(view: DataView, f: Format): (at: number) => number {
  if (f.code === FORMAT_ULAW) return (at) => decodeUlaw(view.getUint8(at)) / 32768;
  if (f.code === FORMAT_ALAW) return (at) => decodeAlaw(view.getUint8(at)) / 32768;
  if (f.code === FORMAT_FLOAT) {
    const get =
      f.container === 8 ? (at: number) => view.getFloat64(at, true) : (at: number) => view.getFloat32(at, true);
    return (at) => {
      const x = get(at);
      // NaN and infinities (a broken export) become silence and full scale, not poison for the filter.
      return Number.isNaN(x) ? 0 : Math.max(-1, Math.min(1, x));
    };
  }
  // PCM: 8-bit is unsigned, wider is signed; fewer valid bits than the container are MSB-aligned.
  switch (f.container) {
    case 1:
      return (at) => (view.getUint8(at) - 128) / 128;
    case 2:
      return (at) => view.getInt16(at, true) / 32768;
    case 3:
      return (at) => (view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16)) / 8388608;
    default:
      return (at) => view.getInt32(at, true) / 2147483648;
  }
}

function isSilent(x: Float32Array): boolean {
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i];
  mean /= x.length;
  for (let i = 0; i < x.length; i++) if (Math.abs(x[i] - mean) >= SILENCE_PEAK) return false;
  return true;
}
