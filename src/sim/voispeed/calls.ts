/**
 * @module sim/voispeed/calls
 * Calls as the PBX sees them: each step emits its extended events (PBX point of view: call_in is
 * entity → PBX, call_out PBX → entity) and the user events of the users involved, in one fixed
 * order, and an ended call becomes report rows (reports.ts). Times are passed in, so a scripted
 * call can span minutes of report time without waiting for them.
 *
 * Decisions where the seed is silent (documented in the README paragraph):
 * - user events carry `number` (the far end), `call_id` (the communication, what call_action takes),
 *   `usercallid` (the user's entity_call_id = local_id), `datetime`, `extid` when set and `duration`
 *   (talk seconds) on 16/17. Extended events carry `call_id`, `datetime` and `extid` besides their own.
 * - an unanswered call: the caller gets 15 call_rejected ("ended without talking"); the called user
 *   gets 15 when it rejected, else 12 lost_call (no answer, busy, DND, absent).
 * - DND (mode 2) and away (mode 3) users are not rung: outcome 7 / 8. A user in away mode cannot call
 *   out (the GUI's "blocks outgoing calls"): call_in, then the PBX ends it, outcome 0.
 * - divert mode (4) is one level: call_divert, then the target is rung instead.
 * - call_progress carries `code=180` (T14's codes are the only candidates the seed offers).
 */
import { OUTCOME, SimFailure, type SimUser } from "./model.ts";
import type { SsnEventName, UserEventName } from "./notify.ts";
import { Parties, type Party } from "./parties.ts";
import type { VoispeedSimState } from "./state.ts";

export type { Party } from "./parties.ts";

/** leg1: call_request_ext is ringing its `calling` entity; ringing: the called side rings. */
export type CallState = "leg1" | "ringing" | "active" | "ended";

export interface SimCall {
  callId: number;
  extid: string;
  /** Made by call_request_ext: the PBX called `calling` first, then `called`. */
  twoLeg: boolean;
  /** As dialled (the report's calling_* and called_*). */
  calling: Party;
  called: Party;
  /** The parties now on each side: `b` is the one ringing or connected (a group member, a divert target). */
  a: Party;
  b: Party;
  state: CallState;
  startAt: number;
  answerAt: number | null;
  endAt: number | null;
  outcome: number;
  holdMs: number;
  heldAt: number | null;
  recording: boolean;
  autoAnswer: number;
  /** The communication a transfer brought this call's party from (call_ref_id). */
  callRef: number | "";
}

/** Where the engine's effects go: the simulator formats and delivers them. */
export interface CallSink {
  user(u: SimUser, name: UserEventName, params: Record<string, string>, at: number): void;
  ssn(name: SsnEventName, params: Record<string, string>, at: number): void;
  time(ms: number): string;
  finished(call: SimCall): void;
}

export type Side = "caller" | "called";

const coords = (p: Party, prefix: string) => ({ [`${prefix}_id`]: String(p.id), [`${prefix}_type`]: String(p.type) });

export class CallEngine {
  readonly current = new Map<number, SimCall>();
  /** Every call by id, ended ones too. */
  readonly all = new Map<number, SimCall>();
  private nextCallId = 10700;
  private readonly parties: Parties;

  constructor(
    private readonly state: VoispeedSimState,
    private readonly sink: CallSink,
  ) {
    this.parties = new Parties(state);
  }

  /** The entity a dialled number reaches (parties.ts). */
  resolve(number: string): Party {
    return this.parties.resolve(number);
  }

  /** Coordinates given by a client (call_request_ext, transfers). */
  party(type: number, id: number, number: string): Party {
    return this.parties.byCoords(type, id, number);
  }

  /** A communication id (also for IVR sessions that have no call of their own). */
  newCallId(): number {
    return ++this.nextCallId;
  }

  get(callId: number): SimCall | undefined {
    return this.all.get(callId);
  }

