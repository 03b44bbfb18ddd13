/**
 * @module ivr/voicemail-retrieve
 * A guest listening to the room's messages: login (auto or room + PIN), "you have N new and M saved
 * messages", the front-desk notice, then each message (new first, then saved) as envelope, audio and
 * menu, after the last one "no more messages" and a short menu. Every prompt, envelope and message
 * can be cut short by a key, which then counts as the answer (barge-in). A message stays new until
 * it is saved or deleted: hearing it, skipping it or hanging up changes nothing. The flow knows
 * neither the store nor SIP; the callbacks do.
 */

import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/logger.ts";
import type { CallChannel } from "../voice/channel.ts";
import { type PromptId, type PromptLanguage, type PromptSource, promptLanguage } from "../voice/prompts.ts";
import { envelopePrompts } from "../voice/say-datetime.ts";
import { numberPrompts } from "../voice/say-number.ts";
import { endCall, say, type Voice } from "../voice/speak.ts";
import { chooseNewPin } from "./voicemail-entry.ts";
import { actionOf, KEYMAPS, type Keymap, type KeymapName, type MessageAction } from "./voicemail-keymap.ts";
import { login } from "./voicemail-login.ts";
import { type OperatorOutcome, transferToOperator } from "./voicemail-operator.ts";

export interface RetrievedMessage {
  id: string;
  /** Epoch ms. */
  receivedAt: number;
  durationMs: number;
  state: "new" | "saved";
}

export interface RetrievedMailbox {
  /** The guest's language: a FIAS GL code or a prompt language; empty = the call's language. */
  language: string;
  new: number;
  saved: number;
  /** A PMS text message waits at the front desk. */
  textWaiting: boolean;
  messages: readonly RetrievedMessage[];
}

export interface VoicemailRetrieveOptions {
  prompts: PromptSource;
  /** The language until the mailbox is open (then the mailbox's). */
  lang: PromptLanguage;
  /** Auto-login: this room's mailbox, no PIN. Absent: ask for room number and PIN. */
  room?: string;
  keymap: KeymapName;
  /** Where 0 sends the caller (config voicemail.operator); null = none. */
  operator: string | null;
  /** The hotel's IANA zone, for "today at 7 30 PM". */
  timezone: string;
  clock: Pick<Clock, "now">;
  /** Wait for a key after a prompt, and between two keys (config ivr.digitTimeoutSeconds). */
  digitTimeoutMs: number;
  /** Login attempts, and unanswered or wrong menu keys in a row, before the call ends (config ivr.maxTries). */
  maxTries: number;
  checkPin(room: string, pin: string): Promise<"ok" | "wrong" | "no-pin">;
  /** The room's current messages; undefined when it has no mailbox (no guest). */
  mailbox(room: string): Promise<RetrievedMailbox | undefined>;
  /** A message's audio: headerless 8 kHz μ-law. */
  audio(room: string, id: string): Promise<Uint8Array>;
  save(room: string, id: string): Promise<unknown>;
  delete(room: string, id: string): Promise<unknown>;
  setPin(room: string, pin: string): Promise<unknown>;
  logger?: Logger;
}

export interface VoicemailRetrieveSummary {
  /**
   * - `goodbye`: the guest was done (menu timed out after the last message, or the tries ran out);
   * - `hangup`: the guest hung up; `operator`: pressed 0 (`transfer` says how it went);
   * - `login-failed`: no room and PIN in `maxTries` attempts; `no-mailbox`: the room has none;
   * - `failed`: a callback or a prompt failed (logged).
   */
  result: "goodbye" | "hangup" | "operator" | "login-failed" | "no-mailbox" | "failed";
  /** The mailbox opened. */
  room?: string;
  /** Messages whose audio started playing, each counted once. */
  heard: number;
  saved: number;
  deleted: number;
  pinSet: boolean;
  transfer?: OperatorOutcome;
}

type Result = VoicemailRetrieveSummary["result"];

/** Runs the retrieval and ends the call. Never rejects: a failure is logged and reported as `failed`. */
export async function runVoicemailRetrieve(
  channel: CallChannel,
  opts: VoicemailRetrieveOptions,
): Promise<VoicemailRetrieveSummary> {
  const s = new Session({ channel, prompts: opts.prompts, lang: opts.lang }, opts);
  try {
    return s.summary(await s.run());
  } catch (err) {
    opts.logger?.error("voicemail retrieval failed", { room: s.room, err });
    await s.apologise();
    return s.summary("failed");
  } finally {
    await endCall(channel);
  }
}

interface Slot {
  msg: RetrievedMessage;
  deleted: boolean;
}

/** What the caller chose at a message or after the last one. */
type Choice = Exclude<MessageAction, "help"> | "hangup" | "gave-up";

