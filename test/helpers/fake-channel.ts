/**
 * Test doubles for the voice flows: a CallChannel on virtual time with scripted keys and hang-up,
 * and a PromptSource whose audio says which prompt it is. Nothing sleeps: a prompt "plays" by moving
 * the channel's clock by its duration, a key wait by moving it to the next key or the timeout.
 * Portable (no Bun or Deno APIs), so unit tests under both runtimes can use it.
 *
 * Scripting keys, by when they are pressed:
 *   { at: 2500, key: "1" }                      at 2.5 s after the answer
 *   { during: "menu", key: "1" }                in the middle of the first "menu" (nth: 2 = the second)
 *   { during: "menu", offset: 100, key: "1" }   100 ms into it
 *   { after: "housekeeping-enter", delay: 300, key: "1" }   300 ms after that prompt stopped playing
 *   { delay: 300, key: "2" }                    300 ms after the previous scripted key
 * `typed("123#", { after: "housekeeping-enter", delay: 300 })` scripts a run of keys 300 ms apart.
 * The hang-up of the far end takes the same forms (`delay` = after the last scripted key).
 * Anchors on prompts resolve when the prompt plays; a key whose anchor never comes is never pressed.
 *
 * Recordings and transfers are scripted by their results: `recordings: [{ end: "key", key: "#",
 * durationMs: 5000, soundMs: 4000 }]` answers the first `record()` (virtual time moves on by
 * `durationMs`; keys due meanwhile are dropped, as a recording ignores them; `end: "hangup"` ends the
 * call), `transfer: "accepted"` (or a list, one per call) answers `transfer()`; an accepted transfer
 * ends our leg. `recorded` and `transfers` keep what the flow asked for.
 */

import type { CallChannel, Digit, PlayResult, RecordOptions, RecordResult } from "../../src/voice/channel.ts";
import type { PromptId, PromptLanguage, PromptSource } from "../../src/voice/prompts.ts";

export type When =
  | { at: number }
  | { during: string; nth?: number; offset?: number }
  | { after: string; nth?: number; delay?: number }
  | { delay: number };

export type ScriptedKey = When & { key: Digit };

/** A run of keys: the first at `first`, each further one `gapMs` after the one before. */
export function typed(keys: string, first: When, gapMs = 300): ScriptedKey[] {
  return [...keys].map((key, i) => (i === 0 ? { ...first, key: key as Digit } : { delay: gapMs, key: key as Digit }));
}

/** The result of one `record()`; `error` makes it reject with that message instead. */
export interface ScriptedRecording {
  end: RecordResult["end"];
  key?: Digit;
  durationMs: number;
  /** Default: `durationMs`. */
  soundMs?: number;
  /** Default: PCMU. */
  codec?: RecordResult["codec"];
  error?: string;
}

export type ScriptedTransfer = "accepted" | "refused" | { error: string };

export interface FakeChannelOptions {
  keys?: ScriptedKey[];
  /** Answers to `record()`, in order; a call beyond them rejects. */
  recordings?: ScriptedRecording[];
  /** Answers to `transfer()`: one for every call, or one per call in order (then `refused`). Default `refused`. */
  transfer?: ScriptedTransfer | ScriptedTransfer[];
  /** When the far end hangs up; never when absent. */
  hangup?: When;
  /** The name a played audio is recorded under (e.g. FakePrompts.label); default `describeAudio`. */
  label?: (audio: Uint8Array) => string;
  /** How long audio plays; default its μ-law length (8 bytes a millisecond). */
  durationMs?: (audio: Uint8Array) => number;
  /**
   * Whether an interruptible prompt started while keys are already buffered ends at once. The
   * contract only promises interruption by a key pressed while it plays; flows must work either way.
   */
  interruptOnBufferedKey?: boolean;
}

export interface PlayRecord {
  label: string;
  at: number;
  interruptible: boolean;
  result?: PlayResult;
  endedAt?: number;
}

