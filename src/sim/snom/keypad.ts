/**
 * @module sim/snom/keypad
 * What a key does, on the phone as the simulator models it (ours: SNOM documents the key names, not
 * their effect in each state; this follows how a SNOM desk phone behaves for a user):
 *
 * | key | effect |
 * |---|---|
 * | OFFHOOK, SPEAKER, HEADSET | answer the ringing call; else go off hook (dial mode). OFFHOOK fires offhook |
 * | ONHOOK | hang up the talking or calling call; back on hook (fires onhook) |
 * | CANCEL | reject the ringing call; else cancel a transfer; else hang up; else clear digits; else close the screen |
 * | DISCONNECT | hang up the talking or calling call |
 * | ENTER | answer the ringing call; else transfer to / dial the digits typed |
 * | 0–9 * # | DTMF on the talking call; else typed into the dial buffer |
 * | REDIAL, F_REDIAL | dial the last number dialled |
 * | F_HOLD, F_R | hold the talking call; else resume the last held one |
 * | TRANSFER, F_TRANSFER | with a held call: attended transfer; on a talking call: start a transfer (held until a target); with digits: blind transfer |
 * | DND, F_DND | toggle DND (dnd_mode) |
 * | F1–F4 | the minibrowser screen's softkey of that name, else by position |
 * | P<n> | line n: answer it if ringing, resume it if held |
 *
 * Other known keys are accepted and change nothing modelled.
 */
import type { CallBoard } from "./calls.ts";
import { DIGIT_KEYS } from "./keys.ts";
import type { Minibrowser } from "./minibrowser.ts";
import type { SnomCall } from "./model.ts";

/** What the keypad needs of the phone. */
export interface KeypadPhone {
  readonly calls: CallBoard;
  readonly browser: Minibrowser;
  hook: "on" | "off";
  dialBuffer: string;
  readonly lastDialed: string | null;
  dial(number: string): SnomCall | null;
  setDnd(on: boolean): void;
  readonly dnd: boolean;
  hookEvent(event: "offhook" | "onhook"): void;
}

const last = <T>(xs: T[]): T | undefined => xs[xs.length - 1];

function pending(p: KeypadPhone): SnomCall | undefined {
  return p.calls.live.find((c) => c.transferPending);
}

function activeCall(p: KeypadPhone): SnomCall | undefined {
  return p.calls.talking() ?? last(p.calls.inState("calling"));
}

function goOffHook(p: KeypadPhone): void {
  if (p.hook === "off") return;
  p.hook = "off";
  p.hookEvent("offhook");
}

function dialed(p: KeypadPhone, number: string): string {
  const call = p.dial(number);
  return call ? `dialled ${number}: call ${call.id} calling` : `cannot dial ${number}: no free line`;
}

/** Applies one key; returns what it did, in words. */
export function pressKey(p: KeypadPhone, key: string): string {
  const calls = p.calls;
  const ringing = last(calls.inState("ringing"));
  if (DIGIT_KEYS.has(key)) {
    const t = calls.talking();
    if (t) {
      t.dtmf += key;
      return `DTMF ${key} on call ${t.id}`;
    }
    p.dialBuffer += key;
    return `typed ${key} (${p.dialBuffer})`;
  }
  switch (key) {
    case "OFFHOOK":
    case "SPEAKER":
    case "HEADSET": {
      if (key === "OFFHOOK") goOffHook(p);
      if (ringing) {
        calls.answer(ringing);
        return `answered call ${ringing.id}`;
      }
      if (key !== "OFFHOOK") p.hook = "off";
      return "off hook";
    }
    case "ONHOOK": {
      const a = activeCall(p);
      p.dialBuffer = "";
      if (a) calls.end(a, "hangup");
      if (p.hook === "off") {
        p.hook = "on";
        p.hookEvent("onhook");
      }
      return a ? `hung up call ${a.id}` : "on hook";
    }
    case "CANCEL": {
      if (ringing) {
        calls.end(ringing, "rejected");
        return `rejected call ${ringing.id}`;
      }
      const tp = pending(p);
      if (tp && !calls.talking()) {
        p.dialBuffer = "";
        calls.resume(tp);
        return `transfer cancelled: call ${tp.id} talking`;
      }
      const a = activeCall(p);
      if (a) {
        calls.end(a, "hangup");
        return `hung up call ${a.id}`;
      }
      if (p.dialBuffer) {
        p.dialBuffer = "";
        return "digits cleared";
      }
      if (p.browser.screen) {
        p.browser.exit();
        return "screen closed";
      }
      return "nothing to cancel";
    }
    case "DISCONNECT": {
      const a = activeCall(p);
      if (!a) return "no call to disconnect";
      calls.end(a, "hangup");
      return `hung up call ${a.id}`;
    }
    case "ENTER": {
      if (ringing) {
        calls.answer(ringing);
        return `answered call ${ringing.id}`;
      }
      return sendDigits(p) ?? "nothing to send";
    }
    case "REDIAL":
    case "F_REDIAL":
      return p.lastDialed ? dialed(p, p.lastDialed) : "nothing to redial";
    case "F_HOLD":
    case "F_R": {
      const t = calls.talking();
      if (t) {
        calls.hold(t);
        return `call ${t.id} held`;
      }
      const h = last(calls.inState("held"));
      if (!h) return "no call to hold or resume";
      calls.resume(h);
      return `call ${h.id} resumed`;
    }
    case "TRANSFER":
    case "F_TRANSFER":
      return transferKey(p);
    case "DND":
    case "F_DND":
      p.setDnd(!p.dnd);
      return `DND ${p.dnd ? "on" : "off"}`;
    case "F1":
    case "F2":
    case "F3":
    case "F4": {
      const keys = p.browser.screen?.softkeys ?? [];
      const idx = keys.findIndex((k) => k.name === key);
      const which = idx >= 0 ? idx : Number(key[1]) - 1;
      if (!keys[which]) return "no softkey on the screen";
      void p.browser.pressSoftKey(which).catch(() => undefined);
      return `softkey ${keys[which].label} → ${keys[which].url}`;
    }
  }
  const line = /^P(\d+)$/.exec(key);
  if (line) {
    const c = calls.live.find((x) => x.line === Number(line[1]));
    if (c?.state === "ringing") {
      calls.answer(c);
      return `answered call ${c.id}`;
    }
    if (c?.state === "held") {
      calls.resume(c);
      return `call ${c.id} resumed`;
    }
  }
  return "no modelled effect";
}

/** ENTER or TRANSFER with typed digits: a pending transfer goes there, else they are dialled. */
function sendDigits(p: KeypadPhone): string | null {
  const digits = p.dialBuffer;
  if (!digits) return null;
  p.dialBuffer = "";
  const tp = pending(p);
  if (tp) {
    p.calls.blindTransfer(tp, digits);
    return `call ${tp.id} transferred to ${digits}`;
  }
  return dialed(p, digits);
}

function transferKey(p: KeypadPhone): string {
  const calls = p.calls;
  const t = calls.talking();
  const held = last(calls.inState("held").filter((c) => !c.transferPending));
  if (t && held) {
    calls.attendedTransfer(t, held);
    return `calls ${t.id} and ${held.id} connected (attended transfer)`;
  }
  if (t) {
    calls.startTransfer(t);
    return `transfer of call ${t.id} started: dial the target`;
  }
  if (pending(p) && p.dialBuffer) return sendDigits(p) as string;
  return "no call to transfer";
}