class Session {
  room: string | undefined;
  private readonly map: Keymap;
  private readonly heard = new Set<string>();
  private saved = 0;
  private deleted = 0;
  private pinSet = false;
  private transfer: OperatorOutcome | undefined;
  private list: Slot[] = [];
  /** A key cut the last prompt short: it answers the next menu, which is not said first. */
  private pending = false;
  /** Back from setting a PIN: offer the menu again without replaying the message. */
  private menuOnly = false;

  constructor(
    private v: Voice,
    private readonly opts: VoicemailRetrieveOptions,
  ) {
    this.map = KEYMAPS[opts.keymap] ?? KEYMAPS.duvoice;
  }

  summary(result: Result): VoicemailRetrieveSummary {
    const out: VoicemailRetrieveSummary = {
      result,
      heard: this.heard.size,
      saved: this.saved,
      deleted: this.deleted,
      pinSet: this.pinSet,
    };
    if (this.room !== undefined) out.room = this.room;
    if (this.transfer !== undefined) out.transfer = this.transfer;
    return out;
  }

  /** "Service not available" where the call is still up; a prompt that cannot be loaded is no second failure. */
  async apologise(): Promise<void> {
    if (this.v.channel.hungUp) return;
    try {
      await say(this.v, ["service-unknown"]);
    } catch {
      // Already failed and logged; the call ends either way.
    }
  }

  async run(): Promise<Result> {
    if (this.opts.room === undefined) {
      const r = await login(this.v, this.opts);
      if (r === "operator") return this.operator();
      if (r === "failed") return "login-failed";
      if (r === "hangup") return "hangup";
      this.room = r.room;
    } else this.room = this.opts.room;
    const opened = await this.open();
    if (opened !== "ok") return opened;
    let i = this.step(-1, 1);
    for (;;) {
      if (this.v.channel.hungUp) return "hangup";
      const at = i < this.list.length ? this.list[i] : undefined;
      const choice = at ? await this.atMessage(at, i + 1) : await this.afterLast();
      this.menuOnly = false;
      switch (choice) {
        case "hangup":
          return "hangup";
        case "gave-up":
          await say(this.v, ["goodbye"]);
          return "goodbye";
        case "operator":
          return this.operator();
        case "set-pin": {
          const r = await chooseNewPin(this.v, {
            room: this.room,
            digitTimeoutMs: this.opts.digitTimeoutMs,
            setPin: (pin) => this.opts.setPin(this.room as string, pin),
            logger: this.opts.logger,
          });
          if (r === "hangup") return "hangup";
          if (r === "set") this.pinSet = true;
          this.menuOnly = true;
          break;
        }
        case "delete":
        case "save":
          if (at && !(await this.change(at, choice))) {
            await this.apologise();
            return "failed";
          }
          i = this.step(i, 1);
          break;
        case "next":
          i = this.step(i, 1);
          break;
        case "previous":
          i = this.step(i, -1);
          break;
        case "replay":
          if (!at) {
            const again = await this.open();
            if (again !== "ok") return again;
            i = this.step(-1, 1);
          }
          break;
      }
    }
  }

  /** Loads the mailbox and says what is in it. */
  private async open(): Promise<"ok" | "no-mailbox" | "hangup"> {
    const box = await this.opts.mailbox(this.room as string);
    if (!box) {
      await say(this.v, ["service-unknown"]);
      return "no-mailbox";
    }
    const lang = box.language.trim() === "" ? this.opts.lang : promptLanguage(box.language);
    this.v = { ...this.v, lang };
    const ordered = [
      ...box.messages.filter((m) => m.state === "new"),
      ...box.messages.filter((m) => m.state !== "new"),
    ];
    this.list = ordered.map((msg) => ({ msg, deleted: false }));
    const r = await say(this.v, this.intro(box), true);
    // A key during the summary skips it; it does not act on a message the guest has not heard yet.
    this.v.channel.clearDigits();
    this.pending = false;
    return r === "hangup" ? "hangup" : "ok";
  }

  private intro(box: RetrievedMailbox): PromptId[] {
    const lang = this.v.lang;
    const ids: PromptId[] = [];
    if (box.new <= 0 && box.saved <= 0) ids.push("vm-no-messages");
    else {
      ids.push("vm-you-have");
      if (box.new <= 0) ids.push("vm-no-new");
      else if (box.new === 1) ids.push("vm-new-one");
      else ids.push(...numberPrompts(lang, box.new), "vm-new-many");
      if (box.saved === 1) ids.push("and", "vm-saved-one");
      else if (box.saved > 1) ids.push("and", ...numberPrompts(lang, box.saved), "vm-saved-many");
    }
    if (box.textWaiting) ids.push("vm-front-desk");
    return ids;
  }

