/**
 * @module ivr/housekeeping
 * The maid code dialled from a room phone: a room status key 1–6 (FIAS RS: 1 dirty/vacant, 2
 * dirty/occupied, 3 clean/vacant, 4 clean/occupied, 5 inspected/vacant, 6 inspected/occupied),
 * then optionally the maid's id (1–8 digits), ended by # or by a pause. "1 2 3 #" = status 1 by
 * maid 23.
 */

import type { Logger } from "../lib/logger.ts";
import type { CallChannel } from "../voice/channel.ts";
import type { PromptLanguage, PromptSource } from "../voice/prompts.ts";
import { collectKeys, endCall, say, type Voice } from "../voice/speak.ts";

export interface MaidCode {
  /** FIAS RS 1–6. */
  status: number;
  /** Maid id (FIAS ID), digits as entered (leading zeros kept); absent when none was entered. */
  maid?: string;
}

const MAX_MAID_DIGITS = 8;

/** The maid code in an entry of keys, or undefined when it is not one. */
export function parseMaidCode(keys: string): MaidCode | undefined {
  if (keys.length < 1 || keys.length > 1 + MAX_MAID_DIGITS) return undefined;
  for (const ch of keys) if (ch < "0" || ch > "9") return undefined;
  const status = Number(keys[0]);
  if (status < 1 || status > 6) return undefined;
  return keys.length > 1 ? { status, maid: keys.slice(1) } : { status };
}

export interface HousekeepingFlowOptions {
  prompts: PromptSource;
  lang: PromptLanguage;
  /** Wait for the first key after the prompt, and between two keys (config ivr.digitTimeoutSeconds). */
  digitTimeoutMs: number;
  /** Failed entries (none, or not a maid code) before the call ends (config ivr.maxTries). */
  maxTries: number;
  /** Stores the status (and reports it to the PMS); resolves when stored. */
  setStatus(status: number, maid?: string): Promise<unknown>;
  logger?: Logger;
}

export type HousekeepingFlowResult =
  | ({ result: "set" } & MaidCode)
  /** The code was valid but could not be stored. */
  | ({ result: "failed" } & MaidCode)
  /** `maxTries` entries failed. */
  | { result: "abandoned" }
  /** The caller hung up before a code was entered. */
  | { result: "hangup" };

/** Runs the inbound housekeeping call and ends it. Rejects only when a prompt cannot be loaded. */
export async function runHousekeeping(
  channel: CallChannel,
  opts: HousekeepingFlowOptions,
): Promise<HousekeepingFlowResult> {
  try {
    return await converse({ channel, prompts: opts.prompts, lang: opts.lang }, opts);
  } finally {
    await endCall(channel);
  }
}

async function converse(v: Voice, opts: HousekeepingFlowOptions): Promise<HousekeepingFlowResult> {
  let failures = 0;
  for (;;) {
    if ((await say(v, ["housekeeping-enter"], true)) === "hangup") return { result: "hangup" };
    const entry = await collectKeys(v.channel, {
      firstTimeoutMs: opts.digitTimeoutMs,
      interDigitMs: opts.digitTimeoutMs,
      // One key past the longest code, so an overlong entry is refused rather than cut short.
      maxKeys: 2 + MAX_MAID_DIGITS,
      terminator: "#",
    });
    if (entry.end === "hangup") return { result: "hangup" };
    const code = entry.end === "full" ? undefined : parseMaidCode(entry.keys);
    if (code) return store(v, opts, code);
    failures++;
    const why = entry.keys === "" ? "no-input" : "invalid";
    if (failures >= opts.maxTries) {
      await say(v, [why, "goodbye"]);
      return { result: "abandoned" };
    }
    if ((await say(v, [why])) === "hangup") return { result: "hangup" };
    // The rest of a wrong entry (keys still coming, a late #) must not start the next one.
    v.channel.clearDigits();
  }
}

async function store(v: Voice, opts: HousekeepingFlowOptions, code: MaidCode): Promise<HousekeepingFlowResult> {
  try {
    await opts.setStatus(code.status, code.maid);
  } catch (err) {
    // The maid typed a valid code; "invalid" would send her into retyping what cannot be stored.
    // Say the service is not available, so she reports it another way.
    opts.logger?.error("housekeeping status from the phone not stored", { ...code, err });
    await say(v, ["service-unknown"]);
    return { result: "failed", ...code };
  }
  await say(v, ["housekeeping-done"]);
  return { result: "set", ...code };
}