interface Pending {
  when: When;
  at?: number;
  done: boolean;
}

/** `{ delay }` alone: `after` takes a delay too, but counts it from its prompt. */
function isChained(w: When): w is { delay: number } {
  return "delay" in w && !("after" in w);
}

/** Default label: `silence(<ms>)` for μ-law silence, else `audio(<bytes>)`. */
export function describeAudio(audio: Uint8Array): string {
  if (audio.length > 0 && audio.every((b) => b === 0xff)) return `silence(${audio.length / 8})`;
  return `audio(${audio.length})`;
}

export class FakeChannel implements CallChannel {
  /** Virtual time since the answer, in ms. */
  now = 0;
  /** Every play started while the call was up, in order. */
  readonly played: PlayRecord[] = [];
  /** Keys handed to the flow by readDigit, in order. */
  readonly keysRead: Digit[] = [];
  /** A readable trace ("1500 key 1", "2000 play menu", …), for failure messages. */
  readonly log: string[] = [];
  /** Who ended the call (`transfer`: an accepted transfer ended our leg). */
  hungUpBy: "far" | "us" | "transfer" | undefined;
  /** The options of every `record()`, in order. */
  readonly recorded: RecordOptions[] = [];
  /** The target of every `transfer()`, in order. */
  readonly transfers: string[] = [];
  hangupCalls = 0;
  /** play/readDigit calls after the call ended (a flow should stop talking). */
  callsAfterHangup = 0;

  private readonly keys: (Pending & { key: Digit })[];
  private readonly farHangup: Pending | undefined;
  private buffer: Digit[] = [];
  private readonly plays = new Map<string, number>();
  private readonly label: (audio: Uint8Array) => string;
  private readonly duration: (audio: Uint8Array) => number;
  private readonly recordings: ScriptedRecording[];

  constructor(private readonly opts: FakeChannelOptions = {}) {
    this.recordings = [...(opts.recordings ?? [])];
    this.keys = (opts.keys ?? []).map((k) => ({ when: k, key: k.key, done: false }));
    this.farHangup = opts.hangup ? { when: opts.hangup, done: false } : undefined;
    this.label = opts.label ?? describeAudio;
    this.duration = opts.durationMs ?? ((a) => a.length / 8);
    for (const p of this.all()) if ("at" in p.when) p.at = p.when.at;
    this.resolveDelays();
  }

  get hungUp(): boolean {
    return this.hungUpBy !== undefined;
  }

  /** Labels of the prompts played, in order. */
  labels(): string[] {
    return this.played.map((p) => p.label);
  }

  /** Scripted keys never pressed (their time or anchor did not come). */
  unpressed(): Digit[] {
    return this.keys.filter((k) => !k.done).map((k) => k.key);
  }

  async record(opts: RecordOptions): Promise<RecordResult> {
    this.recorded.push({ ...opts });
    if (this.hungUp) {
      this.callsAfterHangup++;
      return { end: "hangup", durationMs: 0, soundMs: 0, codec: "PCMU" };
    }
    const r = this.recordings.shift();
    if (!r) throw new Error("FakeChannel: recording is not scripted");
    this.log.push(`${this.now} record ${opts.path}`);
    this.deliver(this.now);
    const kept = this.buffer.length;
    this.advance(this.now + r.durationMs);
    // Keys pressed while recording are not for the flow (the stop key is in the result).
    this.buffer.splice(kept);
    if (r.end === "hangup" && !this.hungUp) {
      this.hungUpBy = "far";
      this.log.push(`${this.now} hangup (far, recording)`);
    }
    this.log.push(`${this.now} recorded ${r.error ? `error ${r.error}` : r.end}${r.key ? ` ${r.key}` : ""}`);
    if (r.error) throw new Error(r.error);
    const out: RecordResult = {
      end: r.end,
      durationMs: r.durationMs,
      soundMs: r.soundMs ?? r.durationMs,
      codec: r.codec ?? "PCMU",
    };
    if (r.key) out.key = r.key;
    return out;
  }

