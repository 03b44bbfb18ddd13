/**
 * @module voice/recorder
 * A caller recorded to disk as the RTP arrives (voicemail deposit, issue 12 §2). The G.711 payload is
 * stored as sent, no transcoding (g711-wav.ts, wav-writer.ts); the codec is the packets' static
 * payload type (0 PCMU, 8 PCMA), else the negotiated one the caller passes.
 *
 * The file's audio follows the RTP timestamps, so its length is the time the caller spoke:
 * - a gap of up to 1 s (lost packets, or a phone that sends nothing in silence) is filled with
 *   silence; a late packet replaces the silence that stood in for it; a duplicate is dropped;
 * - a jump of more than 1 s either way, or a new SSRC, starts a new stretch with no fill: that is a
 *   restarted stream, not time that passed.
 *
 * Ends (RecordResult.end), as Asterisk's __ast_play_and_record does them:
 * - `silence`: `silenceMs` with no frame of sound, counted from the start too (a caller who never
 *   speaks, or no RTP at all, ends then), measured on the clock so a silent stream cannot hang it;
 *   trailing silence is trimmed to 200 ms;
 * - `max`: the audio reaches `maxMs` (cut there exactly), or the clock passes it by 500 ms (a stream
 *   that started late or skipped); `warnBeforeMs` before `maxMs` (clock) `onWarning` asks for a tone;
 * - `key`: a stop key; the audio is cut where the key's RFC 4733 event began, 40 ms earlier still in
 *   case the phone leaked the tone in-band. The event is reported at its end, so this cuts back
 *   into audio already written. A key without a usable timestamp (SIP INFO, another SSRC) cuts
 *   40 ms plus the press's duration before the end;
 * - `hangup`: what was recorded is kept, trailing silence trimmed to 200 ms like `silence`.
 * A failed write rejects `done`; the file is left as a crash would leave it.
 */
import fs from "node:fs";
import type { Clock, TimerHandle } from "../lib/clock.ts";
import { ALAW_SILENCE, alawToUlaw, ULAW_SILENCE, ulawToAlaw } from "../sip/rtp/g711.ts";
import type { Digit, RecordOptions, RecordResult } from "./channel.ts";
import { type G711Codec, g711WavHeader, openG711Wav, readFully, SAMPLES_PER_MS, WAV_HEADER_BYTES } from "./g711-wav.ts";
import { DEFAULT_SILENCE_THRESHOLD, FRAME_BYTES, SoundMeter } from "./sound-meter.ts";
import { G711WavWriter } from "./wav-writer.ts";

export { readMessageUlaw } from "./g711-wav.ts";
export { beep, warningTone } from "./tone.ts";

/** What the recorder needs of an RTP packet; `payload` is read before `audio()` returns. */
export interface RecorderPacket {
  payloadType: number;
  timestamp: number;
  sequence: number;
  ssrc: number;
  payload: Uint8Array;
}

/** Where an RFC 4733 key press began (sip/rtp/dtmf.ts DtmfPress has these). */
export interface KeyTiming {
  timestamp: number;
  ssrc: number;
  durationMs: number;
}

export interface RecorderOptions extends RecordOptions {
  clock: Clock;
  /** The negotiated codec: used for payload types other than 0 and 8, and before any packet. Default PCMU. */
  codec?: G711Codec;
  /** Play the warning tone now (`warnBeforeMs` before the maximum). */
  onWarning?: () => void;
  /** Mean absolute 16-bit sample of a 20 ms frame at or above which it counts as sound. Default 128. */
  silenceThreshold?: number;
  /** How often the file is flushed to the disk while recording. Default 1000 ms. */
  syncEveryMs?: number;
}

const MAX_FILL = 1000 * SAMPLES_PER_MS;
const KEY_LEAD = 40 * SAMPLES_PER_MS;
const TRAILING_KEEP = 200 * SAMPLES_PER_MS;
const MAX_CLOCK_GRACE_MS = 500;
const SILENCE: Record<G711Codec, Uint8Array> = {
  PCMU: new Uint8Array(MAX_FILL).fill(ULAW_SILENCE),
  PCMA: new Uint8Array(MAX_FILL).fill(ALAW_SILENCE),
};

function codecOfPayloadType(pt: number): G711Codec | undefined {
  return pt === 0 ? "PCMU" : pt === 8 ? "PCMA" : undefined;
}

/** Audio bytes the trim keeps: the last sound plus 200 ms. */
function trimmed(meter: SoundMeter, length: number): number {
  return Math.min(length, meter.soundEnd(length) + TRAILING_KEEP);
}

interface Stretch {
  ssrc: number;
  /** RTP timestamp of the audio at `offset`. */
  timestamp: number;
  offset: number;
}

