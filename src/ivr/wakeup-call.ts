/**
 * @module ivr/wakeup-call
 * The guest's side of an outbound wake-up call, from the moment it is answered: the announcement,
 * then the confirm/snooze menu until a key decides or the menu has been offered often enough. The
 * dialer places the call and turns the result into the wake-up's history and outcome.
 */

import type { CallChannel, Digit } from "../voice/channel.ts";
import type { PromptLanguage, PromptSource } from "../voice/prompts.ts";
import { endCall, say, type Voice } from "../voice/speak.ts";

export interface WakeupCallFlowOptions {
  prompts: PromptSource;
  lang: PromptLanguage;
  /** Key 2 snoozes; when false the menu offers 1 only and 2 confirms like 1. */
  snoozeAllowed: boolean;
  /** Times the menu is offered (config wakeup.menuRepeats). */
  menuRepeats: number;
  /** Wait for a key after each menu (config wakeup.keyWaitSeconds × 1000). */
  keyWaitMs: number;
  /** Each key the guest pressed, as it is pressed (for the wake-up's history). Should not throw. */
  onKey?: (digit: Digit) => void;
}

export type WakeupCallFlowOutcome = "confirmed" | "snoozed" | "answered";

export interface WakeupCallFlowResult {
  /** `answered`: the guest hung up, or the menu ran out, without a deciding key. */
  outcome: WakeupCallFlowOutcome;
  keys: Digit[];
}

/**
 * Runs the answered wake-up call and ends it. Both announcements are interruptible: a guest who
 * presses 1 during "good morning" has confirmed. Rejects only when a prompt cannot be loaded (the
 * call is still hung up).
 */
export async function runWakeupCall(channel: CallChannel, opts: WakeupCallFlowOptions): Promise<WakeupCallFlowResult> {
  const keys: Digit[] = [];
  try {
    return { outcome: await converse({ channel, prompts: opts.prompts, lang: opts.lang }, opts, keys), keys };
  } finally {
    await endCall(channel);
  }
}

async function converse(v: Voice, opts: WakeupCallFlowOptions, keys: Digit[]): Promise<WakeupCallFlowOutcome> {
  let r = await say(v, ["wakeup"], true);
  if (r === "hangup") return "answered";
  const menu = opts.snoozeAllowed ? "menu" : "menu-no-snooze";
  for (let round = 0; round < opts.menuRepeats; round++) {
    // A key that cut the last prompt short is the answer: offering the menu again would make the
    // guest wait for a question already answered.
    if (r !== "interrupted") {
      r = await say(v, [menu], true);
      if (r === "hangup") return "answered";
    }
    r = "done";
    const key = await v.channel.readDigit(opts.keyWaitMs);
    if (key === "hangup") return "answered";
    if (key === "timeout") continue;
    keys.push(key);
    notify(opts.onKey, key);
    if (key === "1" || (key === "2" && !opts.snoozeAllowed)) {
      await say(v, ["confirmed"]);
      return "confirmed";
    }
    if (key === "2") {
      await say(v, ["snoozed"]);
      return "snoozed";
    }
  }
  await say(v, ["goodbye"]);
  return "answered";
}

function notify(onKey: ((digit: Digit) => void) | undefined, key: Digit): void {
  try {
    onKey?.(key);
  } catch {
    // The history is a record of the call, not part of it: a failing listener must not cost the
    // guest the confirmation.
  }
}