  /** A call from `from` to `to`: call_in, outgoing_call, then the called side rings (or refuses at once). */
  start(from: Party, to: Party, opts: { at: number; extid?: string }): SimCall {
    const call = this.newCall(from, to, false, opts);
    this.ssn(call, "call_in", { calling: from.number, called: to.number, ...coords(from, "calling") }, opts.at);
    this.user(call, from, "outgoing_call", opts.at);
    if (from.user?.mode === 3) {
      // Away blocks outgoing calls: the PBX drops the attempt.
      this.ssn(call, "disconnect_out", coords(from, "recipient"), opts.at);
      this.user(call, from, "call_rejected", opts.at);
      this.finish(call, OUTCOME.unknown, opts.at);
      return call;
    }
    this.ring(call, opts.at);
    return call;
  }

  /** call_request_ext: the PBX first calls `calling` (from `called`'s number). */
  startTwoLeg(calling: Party, called: Party, opts: { at: number; extid?: string; autoAnswer?: number }): SimCall {
    const call = this.newCall(calling, called, true, opts);
    call.autoAnswer = opts.autoAnswer ?? 0;
    call.state = "leg1";
    const at = opts.at;
    this.ssn(call, "call_out", { ...coords(calling, "called"), calling: called.number, called: calling.number }, at);
    this.user(call, calling, "incoming_call", at);
    const mode = calling.user?.mode;
    if (mode === 2 || mode === 3) {
      this.refuseLeg1(call, mode === 2 ? OUTCOME.callingBusy : OUTCOME.callingUnavailable, at);
      return call;
    }
    this.ssn(call, "call_progress", { ...coords(calling, "sender"), code: "180" }, at);
    return call;
  }

  /** The calling entity of a two-leg call answered: now the called one is rung. */
  answerLeg1(call: SimCall, at: number): void {
    this.expect(call, "leg1");
    this.ssn(call, "call_response", { ...coords(call.a, "sender"), outcome: String(OUTCOME.ok) }, at);
    this.ring(call, at);
  }

  /** The calling entity of a two-leg call did not take it (outcome 9, 10, 11, 12 or 13). */
  refuseLeg1(call: SimCall, outcome: number, at: number): void {
    this.expect(call, "leg1");
    this.ssn(call, "call_response", { ...coords(call.a, "sender"), outcome: String(outcome) }, at);
    this.user(call, call.a, outcome === OUTCOME.rejectedByCalling ? "call_rejected" : "lost_call", at);
    this.finish(call, outcome, at);
  }

  /** The ringing side answers; for a group, `member` (default the first member) picks up. */
  answer(call: SimCall, at: number, member?: Party): void {
    this.expect(call, "ringing");
    const sender = call.b;
    if (call.b.members) {
      const first = this.state.users.find((u) => u.id === call.b.members?.[0]);
      const picked = member ?? (first ? this.parties.user(first) : undefined);
      if (picked) call.b = picked;
    }
    call.state = "active";
    call.answerAt = at;
    this.ssn(
      call,
      "call_response",
      {
        ...coords(sender, "sender"),
        outcome: String(OUTCOME.ok),
        ...coords(call.calling, "calling"),
        calling_number: call.calling.number,
        ...coords(call.called, "called"),
        called_number: call.called.number,
        ...coords(call.b, "connected"),
        connected_number: call.b.number,
      },
      at,
    );
    this.user(call, call.a, "call_answered", at);
    this.user(call, call.b, "call_answered", at);
  }

  /** The ringing side does not take the call (T8 outcome). */
  refuse(call: SimCall, outcome: number, at: number): void {
    this.expect(call, "ringing");
    this.ssn(call, "call_response", { ...coords(call.b, "sender"), outcome: String(outcome) }, at);
    this.ssn(call, "disconnect_out", coords(call.a, "recipient"), at);
    this.user(call, call.a, "call_rejected", at);
    this.userSide(call, call.b, outcome === OUTCOME.rejected ? "call_rejected" : "lost_call", at);
    this.finish(call, outcome, at);
  }

