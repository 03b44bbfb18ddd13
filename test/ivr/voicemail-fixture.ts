/**
 * A retrieval call on a FakeChannel: a mailbox of scripted messages, callbacks that record what
 * they were asked, message audio labelled `msg:<id>` in the channel's log.
 */
import {
  type RetrievedMailbox,
  type RetrievedMessage,
  runVoicemailRetrieve,
  type VoicemailRetrieveOptions,
} from "../../src/ivr/voicemail-retrieve.ts";
import { memoryLogger } from "../../src/lib/logger.ts";
import { fromWallTime } from "../../src/lib/zoned-time.ts";
import type { Digit } from "../../src/voice/channel.ts";
import type { PromptId, PromptLanguage } from "../../src/voice/prompts.ts";
import { envelopePrompts } from "../../src/voice/say-datetime.ts";
import { FakeChannel, type FakeChannelOptions, fakePrompts, type ScriptedKey } from "../helpers/fake-channel.ts";

export const TZ = "Europe/Berlin";
export const TIMEOUT = 5000;
const wall = (month: number, day: number, hour: number, minute: number) =>
  fromWallTime({ year: 2026, month, day, hour, minute, second: 0 }, TZ);
export const NOW = wall(12, 10, 20, 0);

/** Two new messages (today, yesterday) and a saved one (a week ago). */
export const MESSAGES: RetrievedMessage[] = [
  { id: "m1", receivedAt: wall(12, 10, 19, 30), durationMs: 3000, state: "new" },
  { id: "m2", receivedAt: wall(12, 9, 8, 5), durationMs: 3000, state: "new" },
  { id: "m3", receivedAt: wall(12, 2, 14, 0), durationMs: 3000, state: "saved" },
];

export interface RetrieveSetup {
  script?: Omit<FakeChannelOptions, "label">;
  box?: Partial<RetrievedMailbox> | undefined | Error;
  opts?: Partial<VoicemailRetrieveOptions>;
  pins?: Record<string, string | null>;
  fail?: { save?: boolean; delete?: boolean; audio?: string[]; setPin?: boolean };
  missing?: PromptId[];
}

export function retrieval(s: RetrieveSetup = {}) {
  const prompts = fakePrompts({ missing: s.missing });
  const audio = new Map<Uint8Array, string>();
  const audioOf = new Map<string, Uint8Array>();
  for (const [i, m] of MESSAGES.entries()) {
    const a = new Uint8Array(m.durationMs * 8).fill(0x20 + i);
    audio.set(a, `msg:${m.id}`);
    audioOf.set(m.id, a);
  }
  const channel = new FakeChannel({ ...s.script, label: (a) => audio.get(a) ?? prompts.label(a) });
  const logger = memoryLogger();
  const calls = {
    mailbox: [] as string[],
    checkPin: [] as [string, string][],
    save: [] as [string, string][],
    delete: [] as [string, string][],
    setPin: [] as [string, string][],
  };
  const pins = s.pins ?? { "101": "1234" };
  const box = (): RetrievedMailbox | undefined => {
    if (s.box instanceof Error) throw s.box;
    if ("box" in s && s.box === undefined) return undefined;
    const messages = s.box?.messages ?? MESSAGES;
    return {
      language: "EA",
      new: messages.filter((m) => m.state === "new").length,
      saved: messages.filter((m) => m.state === "saved").length,
      textWaiting: false,
      messages,
      ...s.box,
    };
  };
  const run = () =>
    runVoicemailRetrieve(channel, {
      prompts,
      lang: "en",
      room: "101",
      keymap: "duvoice",
      operator: "100",
      timezone: TZ,
      clock: { now: () => NOW },
      digitTimeoutMs: TIMEOUT,
      maxTries: 3,
      logger,
      checkPin: async (room, pin) => {
        calls.checkPin.push([room, pin]);
        const p = pins[room];
        if (p === undefined) return "wrong";
        if (p === null) return "no-pin";
        return p === pin ? "ok" : "wrong";
      },
      mailbox: async (room) => {
        calls.mailbox.push(room);
        return box();
      },
      audio: async (_room, id) => {
        if (s.fail?.audio?.includes(id)) throw new Error(`no file for ${id}`);
        const a = audioOf.get(id);
        if (!a) throw new Error(`unknown message ${id}`);
        return a;
      },
      save: async (room, id) => {
        if (s.fail?.save) throw new Error("database is locked");
        calls.save.push([room, id]);
      },
      delete: async (room, id) => {
        if (s.fail?.delete) throw new Error("database is locked");
        calls.delete.push([room, id]);
      },
      setPin: async (room, pin) => {
        if (s.fail?.setPin) throw new Error("database is locked");
        calls.setPin.push([room, pin]);
      },
      ...s.opts,
    });
  return { channel, prompts, calls, logger, run };
}

/** The labels message `n` (1-based, of MESSAGES) plays: its envelope and its audio. */
export function heard(n: number, lang: PromptLanguage = "en", m = MESSAGES[n - 1]): string[] {
  return [...envelope(n, lang, m), `msg:${m.id}`];
}

export function envelope(n: number, lang: PromptLanguage = "en", m = MESSAGES[n - 1]): string[] {
  return envelopePrompts(lang, { index: n, receivedAt: m.receivedAt, now: NOW, timezone: TZ });
}

/** A key `delay` ms after the nth play of `label`. */
export const after = (label: string, nth: number, key: Digit, delay = 300): ScriptedKey => ({
  after: label,
  nth,
  delay,
  key,
});
