/**
 * @module ivr/voicemail-entry
 * Entries a voicemail caller keys in, each ended by # or a pause: a room number, a PIN, and a new PIN
 * chosen from the menu (entered twice). PINs go to the callbacks and nowhere else: no log line, no
 * result field.
 */

import type { Logger } from "../lib/logger.ts";
import type { PromptId } from "../voice/prompts.ts";
import { collectKeys, type Entry, say, type Voice } from "../voice/speak.ts";

/** A PIN the guest may choose: 4 to 8 digits. */
export const NEW_PIN = /^[0-9]{4,8}$/;

/** Longest room number or PIN read; one key more makes the entry invalid rather than cut short. */
export const MAX_ENTRY_KEYS = 10;

/** Says `prompt` (keys may cut it short) and reads one entry ended by # or a pause. */
export async function askEntry(v: Voice, prompt: PromptId, digitTimeoutMs: number): Promise<Entry> {
  if ((await say(v, [prompt], true)) === "hangup") return { keys: "", end: "hangup" };
  return collectKeys(v.channel, {
    firstTimeoutMs: digitTimeoutMs,
    interDigitMs: digitTimeoutMs,
    maxKeys: MAX_ENTRY_KEYS + 1,
    terminator: "#",
  });
}

export interface NewPinOptions {
  digitTimeoutMs: number;
  /** Stores the PIN; resolves when stored. */
  setPin(pin: string): Promise<unknown>;
  room: string;
  logger?: Logger;
}

/**
 * "Enter a new PIN", "enter it again", then stored or not. Ends back in the menu either way (the
 * guest is told whether the PIN changed); `hangup` when the call ended.
 */
export async function chooseNewPin(v: Voice, opts: NewPinOptions): Promise<"set" | "not-set" | "hangup"> {
  v.channel.clearDigits();
  const first = await askEntry(v, "vm-enter-new-pin", opts.digitTimeoutMs);
  if (first.end === "hangup") return "hangup";
  if (first.end === "full" || !NEW_PIN.test(first.keys)) {
    return notSet(v, [first.keys === "" ? "no-input" : "invalid", "vm-pin-not-set"]);
  }
  v.channel.clearDigits();
  const second = await askEntry(v, "vm-confirm-pin", opts.digitTimeoutMs);
  if (second.end === "hangup") return "hangup";
  if (second.keys !== first.keys) return notSet(v, ["vm-pins-differ", "vm-pin-not-set"]);
  try {
    await opts.setPin(first.keys);
  } catch (err) {
    // The room, never the PIN.
    opts.logger?.error("voicemail PIN from the phone not stored", { room: opts.room, err });
    return notSet(v, ["vm-pin-not-set"]);
  }
  return (await say(v, ["vm-pin-set"])) === "hangup" ? "hangup" : "set";
}

async function notSet(v: Voice, ids: PromptId[]): Promise<"not-set" | "hangup"> {
  const r = await say(v, ids);
  v.channel.clearDigits();
  return r === "hangup" ? "hangup" : "not-set";
}
