/**
 * @module ivr/guest-wakeup
 * A guest setting a wake-up call from the room phone: four digits HHMM (hotel time), read back,
 * then 1 to confirm or 2 to enter another time.
 */

import type { Logger } from "../lib/logger.ts";
import type { CallChannel } from "../voice/channel.ts";
import type { PromptId, PromptLanguage, PromptSource } from "../voice/prompts.ts";
import { collectKeys, digitPrompts, endCall, say, type Voice } from "../voice/speak.ts";

export interface WakeupTime {
  hh: number;
  mm: number;
}

/** HHMM as four digits, 00–23 and 00–59; undefined for anything else. */
export function parseWakeupTime(keys: string): WakeupTime | undefined {
  if (keys.length !== 4) return undefined;
  for (const ch of keys) if (ch < "0" || ch > "9") return undefined;
  const hh = Number(keys.slice(0, 2));
  const mm = Number(keys.slice(2));
  return hh <= 23 && mm <= 59 ? { hh, mm } : undefined;
}

export interface GuestWakeupFlowOptions {
  prompts: PromptSource;
  lang: PromptLanguage;
  /** Wait for the first key after a prompt, and between two keys (config ivr.digitTimeoutSeconds). */
  digitTimeoutMs: number;
  /**
   * Times the guest may be asked again (after no entry, a wrong one, or 2 = another time) before
   * the call ends without a wake-up (config ivr.maxTries).
   */
  maxTries: number;
  /** Stores the wake-up at the next HH:MM; resolves when stored. */
  setWakeup(hh: number, mm: number): Promise<unknown>;
  logger?: Logger;
}

export type GuestWakeupFlowResult =
  | ({ result: "set" } & WakeupTime)
  /** Confirmed, but it could not be stored. */
  | ({ result: "failed" } & WakeupTime)
  /** The tries ran out. */
  | { result: "abandoned" }
  /** The guest hung up before confirming. */
  | { result: "hangup" };

/** Runs the inbound wake-up call and ends it. Rejects only when a prompt cannot be loaded. */
export async function runGuestWakeup(
  channel: CallChannel,
  opts: GuestWakeupFlowOptions,
): Promise<GuestWakeupFlowResult> {
  try {
    return await new Conversation({ channel, prompts: opts.prompts, lang: opts.lang }, opts).run();
  } finally {
    await endCall(channel);
  }
}

class Conversation {
  private failures = 0;

  constructor(
    private readonly v: Voice,
    private readonly opts: GuestWakeupFlowOptions,
  ) {}

  async run(): Promise<GuestWakeupFlowResult> {
    for (;;) {
      if ((await say(this.v, ["wakeup-enter-time"], true)) === "hangup") return { result: "hangup" };
      const entry = await collectKeys(this.v.channel, {
        firstTimeoutMs: this.opts.digitTimeoutMs,
        interDigitMs: this.opts.digitTimeoutMs,
        maxKeys: 4,
        terminator: "#",
      });
      if (entry.end === "hangup") return { result: "hangup" };
      const time = entry.end === "full" ? parseWakeupTime(entry.keys) : undefined;
      const next = time ? await this.confirm(time) : await this.fail(entry.keys === "" ? "no-input" : "invalid");
      if (next !== "again") return next;
    }
  }

  /** Reads the time back and asks for 1 (set) or 2 (another time). */
  private async confirm(time: WakeupTime): Promise<GuestWakeupFlowResult | "again"> {
    const hhmm = String(time.hh).padStart(2, "0") + String(time.mm).padStart(2, "0");
    const readBack: PromptId[] = ["wakeup-time-is", ...digitPrompts(hhmm)];
    let hashSkipped = false;
    for (;;) {
      // Interruptible: a guest sure of the time may press 1 without hearing it out.
      let r = await say(this.v, readBack, true);
      if (r === "done") r = await say(this.v, ["wakeup-confirm-menu"], true);
      if (r === "hangup") return { result: "hangup" };
      const key = await this.v.channel.readDigit(this.opts.digitTimeoutMs);
      if (key === "hangup") return { result: "hangup" };
      // Many guests end an entry with # out of habit; reading stopped at the fourth digit, so that #
      // arrives here. It is not an answer: say the time again instead of calling it invalid.
      if (key === "#" && !hashSkipped) {
        hashSkipped = true;
        continue;
      }
      if (key === "1") return this.store(time);
      if (key === "2") return this.retry();
      const next = await this.fail(key === "timeout" ? "no-input" : "invalid");
      if (next !== "again") return next;
    }
  }

  private async store(time: WakeupTime): Promise<GuestWakeupFlowResult> {
    try {
      await this.opts.setWakeup(time.hh, time.mm);
    } catch (err) {
      this.opts.logger?.error("wake-up from the phone not stored", { ...time, err });
      await say(this.v, ["wakeup-not-set"]);
      return { result: "failed", ...time };
    }
    await say(this.v, ["wakeup-set"]);
    return { result: "set", ...time };
  }

  /** "invalid"/"no-input", then ask again, or end the call once the tries are used up. */
  private async fail(why: "invalid" | "no-input"): Promise<GuestWakeupFlowResult | "again"> {
    this.failures++;
    if (this.failures >= this.opts.maxTries) {
      await say(this.v, [why, "wakeup-not-set"]);
      return { result: "abandoned" };
    }
    if ((await say(this.v, [why])) === "hangup") return { result: "hangup" };
    // The rest of a wrong entry (keys still coming, a late #) must not answer the next question.
    this.v.channel.clearDigits();
    return "again";
  }

  /** 2 = another time. It uses up a try too, so no caller can hold the port forever. */
  private async retry(): Promise<GuestWakeupFlowResult | "again"> {
    this.failures++;
    if (this.failures >= this.opts.maxTries) {
      await say(this.v, ["wakeup-not-set"]);
      return { result: "abandoned" };
    }
    // Keys still arriving after the 2 must not start the new entry.
    this.v.channel.clearDigits();
    return "again";
  }
}