export class Recorder {
  /** Resolves once the file is complete (sizes fixed, flushed, closed). */
  readonly done: Promise<RecordResult>;
  private resolve!: (r: RecordResult) => void;
  private reject!: (err: unknown) => void;
  private readonly writer: G711WavWriter;
  private readonly meter: SoundMeter;
  private readonly clock: Clock;
  private readonly maxBytes: number;
  private state: "recording" | "ending" = "recording";
  private stretch: Stretch | null = null;
  /** Silence put in for missing packets, [start, end) audio offsets, the last second's only. */
  private fills: [number, number][] = [];
  private lastSoundAt: number;
  private lastSyncAt: number;
  private readonly timers: (TimerHandle | undefined)[] = [];

  /** Creates the file and starts the clock; throws when the file cannot be created (it exists, no space). */
  constructor(private readonly o: RecorderOptions) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A failure nobody awaited yet must not become an unhandled rejection; awaiting still sees it.
    this.done.catch(() => {});
    const codec = o.codec ?? "PCMU";
    this.writer = G711WavWriter.create(o.path, codec);
    this.meter = new SoundMeter(codec, o.silenceThreshold ?? DEFAULT_SILENCE_THRESHOLD);
    this.clock = o.clock;
    this.maxBytes = Math.max(0, Math.round(o.maxMs * SAMPLES_PER_MS));
    this.lastSoundAt = this.lastSyncAt = o.clock.now();
    this.armSilence(o.silenceMs);
    this.timers.push(o.clock.setTimeout(() => this.end("max"), o.maxMs + MAX_CLOCK_GRACE_MS));
    if (o.warnBeforeMs > 0 && o.warnBeforeMs < o.maxMs) {
      const warn = () => {
        try {
          o.onWarning?.();
        } catch {
          // a tone that cannot play costs the warning, not the message
        }
      };
      this.timers.push(o.clock.setTimeout(warn, o.maxMs - o.warnBeforeMs));
    }
  }

  /** Whether the recording has ended (or is ending). */
  get ended(): boolean {
    return this.state !== "recording";
  }

  /** One audio packet; its payload is written before this returns. */
  audio(p: RecorderPacket): void {
    if (this.state !== "recording" || p.payload.length === 0) return;
    try {
      this.take(p);
    } catch (err) {
      void this.fail(err);
    }
  }

  /**
   * A key pressed while recording: a stop key ends it (true), cut where `timing` says the press
   * began; any other key is ignored (false).
   */
  key(digit: Digit, timing?: KeyTiming): boolean {
    if (this.state !== "recording" || !this.o.stopKeys.includes(digit)) return false;
    this.end("key", digit, this.keyCut(timing));
    return true;
  }

  /** The call ended: keep what was recorded. */
  hangup(): void {
    this.end("hangup");
  }

  private take(p: RecorderPacket): void {
    const w = this.writer;
    const codec = codecOfPayloadType(p.payloadType) ?? this.o.codec ?? "PCMU";
    let payload = p.payload;
    if (codec !== w.codec) {
      if (w.length === 0) {
        w.setCodec(codec);
        this.meter.setCodec(codec);
      } else {
        // A re-INVITE switched codecs mid-message: one file keeps one codec.
        payload = codec === "PCMA" ? alawToUlaw(payload) : ulawToAlaw(payload);
      }
    }
    const s = this.stretch;
    if (!s || s.ssrc !== p.ssrc >>> 0) {
      this.restart(p, payload);
      return;
    }
    // Where this packet's first sample lies relative to the end of the audio; ToInt32 handles the wrap.
    const d = (p.timestamp - s.timestamp - (w.length - s.offset)) | 0;
    if (d === 0) this.append(payload);
    else if (d > 0 && d <= MAX_FILL) {
      this.fill(d);
      if (this.state === "recording") this.append(payload);
    } else if (d < 0 && d >= -MAX_FILL) this.late(w.length + d, payload);
    else this.restart(p, payload);
  }

  private restart(p: RecorderPacket, payload: Uint8Array): void {
    this.stretch = { ssrc: p.ssrc >>> 0, timestamp: p.timestamp >>> 0, offset: this.writer.length };
    this.fills = [];
    this.append(payload);
  }

  private append(bytes: Uint8Array): void {
    const w = this.writer;
    const room = this.maxBytes - w.length;
    const part = bytes.length > room ? bytes.subarray(0, room) : bytes;
    const at = w.length;
    w.append(part);
    const now = this.clock.now();
    if (this.meter.add(at, part)) this.lastSoundAt = now;
    if (now - this.lastSyncAt >= (this.o.syncEveryMs ?? 1000)) {
      this.lastSyncAt = now;
      w.sync();
    }
    if (w.length >= this.maxBytes) this.end("max");
  }

  private fill(n: number): void {
    const at = this.writer.length;
    this.append(SILENCE[this.writer.codec].subarray(0, n));
    this.fills.push([at, this.writer.length]);
    const horizon = this.writer.length - MAX_FILL;
    while (this.fills.length > 0 && (this.fills[0] as [number, number])[1] < horizon) this.fills.shift();
  }

  /** A packet older than the end: it takes the place of fill silence, or it is a duplicate. */
  private late(at: number, payload: Uint8Array): void {
    const s = this.stretch as Stretch;
    if (at < s.offset) return;
    const w = this.writer;
    const n = Math.min(payload.length, w.length - at);
    const i = this.fills.findIndex(([a, b]) => a <= at && at + n <= b);
    if (i >= 0) {
      const [a, b] = this.fills[i] as [number, number];
      w.write(at, payload.subarray(0, n));
      this.meter.remove(at, n, SILENCE[w.codec][0] as number);
      this.meter.add(at, payload.subarray(0, n));
      const rest: [number, number][] = [];
      if (a < at) rest.push([a, at]);
      if (at + n < b) rest.push([at + n, b]);
      this.fills.splice(i, 1, ...rest);
    }
    if (payload.length > n) this.append(payload.subarray(n));
  }

  private keyCut(t: KeyTiming | undefined): number {
    const len = this.writer.length;
    const s = this.stretch;
    if (t && s && t.ssrc >>> 0 === s.ssrc) {
      const at = s.offset + ((t.timestamp - s.timestamp) | 0);
      if (at >= s.offset - MAX_FILL && at <= len + MAX_FILL) return Math.max(0, Math.min(len, at - KEY_LEAD));
    }
    const held = t ? Math.round(t.durationMs * SAMPLES_PER_MS) : 0;
    return Math.max(0, len - held - KEY_LEAD);
  }

  private armSilence(ms: number): void {
    this.timers[0] = this.clock.setTimeout(() => {
      const quiet = this.clock.now() - this.lastSoundAt;
      if (quiet >= this.o.silenceMs) this.end("silence");
      else this.armSilence(this.o.silenceMs - quiet);
    }, ms);
  }

  private stopTimers(): void {
    for (const t of this.timers) this.clock.clearTimeout(t);
  }

  private end(end: RecordResult["end"], key?: Digit, cut?: number): void {
    if (this.state !== "recording") return;
    this.state = "ending";
    this.stopTimers();
    void this.complete(end, key, cut);
  }

  private async complete(end: RecordResult["end"], key: Digit | undefined, cut: number | undefined): Promise<void> {
    const w = this.writer;
    try {
      const len = w.length;
      const keep = end === "key" ? (cut ?? len) : end === "max" ? len : trimmed(this.meter, len);
      if (keep < len) {
        w.truncate(keep);
        const tail = keep % FRAME_BYTES;
        this.meter.truncate(keep, tail > 0 ? w.read(keep - tail, tail) : new Uint8Array(0));
      }
      const soundMs = this.meter.soundMs(keep);
      await w.finish();
      const r: RecordResult = { end, durationMs: Math.round(keep / SAMPLES_PER_MS), soundMs, codec: w.codec };
      if (key !== undefined) r.key = key;
      this.resolve(r);
    } catch (err) {
      await w.abandon().catch(() => {});
      this.reject(err);
    }
  }

  private async fail(err: unknown): Promise<void> {
    if (this.state !== "recording") return;
    this.state = "ending";
    this.stopTimers();
    await this.writer.abandon().catch(() => {});
    this.reject(err);
  }
}