  async transfer(target: string): Promise<"accepted" | "refused"> {
    const nth = this.transfers.length;
    this.transfers.push(target);
    this.log.push(`${this.now} transfer ${target}`);
    const script = this.opts.transfer;
    const r = Array.isArray(script) ? (script[nth] ?? "refused") : (script ?? "refused");
    if (typeof r === "object") throw new Error(r.error);
    if (this.hungUp) return "refused";
    if (r === "accepted") {
      this.hungUpBy = "transfer";
      this.log.push(`${this.now} transferred`);
    }
    return r;
  }

  async play(ulaw: Uint8Array, opts?: { interruptible?: boolean }): Promise<PlayResult> {
    if (this.hungUp) {
      this.callsAfterHangup++;
      return "hangup";
    }
    this.deliver(this.now);
    if (this.hungUp) return "hangup";
    const label = this.label(ulaw);
    const nth = (this.plays.get(label) ?? 0) + 1;
    this.plays.set(label, nth);
    const interruptible = opts?.interruptible ?? false;
    const rec: PlayRecord = { label, at: this.now, interruptible };
    this.played.push(rec);
    this.log.push(`${this.now} play ${label}${interruptible ? " (interruptible)" : ""}`);
    const end = this.now + this.duration(ulaw);
    for (const p of this.all()) {
      const w = p.when;
      if (p.at === undefined && "during" in w && w.during === label && (w.nth ?? 1) === nth) {
        p.at = this.now + (w.offset ?? Math.floor((end - this.now) / 2));
      }
    }
    this.resolveDelays();

    let result: PlayResult;
    if (interruptible && this.opts.interruptOnBufferedKey && this.buffer.length > 0) {
      result = "interrupted";
    } else {
      const key = interruptible ? this.nextKey((at) => at < end) : undefined;
      const hang = this.hangupDue((at) => at < end);
      if (hang !== undefined && (key === undefined || hang <= key)) {
        this.advance(hang);
        result = "hangup";
      } else if (key !== undefined) {
        this.advance(key);
        result = "interrupted";
      } else {
        this.advance(end);
        result = this.hungUp ? "hangup" : "done";
      }
    }
    rec.result = result;
    rec.endedAt = this.now;
    if (result !== "done") this.log.push(`${this.now} ${label} ${result}`);
    for (const p of this.all()) {
      const w = p.when;
      if (p.at === undefined && "after" in w && w.after === label && (w.nth ?? 1) === nth) {
        p.at = this.now + (w.delay ?? 0);
      }
    }
    this.resolveDelays();
    this.deliver(this.now);
    return result;
  }

  async readDigit(timeoutMs: number): Promise<Digit | "timeout" | "hangup"> {
    if (this.hungUp) {
      this.callsAfterHangup++;
      return "hangup";
    }
    this.deliver(this.now);
    if (this.hungUp) return "hangup";
    if (this.buffer.length === 0) {
      const deadline = this.now + timeoutMs;
      const key = this.nextKey((at) => at <= deadline);
      const hang = this.hangupDue((at) => at <= deadline);
      if (hang !== undefined && (key === undefined || hang < key)) {
        this.advance(hang);
        return "hangup";
      }
      this.advance(key ?? deadline);
      if (key === undefined) {
        this.log.push(`${this.now} read timeout`);
        return "timeout";
      }
    }
    const k = this.buffer.shift() as Digit;
    this.keysRead.push(k);
    this.log.push(`${this.now} read ${k}`);
    return k;
  }

  clearDigits(): void {
    this.deliver(this.now);
    if (this.buffer.length) this.log.push(`${this.now} clear ${this.buffer.join("")}`);
    this.buffer = [];
  }

  async hangup(): Promise<void> {
    this.hangupCalls++;
    if (this.hungUp) return;
    this.hungUpBy = "us";
    this.log.push(`${this.now} hangup (us)`);
  }

