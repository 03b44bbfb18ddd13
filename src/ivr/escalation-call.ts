/**
 * @module ivr/escalation-call
 * The front desk's side of an escalation call, once answered: "wake-up call not answered in room"
 * and the room number digit by digit, said twice so a busy receptionist catches it, then hang up.
 */

import type { CallChannel } from "../voice/channel.ts";
import type { PromptLanguage, PromptSource } from "../voice/prompts.ts";
import { digitPrompts, endCall, say, silence } from "../voice/speak.ts";

export interface EscalationCallOptions {
  prompts: PromptSource;
  lang: PromptLanguage;
  /**
   * The room to name. Only its digits are read (there are no letter prompts): "12A" is read
   * "one two".
   */
  room: string;
  /** Times the announcement is said (default 2). */
  repeats?: number;
  /** Pause between two announcements (default 1 s). */
  pauseMs?: number;
}

export interface EscalationCallResult {
  /** Somebody picked up, so the front desk counts as told, even if they hung up early. */
  outcome: "answered";
  /** The announcement was heard to the end at least once. */
  announced: boolean;
}

/** Runs the answered escalation call and ends it. Rejects only when a prompt cannot be loaded. */
export async function runEscalationCall(
  channel: CallChannel,
  opts: EscalationCallOptions,
): Promise<EscalationCallResult> {
  const v = { channel, prompts: opts.prompts, lang: opts.lang };
  const sentence = ["frontdesk-room" as const, ...digitPrompts(opts.room)];
  const repeats = opts.repeats ?? 2;
  let announced = false;
  try {
    for (let i = 0; i < repeats; i++) {
      if (i > 0 && (await channel.play(silence(opts.pauseMs ?? 1000))) !== "done") break;
      // Not interruptible: a key pressed at the desk must not swallow the room number.
      if ((await say(v, sentence)) !== "done") break;
      announced = true;
    }
  } finally {
    await endCall(channel);
  }
  return { outcome: "answered", announced };
}