/** What a recording cut short by a crash holds, once its header is fixed. */
export interface RecoveredRecording {
  durationMs: number;
  soundMs: number;
  codec: G711Codec;
}

/**
 * Makes a recording left unfinished by a crash (placeholder sizes) a complete WAV: trailing silence
 * trimmed to 200 ms as on a hang-up, sizes fixed from what is on disk, flushed. A complete file is
 * only measured. undefined when the file is missing, unreadable or not a G.711 WAV.
 */
export function recoverRecording(
  path: string,
  silenceThreshold = DEFAULT_SILENCE_THRESHOLD,
): RecoveredRecording | undefined {
  const f = openG711Wav(path, "r+");
  if (!f) return undefined;
  const { fd, layout } = f;
  try {
    const data = readFully(fd, layout.dataBytes, layout.dataOffset);
    const meter = new SoundMeter(layout.codec, silenceThreshold);
    meter.add(0, data);
    let keep = data.length;
    if (layout.unfinished) {
      keep = trimmed(meter, data.length);
      const tail = keep % FRAME_BYTES;
      meter.truncate(keep, data.subarray(keep - tail, keep));
      fixSizes(fd, layout.dataOffset, layout.codec, keep);
      fs.fsyncSync(fd);
    }
    return { durationMs: Math.round(keep / SAMPLES_PER_MS), soundMs: meter.soundMs(keep), codec: layout.codec };
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

function fixSizes(fd: number, dataOffset: number, codec: G711Codec, bytes: number): void {
  const pad = bytes % 2;
  fs.ftruncateSync(fd, dataOffset + bytes + pad);
  if (dataOffset === WAV_HEADER_BYTES) {
    fs.writeSync(fd, g711WavHeader(codec, bytes), 0, WAV_HEADER_BYTES, 0);
    return;
  }
  // Not our layout (an edited file): patch the RIFF and data sizes only.
  const u32 = (n: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, true);
    return b;
  };
  fs.writeSync(fd, u32(dataOffset - 8 + bytes + pad), 0, 4, 4);
  fs.writeSync(fd, u32(bytes), 0, 4, dataOffset - 4);
}