  private all(): Pending[] {
    return this.farHangup ? [...this.keys, this.farHangup] : this.keys;
  }

  /** `delay` steps hang on the scripted key before them (the hang-up on the last key). */
  private resolveDelays(): void {
    let prev: number | undefined = 0;
    for (const k of this.keys) {
      if (k.at === undefined && isChained(k.when) && prev !== undefined) k.at = prev + k.when.delay;
      prev = k.at;
    }
    const h = this.farHangup;
    if (h && h.at === undefined && isChained(h.when) && prev !== undefined) h.at = prev + h.when.delay;
  }

  private nextKey(inWindow: (at: number) => boolean): number | undefined {
    let best: number | undefined;
    for (const k of this.keys) {
      if (!k.done && k.at !== undefined && inWindow(k.at) && (best === undefined || k.at < best)) best = k.at;
    }
    return best === undefined ? undefined : Math.max(best, this.now);
  }

  private hangupDue(inWindow: (at: number) => boolean): number | undefined {
    const h = this.farHangup;
    if (!h || h.done || h.at === undefined || !inWindow(h.at)) return undefined;
    return Math.max(h.at, this.now);
  }

  private advance(t: number): void {
    this.now = Math.max(this.now, t);
    this.deliver(this.now);
  }

  /** Keys due by `t` go to the buffer (in time order), then a due hang-up ends the call. */
  private deliver(t: number): void {
    const due = this.keys.filter((k) => !k.done && k.at !== undefined && k.at <= t);
    due.sort((a, b) => (a.at as number) - (b.at as number));
    for (const k of due) {
      k.done = true;
      if (this.hungUp) continue;
      this.buffer.push(k.key);
      this.log.push(`${k.at} key ${k.key}`);
    }
    const h = this.farHangup;
    if (h && !h.done && h.at !== undefined && h.at <= t) {
      h.done = true;
      if (!this.hungUp) {
        this.hungUpBy = "far";
        this.log.push(`${h.at} hangup (far)`);
      }
    }
  }
}

export interface FakePrompts extends PromptSource {
  /** The prompt id an audio buffer from `get` is (for FakeChannel's `label`); else describeAudio. */
  label(audio: Uint8Array): string;
  /** Every `get`, in order. */
  readonly requests: { lang: PromptLanguage; id: PromptId }[];
}

/**
 * Prompts of `durationMs` each (default 1000 ms; a record sets it per id). Ids in `missing` throw
 * like a prompt set without that file.
 */
export function fakePrompts(
  opts: { durationMs?: number | Partial<Record<PromptId, number>>; missing?: PromptId[] } = {},
): FakePrompts {
  const cache = new Map<string, Uint8Array>();
  const ids = new Map<Uint8Array, PromptId>();
  const requests: { lang: PromptLanguage; id: PromptId }[] = [];
  const ms = (id: PromptId) =>
    typeof opts.durationMs === "number" ? opts.durationMs : (opts.durationMs?.[id] ?? 1000);
  return {
    requests,
    get(lang, id) {
      requests.push({ lang, id });
      if (opts.missing?.includes(id)) throw new Error(`no prompt ${lang}/${id}`);
      const k = `${lang}/${id}`;
      let audio = cache.get(k);
      if (!audio) {
        // Not 0xFF, so describeAudio never takes a prompt for silence.
        audio = new Uint8Array(ms(id) * 8).fill(0x55);
        cache.set(k, audio);
        ids.set(audio, id);
      }
      return audio;
    },
    label: (audio) => ids.get(audio) ?? describeAudio(audio),
  };
}

/** A FakeChannel labelling plays by prompt id, with its FakePrompts. */
export function fakeCall(opts: Omit<FakeChannelOptions, "label"> & { prompts?: FakePrompts } = {}): {
  channel: FakeChannel;
  prompts: FakePrompts;
} {
  const prompts = opts.prompts ?? fakePrompts();
  return { channel: new FakeChannel({ ...opts, label: prompts.label }), prompts };
}
