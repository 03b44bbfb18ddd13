/**
 * @module inbound/voicemail-calls
 * A port's call that is voicemail: which mailbox it is for (voicemail/mailbox-from.ts), the deposit
 * and retrieval flows (ivr/voicemail-*.ts) run over the store-backed services, and the pre-answer
 * decision that sends a deposit for a vacant room to the operator with a 302 before anything is
 * answered (a guest who checked out must not look reachable).
 */
import type { IvrConfig, VoicemailConfig } from "../config/schema.ts";
import { runVoicemailDeposit, type VoicemailDepositResult } from "../ivr/voicemail-deposit.ts";
import { runVoicemailRetrieve, type VoicemailRetrieveSummary } from "../ivr/voicemail-retrieve.ts";
import { AppError } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import type { ServiceContext } from "../services/context.ts";
import { roomForExtension, roomOccupied, roomPromptLanguage } from "../services/ivr.ts";
import {
  checkPin,
  deleteMessage,
  finishDeposit,
  mailboxOf,
  messageAudio,
  openDeposit,
  saveMessage,
  setPin,
} from "../services/voicemail.ts";
import type { InboundParties } from "../sip/ua/inbound-info.ts";
import type { CallChannel } from "../voice/channel.ts";
import { DEFAULT_PROMPT_LANGUAGE, type PromptLanguage, type PromptSource } from "../voice/prompts.ts";
import { beep, readMessageUlaw, recoverRecording } from "../voice/recorder.ts";
import { type CallPurpose, classifyCall } from "../voicemail/mailbox-from.ts";

/** What a port's call is for, as voicemail sees it. */
export async function voicemailPurpose(
  ctx: ServiceContext,
  info: InboundParties,
  port: string | undefined,
): Promise<CallPurpose> {
  if (!ctx.voicemail.enabled) return { kind: "none" };
  return classifyCall(info, ctx.voicemail, {
    isRoomExtension: async (ext) => (await roomForExtension(ctx, ext)) !== undefined,
    portExtension: port,
  });
}

/** The room a deposit is for (undefined: forwarded from something that is not a room) and whether a guest is in it. */
async function depositRoom(
  ctx: ServiceContext,
  extension: string | null,
): Promise<{ room?: string; occupied: boolean }> {
  const room = extension ? await roomForExtension(ctx, extension) : undefined;
  return { room, occupied: room ? await roomOccupied(ctx, room) : false };
}

/**
 * Before answering: a deposit nobody can receive (a vacant room, a forward from something that is not
 * a room) goes to the operator with a 302 when there is one; everything else is answered.
 */
export async function decideVoicemailCall(
  ctx: ServiceContext,
  info: InboundParties,
  port: string | undefined,
): Promise<{ action: "answer" } | { action: "redirect"; target: string }> {
  const operator = ctx.voicemail.operator;
  if (!operator) return { action: "answer" };
  const purpose = await voicemailPurpose(ctx, info, port);
  if (purpose.kind !== "deposit") return { action: "answer" };
  const { occupied } = await depositRoom(ctx, purpose.extension);
  return occupied ? { action: "answer" } : { action: "redirect", target: operator };
}

export interface VoicemailCallDeps {
  channel: CallChannel;
  prompts: PromptSource;
  ivr: IvrConfig;
  logger: Logger;
}

/** A message left for the room the call was forwarded from. Never rejects. */
export async function depositCall(
  ctx: ServiceContext,
  deps: VoicemailCallDeps,
  purpose: Extract<CallPurpose, { kind: "deposit" }>,
  caller: string | undefined,
): Promise<{ room?: string; lang: PromptLanguage; flow: VoicemailDepositResult }> {
  const vm: VoicemailConfig = ctx.voicemail;
  const { room } = await depositRoom(ctx, purpose.extension);
  const lang = room ? await roomPromptLanguage(ctx, room) : DEFAULT_PROMPT_LANGUAGE;
  let messageId: string | undefined;
  let path = "";
  const log = deps.logger.child({ room: room ?? null, source: purpose.source });
  const flow = await runVoicemailDeposit(deps.channel, {
    prompts: deps.prompts,
    lang,
    room: room ?? purpose.extension ?? "",
    announceRoom: vm.announceRoom,
    operator: vm.operator,
    beep: beep(),
    maxMs: vm.maxSeconds * 1000,
    silenceMs: vm.silenceSeconds * 1000,
    logger: log,
    async open() {
      if (!room) return "vacant";
      const opened = await openDeposit(ctx, room, { caller: caller ?? "" });
      if (!opened.ok) return opened.reason;
      messageId = opened.messageId;
      path = opened.path;
      return { path };
    },
    async finish(result) {
      if (!messageId) return "discarded";
      // A recording that failed half-way is what a crash leaves: measure what reached the disk.
      const facts = result ?? recoverRecording(path) ?? { durationMs: 0, soundMs: 0, codec: "PCMU" as const };
      const r = await finishDeposit(ctx, messageId, facts);
      return r.kept ? "kept" : "discarded";
    },
    async cancel() {
      if (messageId) await finishDeposit(ctx, messageId, { durationMs: 0, soundMs: 0, codec: "PCMU" });
    },
  });
  return { room, lang, flow };
}

/** A guest listening: auto-login from the room's own phone, else room number and PIN. Never rejects. */
export async function retrieveCall(
  ctx: ServiceContext,
  deps: VoicemailCallDeps,
  caller: string | undefined,
): Promise<{ room?: string; lang: PromptLanguage; flow: VoicemailRetrieveSummary }> {
  const vm = ctx.voicemail;
  const callerRoom = caller ? await roomForExtension(ctx, caller) : undefined;
  const auto = vm.autoLogin && callerRoom !== undefined && (await roomOccupied(ctx, callerRoom));
  const lang = callerRoom ? await roomPromptLanguage(ctx, callerRoom) : DEFAULT_PROMPT_LANGUAGE;
  const flow = await runVoicemailRetrieve(deps.channel, {
    prompts: deps.prompts,
    lang,
    room: auto ? callerRoom : undefined,
    keymap: vm.keymap,
    operator: vm.operator,
    timezone: ctx.timezone,
    clock: ctx.clock,
    digitTimeoutMs: deps.ivr.digitTimeoutSeconds * 1000,
    maxTries: deps.ivr.maxTries,
    logger: deps.logger.child({ room: auto ? callerRoom : null }),
    checkPin: (room, pin) => checkPin(ctx, room, pin),
    async mailbox(room) {
      if (!(await roomOccupied(ctx, room))) return undefined;
      try {
        return await mailboxOf(ctx, room);
      } catch (err) {
        if (err instanceof AppError && err.code === "NOT_FOUND") return undefined;
        throw err;
      }
    },
    async audio(room, id) {
      return readMessageUlaw((await messageAudio(ctx, room, id)).path);
    },
    save: (room, id) => saveMessage(ctx, room, id),
    delete: (room, id) => deleteMessage(ctx, room, id),
    setPin: (room, pin) => setPin(ctx, room, pin),
  });
  return { room: flow.room, lang, flow };
}
