/**
 * @module ivr/minibar
 * A guest (or the minibar attendant) charging minibar articles from the room phone: the article code
 * (the PMS's article number, 1–4 digits) and #, the quantity (1–99) and #, read back ("article one
 * two, quantity two"), then 1 to charge it or 2 to enter it again. After each charge the next
 * article may follow; a pause or # alone at that prompt ends the call.
 *
 * Decisions:
 * - # alone at the quantity means one (what NethVoice and Yeastar take when no quantity is given).
 * - The article is read digit by digit (it is a code: 0012 stays "zero zero one two"), the quantity
 *   as a number.
 * - Wrong or missing entries and 2 (enter again) use up the `maxTries` of the current article; a
 *   charged article starts the count again, so a long list is never cut short. `maxEntries` articles
 *   at most per call.
 */

import type { Logger } from "../lib/logger.ts";
import type { CallChannel } from "../voice/channel.ts";
import type { PromptId, PromptLanguage, PromptSource } from "../voice/prompts.ts";
import { numberPrompts } from "../voice/say-number.ts";
import { collectKeys, digitPrompts, endCall, say, type Voice } from "../voice/speak.ts";

export interface MinibarEntry {
  /** FIAS MA: digits as entered (leading zeros kept). */
  article: string;
  /** FIAS M#: 1–99. */
  quantity: number;
}

const MAX_ARTICLE_DIGITS = 4;
const MAX_QUANTITY_DIGITS = 2;

/** 1–4 digits; undefined for anything else. */
export function parseArticle(keys: string): string | undefined {
  return /^[0-9]{1,4}$/.test(keys) ? keys : undefined;
}

/** 1–99 (# alone = 1); undefined for anything else. */
export function parseQuantity(keys: string): number | undefined {
  if (keys === "") return 1;
  if (!/^[0-9]{1,2}$/.test(keys)) return undefined;
  const n = Number(keys);
  return n >= 1 ? n : undefined;
}

export interface MinibarFlowOptions {
  prompts: PromptSource;
  lang: PromptLanguage;
  /** Wait for the first key after a prompt, and between two keys (config ivr.digitTimeoutSeconds). */
  digitTimeoutMs: number;
  /** Failed tries at one article before the call ends (config ivr.maxTries). */
  maxTries: number;
  /** Articles charged in one call at most (default 20). */
  maxEntries?: number;
  /** Charges one confirmed article; `n` counts the call's confirmed entries from 1. Resolves when stored. */
  post(entry: MinibarEntry, n: number): Promise<unknown>;
  logger?: Logger;
}

export type MinibarFlowResult = {
  /**
   * - `done`: the caller finished (pause, # alone, hang-up) after charging at least one article, or
   *   reached `maxEntries`.
   * - `failed`: a confirmed article could not be stored (the call ends there).
   * - `abandoned`: the tries at an article ran out.
   * - `hangup`: the caller hung up before charging anything.
   */
  result: "done" | "failed" | "abandoned" | "hangup";
  /** The articles charged, in order. */
  posted: MinibarEntry[];
};

/** Runs the inbound minibar call and ends it. Rejects only when a prompt cannot be loaded. */
export async function runMinibar(channel: CallChannel, opts: MinibarFlowOptions): Promise<MinibarFlowResult> {
  try {
    return await new Conversation({ channel, prompts: opts.prompts, lang: opts.lang }, opts).run();
  } finally {
    await endCall(channel);
  }
}

type Step = MinibarFlowResult["result"] | "again";

class Conversation {
  private failures = 0;
  private readonly posted: MinibarEntry[] = [];

  constructor(
    private readonly v: Voice,
    private readonly opts: MinibarFlowOptions,
  ) {}

  async run(): Promise<MinibarFlowResult> {
    const max = this.opts.maxEntries ?? 20;
    for (;;) {
      const step = this.posted.length >= max ? await this.finish() : await this.entry();
      if (step !== "again") return { result: step, posted: this.posted };
    }
  }

