/**
 * @module sim/snom/calls
 * The phone's calls on its lines (call appearances), as a state machine:
 *
 *   (incoming) → ringing ─answer→ talking ⇄ held      (hold / resume)
 *   (dial)     → calling ─far end answers→ talking
 *   any live state ─end→ ended                          (hang-up, rejection, transfer, release)
 *
 * At most one call talks: answering, resuming or dialling puts the talking one on hold first, as a
 * desk phone does. Action events (ours where SNOM is silent): incoming on ringing, outgoing on
 * dialling, connected when a call first talks, hold / unhold, transfer then blind_transfer or
 * attended_transfer, missed when an incoming call is lost (the far end gave up, or it was refused:
 * DND, nothing registered, no free line), disconnected whenever a call that rang or talked ends.
 * A call refused at once fires only missed. A reboot drops calls without any event.
 */
import type { ActionEvent, EndReason, LineState, SnomCall } from "./model.ts";

export interface CallHooks {
  fire(event: ActionEvent, call: SnomCall): void;
  now(): number;
  newCallId(): string;
}

const MISSED: ReadonlySet<EndReason> = new Set(["remote-hangup", "dnd", "unavailable", "no-line"]);

export class CallBoard {
  /** Every call, ended ones included, in creation order. */
  readonly all: SnomCall[] = [];
  private nextId = 1;

  constructor(
    readonly lineCount: number,
    private readonly h: CallHooks,
  ) {}

  get live(): SnomCall[] {
    return this.all.filter((c) => c.state !== "ended");
  }

  get(id: number): SnomCall | undefined {
    return this.all.find((c) => c.id === id);
  }

  inState(state: SnomCall["state"]): SnomCall[] {
    return this.live.filter((c) => c.state === state);
  }

  talking(): SnomCall | undefined {
    return this.inState("talking")[0];
  }

  lines(): { line: number; state: LineState; call: number | null }[] {
    const out: { line: number; state: LineState; call: number | null }[] = [];
    for (let line = 1; line <= this.lineCount; line++) {
      const c = this.live.find((x) => x.line === line);
      out.push({ line, state: c ? (c.state as LineState) : "idle", call: c ? c.id : null });
    }
    return out;
  }

  freeLine(): number | null {
    const used = new Set(this.live.map((c) => c.line));
    for (let line = 1; line <= this.lineCount; line++) if (!used.has(line)) return line;
    return null;
  }

  /** A call arrives; `refuse` ends it at once (it never rings). */
  incoming(remote: string, remoteName: string, refuse: EndReason | null): SnomCall {
    const line = refuse ? 0 : this.freeLine();
    const call = this.create("in", remote, remoteName, line ?? 0);
    if (refuse || line === null) {
      this.finish(call, refuse ?? "no-line");
      return call;
    }
    this.move(call, "ringing");
    this.h.fire("incoming", call);
    return call;
  }

  /** The phone dials; null when every line is taken. */
  dial(number: string): SnomCall | null {
    const line = this.freeLine();
    if (line === null) return null;
    this.holdTalking();
    const call = this.create("out", number, "", line);
    this.move(call, "calling");
    this.h.fire("outgoing", call);
    return call;
  }

  answer(call: SnomCall): void {
    this.expect(call, "ringing");
    this.holdTalking();
    this.connect(call);
  }

  remoteAnswer(call: SnomCall): void {
    this.expect(call, "calling");
    if (this.talking()) this.hold(this.talking() as SnomCall);
    this.connect(call);
  }

  hold(call: SnomCall): void {
    this.expect(call, "talking");
    this.move(call, "held");
    this.h.fire("hold", call);
  }

  resume(call: SnomCall): void {
    this.expect(call, "held");
    this.holdTalking();
    call.transferPending = false;
    this.move(call, "talking");
    this.h.fire("unhold", call);
  }

  /** TRANSFER on a talking call: it is held until a target is dialled (blindTransfer) or CANCEL. */
  startTransfer(call: SnomCall): void {
    this.hold(call);
    call.transferPending = true;
  }

  blindTransfer(call: SnomCall, target: string): void {
    if (call.state !== "talking" && call.state !== "held") this.expect(call, "held");
    call.transferredTo = target;
    this.h.fire("transfer", call);
    this.h.fire("blind_transfer", call);
    this.end(call, "transferred");
  }

  /** Connects the two parties (the talking call and a held one) and leaves both calls. */
  attendedTransfer(a: SnomCall, b: SnomCall): void {
    a.transferredTo = b.remote;
    b.transferredTo = a.remote;
    this.h.fire("transfer", a);
    this.h.fire("attended_transfer", a);
    this.end(a, "transferred");
    this.end(b, "transferred");
  }

  end(call: SnomCall, reason: EndReason, cancelReason = ""): void {
    if (call.state === "ended") throw new CallStateError(`call ${call.id} has already ended`);
    call.cancelReason = cancelReason;
    this.finish(call, reason);
  }

  /** RELEASE_ALL_CALLS; `reboot` drops them without events. */
  endAll(reason: "released" | "reboot"): void {
    for (const c of this.live) {
      if (reason === "reboot") {
        c.endReason = "reboot";
        c.endedAt = this.h.now();
        c.state = "ended";
        c.history.push("ended");
      } else this.end(c, reason);
    }
  }

  private create(direction: "in" | "out", remote: string, remoteName: string, line: number): SnomCall {
    const call: SnomCall = {
      id: this.nextId++,
      callId: this.h.newCallId(),
      line,
      direction,
      remote,
      remoteName,
      state: "ended",
      history: [],
      transferPending: false,
      dtmf: "",
      startedAt: this.h.now(),
      answeredAt: null,
      endedAt: null,
      endReason: null,
      transferredTo: null,
      cancelReason: "",
    };
    this.all.push(call);
    return call;
  }

  private finish(call: SnomCall, reason: EndReason): void {
    const rang = call.history.length > 0;
    call.transferPending = false;
    call.endReason = reason;
    call.endedAt = this.h.now();
    this.move(call, "ended");
    if (call.direction === "in" && call.answeredAt === null && MISSED.has(reason)) this.h.fire("missed", call);
    if (rang) this.h.fire("disconnected", call);
  }

  private connect(call: SnomCall): void {
    call.answeredAt = this.h.now();
    this.move(call, "talking");
    this.h.fire("connected", call);
  }

  private holdTalking(): void {
    const t = this.talking();
    if (t) this.hold(t);
  }

  private move(call: SnomCall, state: SnomCall["state"]): void {
    call.state = state;
    call.history.push(state);
  }

  private expect(call: SnomCall, state: SnomCall["state"]): void {
    if (call.state !== state) throw new CallStateError(`call ${call.id} is ${call.state}, not ${state}`);
  }
}

/** An action that does not fit the call's state (scripted API misuse; keys just do nothing). */
export class CallStateError extends Error {}