  /** One side hangs up: after talking, or the caller gives up while it rings (outcome 5). */
  hangup(call: SimCall, by: Side, at: number): void {
    if (call.state === "leg1") {
      this.refuseLeg1(call, OUTCOME.callingNoAnswer, at);
      return;
    }
    if (call.state === "ringing") {
      this.ssn(call, "disconnect_in", coords(call.a, "sender"), at);
      this.ssn(call, "disconnect_out", coords(call.b, "recipient"), at);
      this.user(call, call.a, "call_rejected", at);
      this.userSide(call, call.b, "lost_call", at);
      this.finish(call, OUTCOME.noAnswer, at);
      return;
    }
    this.expect(call, "active");
    this.retrieve(call, at, false);
    const [hanger, other] = by === "caller" ? [call.a, call.b] : [call.b, call.a];
    this.ssn(call, "disconnect_in", coords(hanger, "sender"), at);
    this.ssn(call, "disconnect_out", coords(other, "recipient"), at);
    const duration = { duration: String(talkSeconds(call, at)) };
    this.user(call, hanger, "call_disconnect_out", at, duration);
    this.user(call, other, "call_disconnect_in", at, duration);
    this.finish(call, OUTCOME.ok, at);
  }

  /** call_terminate: the PBX ends the communication on both sides. */
  terminate(call: SimCall, at: number): void {
    if (call.state === "active") {
      this.retrieve(call, at, false);
      this.ssn(call, "disconnect_out", coords(call.a, "recipient"), at);
      this.ssn(call, "disconnect_out", coords(call.b, "recipient"), at);
      const duration = { duration: String(talkSeconds(call, at)) };
      this.user(call, call.a, "call_disconnect_in", at, duration);
      this.user(call, call.b, "call_disconnect_in", at, duration);
      this.finish(call, OUTCOME.ok, at);
      return;
    }
    this.ssn(call, "disconnect_out", coords(call.a, "recipient"), at);
    if (call.state === "ringing") this.ssn(call, "disconnect_out", coords(call.b, "recipient"), at);
    this.user(call, call.a, call.state === "leg1" ? "lost_call" : "call_rejected", at);
    if (call.state === "ringing") this.userSide(call, call.b, "lost_call", at);
    this.finish(call, OUTCOME.unknown, at);
  }

  hold(call: SimCall, at: number): void {
    this.expect(call, "active");
    if (call.heldAt !== null) throw new SimFailure("call already on hold");
    const u = call.a.user ?? call.b.user;
    if (!u) throw new SimFailure("no user in the call");
    call.heldAt = at;
    this.ssn(call, "call_held", { user_id: String(u.id) }, at);
  }

  retrieve(call: SimCall, at: number, strict = true): void {
    if (call.heldAt === null) {
      if (strict) throw new SimFailure("call not on hold");
      return;
    }
    const u = call.a.user ?? call.b.user;
    call.holdMs += at - call.heldAt;
    call.heldAt = null;
    this.ssn(call, "call_retrieved", { user_id: String(u?.id ?? "") }, at);
  }

  /** The called side is replaced by `target`, which then rings (call_action divert, call_divert_ext). */
  divert(call: SimCall, target: Party, at: number): void {
    if (call.state !== "ringing" && call.state !== "active") throw new SimFailure("connection not found");
    const from = call.b;
    this.ssn(call, "call_divert", { ...coords(from, "sender"), ...coords(target, "recipient") }, at);
    if (call.state === "active") {
      this.retrieve(call, at, false);
      this.ssn(call, "disconnect_out", coords(from, "recipient"), at);
      this.user(call, from, "call_disconnect_out", at, { duration: String(talkSeconds(call, at)) });
      call.answerAt = null;
    }
    call.b = target;
    call.state = "ringing";
    this.ssn(call, "call_out", { ...coords(target, "called"), calling: call.a.number, called: target.number }, at);
    this.userSide(call, target, "incoming_call", at);
    this.ssn(call, "call_progress", { ...coords(target, "sender"), code: "180" }, at);
  }

  /**
   * call_transfer_ext: `replaced` (a party of `com1`) leaves, `recipient` (a party of `com2`) takes its
   * place, and com2 ends.
   */
  transfer(com1: SimCall, replaced: "a" | "b", com2: SimCall, recipient: "a" | "b", at: number): void {
    this.expect(com1, "active");
    this.expect(com2, "active");
    const out = com1[replaced];
    const incoming = com2[recipient];
    const left = com2[recipient === "a" ? "b" : "a"];
    this.ssn(
      com1,
      "call_transfer",
      { ...coords(out, "sender"), ...coords(incoming, "recipient"), refer_id: String(com2.callId) },
      at,
    );
    this.ssn(com1, "disconnect_out", coords(out, "recipient"), at);
    this.user(com1, out, "call_disconnect_in", at, { duration: String(talkSeconds(com1, at)) });
    com1[replaced] = incoming;
    com1.callRef = com2.callId;
    this.ssn(com2, "disconnect_out", coords(left, "recipient"), at);
    this.user(com2, left, "call_disconnect_in", at, { duration: String(talkSeconds(com2, at)) });
    this.finish(com2, OUTCOME.ok, at);
  }

