/**
 * @module voice/channel
 * One answered call as the voice flows see it: play audio, read keys, hang up. The SIP ports
 * implement it over a dialog and its RTP session; tests implement it with a scripted fake. Keys are
 * buffered from the moment the call is answered, so a guest who types ahead loses nothing.
 */

export type Digit = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "*" | "#" | "A" | "B" | "C" | "D";

export type PlayResult = "done" | "interrupted" | "hangup";

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
  /** Ends the call from our side (BYE); resolves when done. Safe to call twice. */
  hangup(): Promise<void>;
}
