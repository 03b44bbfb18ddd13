/**
 * @module voice/channel
 * One answered call as the voice flows see it: play audio, read keys, record, transfer, hang up. The SIP ports
 * implement it over a dialog and its RTP session; tests implement it with a scripted fake. Keys are
 * buffered from the moment the call is answered, so a guest who types ahead loses nothing.
 */

export type Digit = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "*" | "#" | "A" | "B" | "C" | "D";

export type PlayResult = "done" | "interrupted" | "hangup";

/** How a recording is taken (voicemail deposit). */
export interface RecordOptions {
  /** Where the audio goes as it arrives (written to disk as it goes; voice/recorder.ts). */
  path: string;
  /** Longest recording; it ends with `max` then. */
  maxMs: number;
  /** Silence that ends the recording (`silence`); trailing silence is then trimmed to 200 ms. */
  silenceMs: number;
  /** A warning tone this long before `maxMs` (0 = none). */
  warnBeforeMs: number;
  /** Keys that end the recording (e.g. "#0"); the audio is cut where the key's tone began. */
  stopKeys: string;
}

/** What a recording holds once it ended; the file at `path` is complete (WAV) when this resolves. */
export interface RecordResult {
  end: "key" | "silence" | "max" | "hangup";
  /** The stop key pressed (`end` = key). */
  key?: Digit;
  /** Playing time of the kept audio. */
  durationMs: number;
  /** Of that, time with sound (silence excluded): what `minSeconds` is compared with. */
  soundMs: number;
  /** The stored encoding: the call's G.711 payload as it arrived. */
  codec: "PCMU" | "PCMA";
}

export interface CallChannel {
  /**
   * Plays headerless 8 kHz G.711 μ-law audio (the channel transcodes for PCMA). Resolves `done` when
   * played to the end; `interrupted` as soon as a key is pressed while an `interruptible` prompt plays
   * (the key stays buffered for `readDigit`); `hangup` when the call ended (no further audio).
   */
  play(ulaw: Uint8Array, opts?: { interruptible?: boolean }): Promise<PlayResult>;
  /** The next key (buffered keys first), `timeout` after `timeoutMs` without one, `hangup` once the call ended. */
  readDigit(timeoutMs: number): Promise<Digit | "timeout" | "hangup">;
  /** Drops keys pressed so far (before a new question). */
  clearDigits(): void;
  /** True once either side ended the call. */
  readonly hungUp: boolean;
  /**
   * Records what the caller says into `opts.path` until a stop key, silence, the maximum or a
   * hang-up (the recording is kept on hang-up). Keys other than the stop keys are ignored.
   */
  record(opts: RecordOptions): Promise<RecordResult>;
  /**
   * Blind transfer of the caller to `target` (a dialled number, REFER per RFC 3515). `accepted`: the
   * far end took the REFER (202) and our leg is ended; `refused`: it did not (the call is still up).
   */
  transfer(target: string): Promise<"accepted" | "refused">;
  /** Ends the call from our side (BYE); resolves when done. Safe to call twice. */
  hangup(): Promise<void>;
}