  private ring(call: SimCall, at: number): void {
    call.state = "ringing";
    let to = call.b;
    const mode = to.user?.mode;
    if (mode === 4 && to.user?.divertTo) {
      const target = this.resolve(to.user.divertTo);
      this.ssn(call, "call_divert", { ...coords(to, "sender"), ...coords(target, "recipient") }, at);
      call.b = to = target;
    }
    this.ssn(call, "call_out", { ...coords(to, "called"), calling: call.a.number, called: to.number }, at);
    if (to.user?.mode === 2 || to.user?.mode === 3) {
      this.refuse(call, to.user.mode === 2 ? OUTCOME.dnd : OUTCOME.absent, at);
      return;
    }
    this.userSide(call, to, "incoming_call", at);
    this.ssn(call, "call_progress", { ...coords(to, "sender"), code: "180" }, at);
  }

  private newCall(a: Party, b: Party, twoLeg: boolean, opts: { at: number; extid?: string }): SimCall {
    const call: SimCall = {
      callId: this.newCallId(),
      extid: opts.extid ?? "",
      twoLeg,
      calling: a,
      called: b,
      a,
      b,
      state: "ringing",
      startAt: opts.at,
      answerAt: null,
      endAt: null,
      outcome: OUTCOME.unknown,
      holdMs: 0,
      heldAt: null,
      recording: false,
      autoAnswer: 0,
      callRef: "",
    };
    this.current.set(call.callId, call);
    this.all.set(call.callId, call);
    return call;
  }

  private finish(call: SimCall, outcome: number, at: number): void {
    call.state = "ended";
    call.outcome = outcome;
    call.endAt = at;
    this.ssn(call, "call_terminated", { outcome: String(outcome) }, at);
    this.current.delete(call.callId);
    this.sink.finished(call);
  }

  private expect(call: SimCall, state: CallState): void {
    if (call.state !== state) throw new SimFailure(`call ${call.callId} is ${call.state}, not ${state}`);
  }

  private ssn(call: SimCall, name: SsnEventName, params: Record<string, string>, at: number): void {
    const extra: Record<string, string> = { datetime: this.sink.time(at) };
    if (call.extid) extra.extid = call.extid;
    this.sink.ssn(name, { call_id: String(call.callId), ...params, ...extra }, at);
  }

  /** A user event to `p` if it is a user; the far end is the other side of the call. */
  private user(call: SimCall, p: Party, name: UserEventName, at: number, extra: Record<string, string> = {}): void {
    if (!p.user) return;
    const far = p === call.a ? call.b : call.a;
    const params: Record<string, string> = {
      number: far.number,
      call_id: String(call.callId),
      usercallid: String(p.localId),
      datetime: this.sink.time(at),
    };
    if (call.extid) params.extid = call.extid;
    this.sink.user(p.user, name, { ...params, ...extra }, at);
  }

  /** As `user`, and for a ring group each member. */
  private userSide(call: SimCall, p: Party, name: UserEventName, at: number): void {
    if (!p.members) {
      this.user(call, p, name, at);
      return;
    }
    for (const id of p.members) {
      const u = this.state.users.find((x) => x.id === id);
      if (u)
        this.sink.user(
          u,
          name,
          { number: call.a.number, call_id: String(call.callId), datetime: this.sink.time(at) },
          at,
        );
    }
  }
}

/** Seconds talked so far (hold excluded). */
export function talkSeconds(call: SimCall, at: number): number {
  if (call.answerAt === null) return 0;
  const held = call.holdMs + (call.heldAt !== null ? at - call.heldAt : 0);
  return Math.max(0, Math.round((at - call.answerAt - held) / 1000));
}
