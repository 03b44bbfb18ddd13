/**
 * @module sim/snom/phone-calls
 * The calls of a simulated SNOM phone as a script plays them: the far end (a call arriving, answered
 * or hung up remotely) and the guest at the phone (answer, hang up, hold, resume, dial). SnomPhone's
 * methods of the same names (phone.ts, where their defaults are described) call these. A call named
 * by id must exist; one chosen by default must be found, else CallStateError.
 */
import { type CallBoard, CallStateError } from "./calls.ts";
import type { EndReason, SnomCall } from "./model.ts";
import type { Settings } from "./settings.ts";

/** What the script reads of the phone: the settings, and DND and the keypad lock (from them). */
export interface ScriptedPhone {
  readonly settings: Settings;
  readonly dnd: boolean;
  readonly keyboardLock: boolean;
}

export interface ScriptHooks {
  /** Any identity registered: a phone with none refuses incoming calls. */
  anyRegistered(): boolean;
  /** The far end answers an outgoing call after this long; null = only when told. */
  readonly remoteAnswerMs: number | null;
  /** Runs `fn` in `ms` unless the phone is closed first. */
  later(ms: number, fn: () => void): void;
}

export class CallScript {
  constructor(
    private readonly calls: CallBoard,
    private readonly phone: ScriptedPhone,
    private readonly hooks: ScriptHooks,
  ) {}

  incoming(from: string, name: string): SnomCall {
    const refuse: EndReason | null = this.phone.dnd ? "dnd" : this.hooks.anyRegistered() ? null : "unavailable";
    return this.calls.incoming(from, name, refuse);
  }

  remoteAnswer(id?: number): SnomCall {
    const c = this.pick(id, () => this.last("calling"));
    this.calls.remoteAnswer(c);
    return c;
  }

  remoteHangup(id?: number, opts: { cancelReason?: string; busy?: boolean } = {}): SnomCall {
    const c = this.pick(id, () => this.calls.talking() ?? this.last("ringing") ?? this.last("calling"));
    this.calls.end(c, opts.busy ? "busy" : "remote-hangup", opts.cancelReason ?? "");
    return c;
  }

  answer(id?: number): SnomCall {
    const c = this.pick(id, () => this.last("ringing"));
    this.calls.answer(c);
    return c;
  }

  hangup(id?: number): SnomCall {
    const c = this.pick(id, () => this.calls.talking() ?? this.last("calling") ?? this.last("held"));
    this.calls.end(c, "hangup");
    return c;
  }

  hold(id?: number): SnomCall {
    const c = this.pick(id, () => this.calls.talking());
    this.calls.hold(c);
    return c;
  }

  resume(id?: number): SnomCall {
    const c = this.pick(id, () => this.last("held"));
    this.calls.resume(c);
    return c;
  }

  dial(number: string, local: boolean): SnomCall | null {
    if (local && this.phone.keyboardLock && !this.emergency(number)) return null;
    const call = this.calls.dial(number);
    if (!call) return null;
    const after = this.hooks.remoteAnswerMs;
    if (after !== null) {
      this.hooks.later(after, () => {
        if (call.state === "calling") this.calls.remoteAnswer(call);
      });
    }
    return call;
  }

  private emergency(number: string): boolean {
    return (this.phone.settings.get("keyboard_lock_emergency") ?? "").split(/[\s,]+/).includes(number);
  }

  private last(state: SnomCall["state"]): SnomCall | undefined {
    const xs = this.calls.inState(state);
    return xs[xs.length - 1];
  }

  private pick(id: number | undefined, fallback: () => SnomCall | undefined): SnomCall {
    const c = id === undefined ? fallback() : this.calls.get(id);
    if (!c) throw new CallStateError(id === undefined ? "no such call in that state" : `no call ${id}`);
    return c;
  }
}
