/**
 * @module ivr/voicemail-deposit
 * A caller leaving a message for a room: the greeting in the mailbox's language, a tone, the
 * recording, then "recorded, goodbye" (`#`, silence, the maximum), the operator (`0`) or nothing
 * (a hang-up keeps the message). A vacant room or a full disk gets no recording: a notice, then the
 * operator when there is one. The flow knows neither the store nor SIP: `open` and `finish` decide
 * where a message goes and whether it is kept.
 */

import type { Logger } from "../lib/logger.ts";
import type { CallChannel, RecordResult } from "../voice/channel.ts";
import type { PromptId, PromptLanguage, PromptSource } from "../voice/prompts.ts";
import { digitPrompts, endCall, say, type Voice } from "../voice/speak.ts";
import { type OperatorOutcome, transferToOperator } from "./voicemail-operator.ts";

/** How long before the maximum the warning tone sounds (issue 12 §2). */
export const WARN_BEFORE_MS = 10_000;

export interface VoicemailDepositOptions {
  prompts: PromptSource;
  /** The mailbox's language (the guest's); also used for the vacant and disk-full notices. */
  lang: PromptLanguage;
  /** The room called; read digit by digit in the greeting when `announceRoom`. */
  room: string;
  announceRoom: boolean;
  /** Where `0`, a vacant room and a full disk send the caller (config voicemail.operator); null = none. */
  operator: string | null;
  /** The tone before the recording: headerless 8 kHz μ-law. */
  beep: Uint8Array;
  /** Longest message and the silence that ends one (voicemail.maxSeconds, silenceSeconds, in ms). */
  maxMs: number;
  silenceMs: number;
  /** Warning tone before the maximum; default 10 s, none when the maximum is not longer than that. */
  warnBeforeMs?: number;
  /**
   * Called once, before the greeting: where to record, or why not. Must not keep anything that needs
   * `finish` to be undone: a caller who hangs up before the tone gets `cancel`, not `finish`.
   */
  open(): Promise<{ path: string } | "vacant" | "disk-full">;
  /**
   * Called exactly once when a recording was started, whatever happened after (even when the caller
   * hung up or something failed): decides whether the message is kept (`minSeconds` of sound, …).
   * `null`: the recording failed and the file at `path` may be partial or missing (treat it as one
   * found after a crash).
   */
  finish(result: RecordResult | null): Promise<"kept" | "discarded">;
  /** Called when `open` gave a path but no recording was started (hang-up or `0` during the greeting). */
  cancel?(): Promise<void>;
  logger?: Logger;
}

export interface VoicemailDepositResult {
  /**
   * - `recorded`: a recording was taken and finished (`message` says whether it was kept);
   * - `vacant`, `disk-full`: nothing recorded, the caller was told (and offered the operator);
   * - `hangup`: the caller left before the tone; `operator`: pressed 0 before the tone;
   * - `failed`: something threw (logged); a recording already taken was still finished.
   */
  result: "recorded" | "vacant" | "disk-full" | "hangup" | "operator" | "failed";
  /** What `finish` answered; absent when no recording was finished or `finish` threw. */
  message?: "kept" | "discarded";
  /** How the recording ended. */
  end?: RecordResult["end"];
  durationMs?: number;
  /** What became of a transfer to the operator, when one was wanted. */
  transfer?: OperatorOutcome;
}

/** Runs the deposit and ends the call. Never rejects: a failure is logged and reported as `failed`. */
export async function runVoicemailDeposit(
  channel: CallChannel,
  opts: VoicemailDepositOptions,
): Promise<VoicemailDepositResult> {
  const deposit = new Deposit({ channel, prompts: opts.prompts, lang: opts.lang }, opts);
  try {
    return await deposit.run();
  } catch (err) {
    opts.logger?.error("voicemail deposit failed", { room: opts.room, err });
    await deposit.settle();
    await apologise({ channel, prompts: opts.prompts, lang: opts.lang });
    return { ...deposit.outcome, result: "failed" };
  } finally {
    await endCall(channel);
  }
}

/** "Service not available" where the call is still up; a prompt that cannot be loaded is no second failure. */
async function apologise(v: Voice): Promise<void> {
  if (v.channel.hungUp) return;
  try {
    await say(v, ["service-unknown"]);
  } catch {
    // The flow already failed and was logged; the call ends either way.
  }
}

