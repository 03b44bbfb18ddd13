/**
 * @module ivr/voicemail-login
 * Opening a mailbox without auto-login: room number and PIN, each ended by #, `maxTries` attempts.
 * A wrong room and a wrong PIN get the same answer, so the login does not tell which rooms exist;
 * a room without a PIN is refused with its own notice (the guest sets one from the room phone).
 * An entry of just 0 asks for the operator.
 */

import type { PromptId } from "../voice/prompts.ts";
import { type Entry, say, type Voice } from "../voice/speak.ts";
import { askEntry } from "./voicemail-entry.ts";

export interface LoginOptions {
  digitTimeoutMs: number;
  maxTries: number;
  checkPin(room: string, pin: string): Promise<"ok" | "wrong" | "no-pin">;
}

/** The room logged into, or why there is none (`failed`: the tries ran out and the caller was told). */
export type LoginResult = { room: string } | "operator" | "failed" | "hangup";

/** Runs the login; `checkPin` errors reject (the flow ends the call). */
export async function login(v: Voice, opts: LoginOptions): Promise<LoginResult> {
  let failures = 0;
  for (;;) {
    const room = answer(await askEntry(v, "vm-enter-room", opts.digitTimeoutMs));
    if (room.kind === "hangup" || room.kind === "operator") return room.kind;
    let why: PromptId;
    if (room.kind !== "digits") why = room.kind === "none" ? "no-input" : "invalid";
    else {
      v.channel.clearDigits();
      const pin = answer(await askEntry(v, "vm-enter-pin", opts.digitTimeoutMs));
      if (pin.kind === "hangup" || pin.kind === "operator") return pin.kind;
      if (pin.kind !== "digits") why = pin.kind === "none" ? "no-input" : "vm-login-failed";
      else {
        const checked = await opts.checkPin(room.digits, pin.digits);
        if (checked === "ok") return { room: room.digits };
        why = checked === "no-pin" ? "vm-no-pin" : "vm-login-failed";
      }
    }
    failures++;
    if (failures >= opts.maxTries) {
      await say(v, [why, "goodbye"]);
      return "failed";
    }
    if ((await say(v, [why])) === "hangup") return "hangup";
    // The rest of a wrong entry must not answer the next question.
    v.channel.clearDigits();
  }
}

type Answer =
  | { kind: "digits"; digits: string }
  /** Nothing entered (a pause, or # alone). */
  | { kind: "none" }
  /** Too long, or not digits (* in it). */
  | { kind: "bad" }
  | { kind: "operator" }
  | { kind: "hangup" };

function answer(e: Entry): Answer {
  if (e.end === "hangup") return { kind: "hangup" };
  if (e.end === "full") return { kind: "bad" };
  if (e.keys === "") return { kind: "none" };
  if (e.keys === "0") return { kind: "operator" };
  return /^[0-9]+$/.test(e.keys) ? { kind: "digits", digits: e.keys } : { kind: "bad" };
}