  private async entry(): Promise<Step> {
    const first = this.posted.length === 0;
    const ask = first ? "minibar-enter-article" : "minibar-next-article";
    if ((await say(this.v, [ask], true)) === "hangup") return this.hangup();
    const a = await this.keys(MAX_ARTICLE_DIGITS + 1);
    if (a.end === "hangup") return this.hangup();
    // After a charged article, silence or # alone is the caller's "that's all".
    if (!first && a.keys === "" && this.failures === 0) return this.finish();
    const article = a.end === "full" ? undefined : parseArticle(a.keys);
    if (!article) return this.fail(a.keys === "" ? "no-input" : "invalid");

    if ((await say(this.v, ["minibar-enter-quantity"], true)) === "hangup") return this.hangup();
    const q = await this.keys(MAX_QUANTITY_DIGITS + 1);
    if (q.end === "hangup") return this.hangup();
    // A pause with no key is no answer; # alone is "one".
    if (q.end === "timeout" && q.keys === "") return this.fail("no-input");
    const quantity = q.end === "full" ? undefined : parseQuantity(q.keys);
    if (quantity === undefined) return this.fail("invalid");
    return this.confirm({ article, quantity });
  }

  private keys(maxKeys: number) {
    const t = this.opts.digitTimeoutMs;
    return collectKeys(this.v.channel, { firstTimeoutMs: t, interDigitMs: t, maxKeys, terminator: "#" });
  }

  /** Reads the entry back and asks for 1 (charge) or 2 (enter again). */
  private async confirm(entry: MinibarEntry): Promise<Step> {
    const readBack: PromptId[] = [
      "minibar-article",
      ...digitPrompts(entry.article),
      "minibar-quantity",
      ...numberPrompts(this.v.lang, entry.quantity),
    ];
    // Interruptible: a caller sure of the entry may press 1 without hearing it out.
    let r = await say(this.v, readBack, true);
    if (r === "done") r = await say(this.v, ["minibar-confirm-menu"], true);
    if (r === "hangup") return this.hangup();
    const key = await this.v.channel.readDigit(this.opts.digitTimeoutMs);
    if (key === "hangup") return this.hangup();
    if (key === "1") return this.store(entry);
    if (key === "2") return this.retry();
    return this.fail(key === "timeout" ? "no-input" : "invalid");
  }

  private async store(entry: MinibarEntry): Promise<Step> {
    try {
      await this.opts.post(entry, this.posted.length + 1);
    } catch (err) {
      this.opts.logger?.error("minibar article from the phone not charged", { ...entry, err });
      await say(this.v, ["minibar-not-posted"]);
      return "failed";
    }
    this.posted.push(entry);
    this.failures = 0;
    if ((await say(this.v, ["minibar-posted"], true)) === "hangup") return this.hangup();
    this.v.channel.clearDigits();
    return "again";
  }

  /** "invalid"/"no-input", then ask again, or end the call once the tries are used up. */
  private async fail(why: "invalid" | "no-input"): Promise<Step> {
    this.failures++;
    if (this.failures >= this.opts.maxTries) {
      await say(this.v, [why, "goodbye"]);
      return "abandoned";
    }
    if ((await say(this.v, [why])) === "hangup") return this.hangup();
    // The rest of a wrong entry (keys still coming, a late #) must not start the next one.
    this.v.channel.clearDigits();
    return "again";
  }

  /** 2 = enter again. It uses up a try too, so no caller can hold the port forever. */
  private async retry(): Promise<Step> {
    this.failures++;
    if (this.failures >= this.opts.maxTries) {
      await say(this.v, ["goodbye"]);
      return "abandoned";
    }
    this.v.channel.clearDigits();
    return "again";
  }

  private async finish(): Promise<Step> {
    await say(this.v, ["goodbye"]);
    return "done";
  }

  private hangup(): Step {
    return this.posted.length ? "done" : "hangup";
  }
}
