/**
 * @module sip/transaction/transaction
 * What the four state machines share: the state, named timers on the injected clock, sending with
 * transport errors fed back as an input, TU callbacks that cannot throw into the machine, and
 * termination (timers cleared, removed from the layer's table, `onTerminated`), which happens once.
 *
 * Each machine is `spin(input)` dispatching on the state to one handler method per state, with the
 * inputs a discriminated union (sipgo's `fsmState` + `client_input_*`).
 */
import type { Clock, TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { LogBudget } from "../../lib/log-budget.ts";
import type { Logger } from "../../lib/logger.ts";
import type { SipMessage } from "../message/message.ts";
import { forTransport, type TransactionTimers } from "./timers.ts";
import { isReliable, type SendFn, type Target } from "./types.ts";

/** What the layer hands each transaction. */
export interface TransactionContext {
  send: SendFn;
  clock: Clock;
  timers: TransactionTimers;
  log: Logger;
  /**
   * For what a peer can make happen once per transaction (a timeout, a send that fails, a missing
   * ACK): logged per kind within the budget, since a flood means one per request.
   */
  budget: LogBudget;
  /** Called once, when the transaction terminates: the layer drops it from its table. */
  remove: (key: string) => void;
}

export type TimerName = "a" | "b" | "d" | "e" | "f" | "g" | "h" | "i" | "j" | "k" | "l" | "m" | "trying";

/** Inputs every machine knows. */
export type CommonInput = { kind: "transport_error"; error: Error } | { kind: "kill" };

export abstract class Transaction<S extends string, I extends { kind: string }> {
  /** The timers for this transaction's transport (D, I, J, K are 0 on TCP/TLS). */
  protected readonly timers: TransactionTimers;
  protected readonly reliable: boolean;
  protected readonly log: Logger;
  protected readonly budget: LogBudget;
  private readonly handles = new Map<TimerName, TimerHandle>();
  protected current: S;

  /** The send failed (§17.1.4, §17.2.4); the transaction is terminated right after. */
  onTransportError?: (error: Error) => void;
  /** The transaction ended, whatever the reason; it is no longer in the layer's table. */
  onTerminated?: () => void;

  protected constructor(
    readonly key: string,
    /** Where this transaction's messages go: the request's destination, or (server) its source. */
    readonly target: Target,
    initial: S,
    protected readonly ctx: TransactionContext,
  ) {
    this.current = initial;
    this.reliable = isReliable(target);
    this.timers = forTransport(ctx.timers, this.reliable);
    this.log = ctx.log;
    this.budget = ctx.budget;
  }

  get state(): S {
    return this.current;
  }

  get terminated(): boolean {
    return this.current === "terminated";
  }

  /** Feeds one input to the state machine. */
  protected abstract spin(input: I | CommonInput): void;

  /** Handles the inputs every state treats alike; true when it did. */
  protected common(input: I | CommonInput): boolean {
    if (input.kind === "transport_error") {
      const { error } = input as { error: Error };
      this.budget.info("sip-tx-transport-error", "sip transaction: transport error", {
        tx: this.key,
        state: this.current,
        error: error.message,
      });
      this.emit("onTransportError", this.onTransportError, error);
      this.terminate();
      return true;
    }
    if (input.kind === "kill") {
      this.terminate();
      return true;
    }
    return false;
  }

  protected setTimer(name: TimerName, ms: number, input: I): void {
    this.clearTimer(name);
    this.handles.set(
      name,
      this.ctx.clock.setTimeout(() => {
        this.handles.delete(name);
        if (!this.terminated) this.spin(input);
      }, ms),
    );
  }

  protected clearTimer(name: TimerName): void {
    const h = this.handles.get(name);
    if (h) {
      this.ctx.clock.clearTimeout(h);
      this.handles.delete(name);
    }
  }

  /**
   * Sends `msg` to the target. A rejection (or a synchronous throw) becomes a `transport_error`
   * input; the returned promise rejects too, for a caller that awaits it.
   */
  protected transmit(msg: SipMessage): Promise<void> {
    let p: Promise<void>;
    try {
      p = Promise.resolve(this.ctx.send(msg, this.target));
    } catch (err) {
      p = Promise.reject(err);
    }
    p.catch((err: unknown) => {
      if (!this.terminated) this.spin({ kind: "transport_error", error: toError(err) });
    });
    return p;
  }

  /** Ends the transaction: timers off, out of the table, `onTerminated`. Idempotent. */
  protected terminate(): void {
    if (this.terminated) return;
    for (const h of this.handles.values()) this.ctx.clock.clearTimeout(h);
    this.handles.clear();
    this.current = "terminated" as S;
    this.ctx.remove(this.key);
    this.emit("onTerminated", this.onTerminated);
  }

  /** Enters a state that ends after `ms` (Timers D, I, J, K, L, M): at once when it is 0. */
  protected lingerThenTerminate(name: TimerName, ms: number, input: I): void {
    if (ms <= 0) this.terminate();
    else this.setTimer(name, ms, input);
  }

  /** Calls a TU callback; an exception is logged and never reaches the state machine. */
  protected emit<A extends unknown[]>(name: string, fn: ((...args: A) => void) | undefined, ...args: A): void {
    if (!fn) return;
    try {
      fn(...args);
    } catch (err) {
      this.budget.error(`sip-tx-${name}-threw`, "sip transaction: callback threw", {
        tx: this.key,
        callback: name,
        error: errorMessage(err),
      });
    }
  }

  /** Terminates at once without telling the TU anything but `onTerminated` (cleanup, tests). */
  kill(): void {
    if (!this.terminated) this.spin({ kind: "kill" });
  }
}

export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