  /** Envelope, audio, menu: the caller's choice for this message. */
  private async atMessage(slot: Slot, n: number): Promise<Choice> {
    if (!this.pending && !this.menuOnly) {
      const envelope = envelopePrompts(this.v.lang, {
        index: n,
        receivedAt: slot.msg.receivedAt,
        now: this.opts.clock.now(),
        timezone: this.opts.timezone,
      });
      let r = await say(this.v, envelope, true);
      if (r === "done") r = await this.playAudio(slot.msg);
      if (r === "hangup") return "hangup";
      this.pending = r === "interrupted";
    }
    const first = this.list.indexOf(slot) === this.step(-1, 1);
    return this.menu(this.map.menu, this.map.help, (a) => a !== "previous" || !first, this.opts.maxTries);
  }

  /** "No more messages", then: replay from the start, the last message, PIN, operator; one pause ends the call. */
  private async afterLast(): Promise<Choice> {
    const any = this.list.some((s) => !s.deleted);
    if (any && !this.pending && !this.menuOnly) {
      const r = await say(this.v, ["vm-no-more"], true);
      if (r === "hangup") return "hangup";
      this.pending = r === "interrupted";
    }
    const takes = (a: MessageAction) =>
      a === "replay" || a === "set-pin" || a === "operator" || (a === "previous" && any);
    return this.menu(this.map.endMenu, [this.map.endMenu], takes, 1);
  }

  /**
   * Says `prompt` and waits for a key it takes: `*` says `help` and waits again; a wrong key gets
   * "invalid" and the menu again. `maxTries` wrong keys, or `maxPauses` pauses, in a row give up.
   */
  private async menu(
    prompt: PromptId,
    help: readonly PromptId[],
    takes: (a: MessageAction) => boolean,
    maxPauses: number,
  ): Promise<Choice> {
    let wrong = 0;
    let pauses = 0;
    let ask: readonly PromptId[] = this.pending ? [] : [prompt];
    this.pending = false;
    for (;;) {
      if (ask.length && (await say(this.v, ask, true)) === "hangup") return "hangup";
      const key = await this.v.channel.readDigit(this.opts.digitTimeoutMs);
      if (key === "hangup") return "hangup";
      if (key === "timeout") {
        if (++pauses >= maxPauses) return "gave-up";
        ask = [prompt];
        continue;
      }
      pauses = 0;
      const action = actionOf(this.map, key);
      if (action === "help") {
        // Help names every key: wait for one rather than adding the short menu on top.
        ask = help;
        continue;
      }
      if (action && takes(action)) return action;
      if (++wrong >= this.opts.maxTries) return "gave-up";
      if ((await say(this.v, ["invalid"])) === "hangup") return "hangup";
      // The rest of a wrong entry must not answer the menu.
      this.v.channel.clearDigits();
      ask = [prompt];
    }
  }

  private async playAudio(msg: RetrievedMessage): Promise<"done" | "interrupted" | "hangup"> {
    let audio: Uint8Array;
    try {
      audio = await this.opts.audio(this.room as string, msg.id);
    } catch (err) {
      // A lost file is no reason to lock the guest out of the rest: the menu follows, delete works.
      this.opts.logger?.error("voicemail message audio not readable", { room: this.room, id: msg.id, err });
      return "done";
    }
    this.heard.add(msg.id);
    return this.v.channel.play(audio, { interruptible: true });
  }

  /** Saves or deletes a message; false when the callback failed (logged). */
  private async change(slot: Slot, action: "save" | "delete"): Promise<boolean> {
    const room = this.room as string;
    try {
      if (action === "save") await this.opts.save(room, slot.msg.id);
      else await this.opts.delete(room, slot.msg.id);
    } catch (err) {
      this.opts.logger?.error(`voicemail ${action} from the phone failed`, { room, id: slot.msg.id, err });
      return false;
    }
    if (action === "delete") {
      slot.deleted = true;
      this.deleted++;
    } else if (slot.msg.state === "new") {
      slot.msg = { ...slot.msg, state: "saved" };
      this.saved++;
    }
    const r = await say(this.v, [action === "save" ? "vm-saved" : "vm-deleted"], true);
    // A key during the confirmation answers the next message's menu, as one during its envelope would.
    this.pending = r === "interrupted";
    return true;
  }

  /** The next message not deleted from `i` in `dir`: list.length past the last, -1 before the first. */
  private step(i: number, dir: 1 | -1): number {
    let j = i + dir;
    while (j >= 0 && j < this.list.length && this.list[j].deleted) j += dir;
    return Math.max(-1, Math.min(j, this.list.length));
  }

  private async operator(): Promise<Result> {
    this.transfer = await transferToOperator(this.v, this.opts.operator, this.opts.logger);
    return this.transfer === "hangup" ? "hangup" : "operator";
  }
}
