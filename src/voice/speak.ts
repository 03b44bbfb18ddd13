/**
 * @module voice/speak
 * What every voice flow does the same way: play prompts in the caller's language, collect an entry
 * of keys, read a number back digit by digit, and end the call without ever leaving it open.
 */

import type { CallChannel, Digit, PlayResult } from "./channel.ts";
import type { PromptId, PromptLanguage, PromptSource } from "./prompts.ts";

/** The channel and the prompt set a flow speaks with. */
export interface Voice {
  channel: CallChannel;
  prompts: PromptSource;
  lang: PromptLanguage;
}

/**
 * Plays prompts one after another and stops at the first that does not play to the end, so a key
 * pressed during the first prompt of a sentence skips the rest of it.
 */
export async function say(v: Voice, ids: readonly PromptId[], interruptible = false): Promise<PlayResult> {
  for (const id of ids) {
    const r = await v.channel.play(v.prompts.get(v.lang, id), { interruptible });
    if (r !== "done") return r;
  }
  return "done";
}

/** μ-law encodes silence as 0xFF (0x7F is the negative zero; either is quiet). */
const ULAW_SILENCE = 0xff;

/** Headerless μ-law silence, for a pause between two announcements. */
export function silence(ms: number): Uint8Array {
  return new Uint8Array(Math.max(0, Math.round(ms * 8))).fill(ULAW_SILENCE);
}

const DIGIT_PROMPTS: Readonly<Record<string, PromptId>> = {
  "0": "digit-0",
  "1": "digit-1",
  "2": "digit-2",
  "3": "digit-3",
  "4": "digit-4",
  "5": "digit-5",
  "6": "digit-6",
  "7": "digit-7",
  "8": "digit-8",
  "9": "digit-9",
};

/**
 * The digit prompts that read `text` out. There are no letter prompts, so anything but 0–9 is
 * skipped: room "12A" is read "one two" (the front desk still hears which floor and room to check).
 */
export function digitPrompts(text: string): PromptId[] {
  const out: PromptId[] = [];
  for (const ch of text) {
    const id = DIGIT_PROMPTS[ch];
    if (id) out.push(id);
  }
  return out;
}

export interface Entry {
  /** Keys in the order pressed, the terminator excluded. */
  keys: string;
  /**
   * - `terminator`: the terminator key was pressed.
   * - `timeout`: no key within the first-key or inter-digit timeout (`keys` empty = nothing entered).
   * - `full`: `maxKeys` keys were entered; reading stopped there.
   * - `hangup`: the call ended.
   */
  end: "terminator" | "timeout" | "full" | "hangup";
}

export interface CollectOptions {
  /** Wait for the first key (after the prompt ended). */
  firstTimeoutMs: number;
  /** Wait for each further key; running out of it ends the entry. */
  interDigitMs: number;
  maxKeys: number;
  /** A key that ends the entry early (not part of `keys`). */
  terminator?: Digit;
}

/** Reads one entry of keys: keys already typed ahead are taken first. */
export async function collectKeys(channel: CallChannel, opts: CollectOptions): Promise<Entry> {
  let keys = "";
  for (;;) {
    const k = await channel.readDigit(keys === "" ? opts.firstTimeoutMs : opts.interDigitMs);
    if (k === "hangup" || k === "timeout") return { keys, end: k };
    if (k === opts.terminator) return { keys, end: "terminator" };
    keys += k;
    if (keys.length >= opts.maxKeys) return { keys, end: "full" };
  }
}

/** Hangs up unless the far end already did. */
export async function endCall(channel: CallChannel): Promise<void> {
  if (channel.hungUp) return;
  try {
    await channel.hangup();
  } catch {
    // A failed BYE is the SIP layer's to report: for the flow the call is over either way, and its
    // outcome (a confirmed wake-up, a stored status) must not be lost to it.
  }
}