class Deposit {
  /** What is known so far, for the `failed` result. */
  outcome: Omit<VoicemailDepositResult, "result"> = {};
  private path: string | undefined;
  private started = false;
  private finished = false;
  private recording: RecordResult | null = null;

  constructor(
    private readonly v: Voice,
    private readonly opts: VoicemailDepositOptions,
  ) {}

  async run(): Promise<VoicemailDepositResult> {
    const box = await this.opts.open();
    if (box === "vacant" || box === "disk-full") return this.refuse(box);
    this.path = box.path;

    const greeting = await say(this.v, this.greeting(), true);
    if (greeting === "hangup") return this.abandon({ result: "hangup" });
    if (greeting === "interrupted") {
      const key = await this.v.channel.readDigit(0);
      if (key === "hangup") return this.abandon({ result: "hangup" });
      // 0 during the greeting: the caller wants a person, not the tone. Any other key skips the greeting.
      if (key === "0") {
        await this.cancel();
        return { result: "operator", transfer: await this.operator() };
      }
    }
    if ((await this.v.channel.play(this.opts.beep)) === "hangup") return this.abandon({ result: "hangup" });
    // A key typed during the greeting must not end the recording the moment it starts.
    this.v.channel.clearDigits();

    const message = await this.record(box.path);
    const rec = this.recording;
    if (rec === null || message === "failed") {
      if (!this.v.channel.hungUp) await say(this.v, ["service-unknown"]);
      return { ...this.outcome, result: "failed" };
    }
    const done: VoicemailDepositResult = { ...this.outcome, result: "recorded" };
    if (rec.end === "hangup") return done;
    if (rec.end === "key" && rec.key === "0") return { ...done, transfer: await this.operator() };
    await say(this.v, message === "kept" ? ["vm-recorded"] : ["vm-not-recorded", "goodbye"]);
    return done;
  }

  /** Finishes a recording that was started and not finished yet (after a throw). */
  async settle(): Promise<void> {
    if (this.started) await this.finish();
    else await this.cancel();
  }

  private greeting(): PromptId[] {
    const digits = this.opts.announceRoom ? digitPrompts(this.opts.room) : [];
    return digits.length ? ["vm-greeting-room", ...digits, "vm-greeting-room-end"] : ["vm-greeting"];
  }

  private async refuse(why: "vacant" | "disk-full"): Promise<VoicemailDepositResult> {
    const r = await say(this.v, [why === "vacant" ? "vm-not-available" : "vm-mailbox-full"]);
    if (r === "hangup") return { result: why };
    if (!this.opts.operator) {
      await say(this.v, ["goodbye"]);
      return { result: why, transfer: "no-operator" };
    }
    return { result: why, transfer: await this.operator() };
  }

  private async record(path: string): Promise<"kept" | "discarded" | "failed"> {
    const warn = this.opts.warnBeforeMs ?? WARN_BEFORE_MS;
    this.started = true;
    try {
      this.recording = await this.v.channel.record({
        path,
        maxMs: this.opts.maxMs,
        silenceMs: this.opts.silenceMs,
        warnBeforeMs: warn < this.opts.maxMs ? warn : 0,
        stopKeys: "#0",
      });
      this.outcome.end = this.recording.end;
      this.outcome.durationMs = this.recording.durationMs;
    } catch (err) {
      this.opts.logger?.error("voicemail recording failed", { room: this.opts.room, err });
      this.recording = null;
    }
    return this.finish();
  }

  private async finish(): Promise<"kept" | "discarded" | "failed"> {
    if (this.finished) return this.outcome.message ?? "failed";
    this.finished = true;
    try {
      this.outcome.message = await this.opts.finish(this.recording);
      return this.outcome.message;
    } catch (err) {
      this.opts.logger?.error("voicemail message not stored", { room: this.opts.room, err });
      return "failed";
    }
  }

  private async abandon(result: VoicemailDepositResult): Promise<VoicemailDepositResult> {
    await this.cancel();
    return result;
  }

  private async cancel(): Promise<void> {
    if (this.path === undefined || this.started) return;
    const cancel = this.opts.cancel;
    this.path = undefined;
    try {
      await cancel?.();
    } catch (err) {
      this.opts.logger?.warn("voicemail: cancelling an unused recording failed", { room: this.opts.room, err });
    }
  }

  private operator(): Promise<OperatorOutcome> {
    return transferToOperator(this.v, this.opts.operator, this.opts.logger);
  }
}
