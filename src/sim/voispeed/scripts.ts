/**
 * @module sim/voispeed/scripts
 * Scripted calls: how the far side behaves (answers, is busy, rejects, does not answer) and who hangs
 * up. A call that ends within its script takes report time from it (ring 4 s and talk 30 s by
 * default) without waiting; a call left up (`hangupBy: null`) is answered at the real `now()`, so the
 * steps a test or installer makes later line up with it.
 */
import type { CallEngine, CallState, Party, Side, SimCall } from "./calls.ts";
import { OUTCOME } from "./model.ts";

/** true: answered; false: not answered; or how the far side refuses. */
export type Answer = boolean | "busy" | "reject" | "no-answer" | "unavailable";

export interface CallScript {
  /** Default true. */
  answer?: Answer;
  /** Who hangs up after talking (default "caller"); null leaves the call up. */
  hangupBy?: Side | null;
  ringSeconds?: number;
  talkSeconds?: number;
  /** Carried in every event of the call. */
  extid?: string;
  /** For a ring group: the member's extension that picks up (default the first member). */
  answeredBy?: string;
}

/** For call_request_ext: each leg's answer (default both answer), then who hangs up (default the called side). */
export interface ExtCallScript {
  calling?: Answer;
  called?: Answer;
  hangupBy?: Side | null;
  ringSeconds?: number;
  talkSeconds?: number;
}

export interface ScriptHost {
  calls: CallEngine;
  now(): number;
  /** A call just answered by an IVR runs its root node. */
  enterIvr(call: SimCall): Promise<void>;
}

export const CALLED_REFUSAL = {
  busy: OUTCOME.busy,
  reject: OUTCOME.rejected,
  "no-answer": OUTCOME.noAnswer,
  unavailable: OUTCOME.unavailable,
} as const;

export const CALLING_REFUSAL = {
  busy: OUTCOME.callingBusy,
  reject: OUTCOME.rejectedByCalling,
  "no-answer": OUTCOME.callingNoAnswer,
  unavailable: OUTCOME.callingUnavailable,
} as const;

const refusal = (a: Exclude<Answer, true>) => (a === false ? "no-answer" : a);

export async function playCall(host: ScriptHost, from: Party, to: Party, script: CallScript = {}): Promise<SimCall> {
  const at0 = host.now();
  const call = host.calls.start(from, to, { at: at0, extid: script.extid });
  await playCalledSide(host, call, script, at0);
  return call;
}

export async function playTwoLeg(
  host: ScriptHost,
  calling: Party,
  called: Party,
  script: ExtCallScript,
  opts: { extid: string; autoAnswer: number },
): Promise<SimCall> {
  const at0 = host.now();
  const ring = (script.ringSeconds ?? 4) * 1000;
  const call = host.calls.startTwoLeg(calling, called, { at: at0, extid: opts.extid, autoAnswer: opts.autoAnswer });
  if (call.state === "ended") return call;
  // auto_answer=1: the calling user's phone picks up by itself (T13).
  const leg1 = opts.autoAnswer === 1 && calling.user ? true : (script.calling ?? true);
  const up = script.hangupBy === null;
  if (leg1 !== true) {
    host.calls.refuseLeg1(call, CALLING_REFUSAL[refusal(leg1)], up ? host.now() : at0 + ring);
    return call;
  }
  host.calls.answerLeg1(call, up ? host.now() : at0 + ring);
  if (call.state !== "ringing") return call;
  await playCalledSide(
    host,
    call,
    {
      answer: script.called,
      hangupBy: script.hangupBy === undefined ? "called" : script.hangupBy,
      talkSeconds: script.talkSeconds,
      ringSeconds: script.ringSeconds,
    },
    up ? host.now() : at0 + ring,
  );
  return call;
}

async function playCalledSide(host: ScriptHost, call: SimCall, script: CallScript, at0: number): Promise<void> {
  if (call.state !== "ringing") return; // refused on the way (DND, away, a blocked caller)
  const up = script.hangupBy === null;
  const ring = (script.ringSeconds ?? 4) * 1000;
  const talk = (script.talkSeconds ?? 30) * 1000;
  const answer = script.answer ?? true;
  if (answer !== true) {
    host.calls.refuse(call, CALLED_REFUSAL[refusal(answer)], up ? host.now() : at0 + ring);
    return;
  }
  const member = script.answeredBy ? host.calls.resolve(script.answeredBy) : undefined;
  host.calls.answer(call, up ? host.now() : at0 + ring, member);
  await host.enterIvr(call);
  // The IVR may have ended or transferred it meanwhile.
  if (stateOf(call) === "active" && !up) host.calls.hangup(call, script.hangupBy ?? "caller", at0 + ring + talk);
}

/** Read through a function: TypeScript keeps a narrowed state across the awaits that change it. */
const stateOf = (call: SimCall): CallState => call.state;
