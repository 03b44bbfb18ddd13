/**
 * @module sim/voispeed/commands
 * The asynchronous services: checked at once (outcome 1 with a reason), else accepted with a fresh
 * request_id and run after the configured delay; a failure then, injected or real (the call has
 * ended meanwhile, a user in away mode dials out), is a cmd_failed event carrying the request_id.
 * No event reports success (§1.1): it shows only in the ordinary events and the state.
 *
 * Decisions where the seed is silent: set_user_mode takes `mode` 1–4 (1 normal, 3 away, 4 divert
 * inferred) and, for 4, the target in `number`; call_action's actions are divert (+number) and
 * disconnect, plus hold and retrieve under those names; call_id names the communication (user
 * events' `call_id`) or a user's leg (`usercallid`); a call_id that is not a current call of that
 * user is refused at once ("connection not found", the seed's example text). call_divert_ext takes
 * call_id and recipient_type/recipient_id or recipient_number; call_recording_ext takes call_id and
 * `recording` 1/0 (default 1). cmd_failed names the user extension involved, or none.
 */
import type { CallEngine, Party, SimCall } from "./calls.ts";
import { ENTITY, ServiceError, SimFailure, type SimUser } from "./model.ts";
import { need, needInt, type Reply, type ServiceContext } from "./services.ts";
import { entityExists } from "./state.ts";

export const ASYNC_SERVICES = new Set([
  "call_request",
  "call_action",
  "set_user_mode",
  "call_request_ext",
  "call_transfer_ext",
  "call_divert_ext",
  "call_recording_ext",
  "call_terminate",
]);

export interface CommandContext extends ServiceContext {
  /** A fresh request id now; `run` later unless a fault fails it (then cmd_failed to `ext`). */
  accept(service: string, ext: string, run: () => Promise<void> | void): string;
  /** call_request: a call from the user's phone to `number`, as the click-to-dial script says. */
  clickToDial(u: SimUser, number: string, extid: string): Promise<void>;
  /** call_request_ext: the two-leg flow, as the scripts for the next such call say. */
  twoLeg(calling: Party, called: Party, extid: string, autoAnswer: number): Promise<void>;
  now(): number;
}

export function asyncCommand(ctx: CommandContext, service: string, p: Record<string, string>): Reply {
  const run = validate(ctx, service, p);
  const requestId = ctx.accept(service, run.ext, run.run);
  return {
    outcome: "0",
    payload: [["request_id", requestId]],
    requestId,
    padOutcome: service.endsWith("_ext"),
  };
}

interface Run {
  ext: string;
  run: () => Promise<void> | void;
}

function validate(ctx: CommandContext, service: string, p: Record<string, string>): Run {
  const calls = ctx.calls;
  switch (service) {
    case "set_user_mode": {
      const u = ctx.moduleUser(need(p, "ext"));
      const mode = needInt(p, "mode");
      if (mode < 1 || mode > 4) throw new ServiceError(`invalid parameter: mode ${mode}`);
      const target = p.number?.trim();
      return {
        ext: u.extension,
        run: () => {
          u.mode = mode as SimUser["mode"];
          if (mode === 4 && target) u.divertTo = target;
        },
      };
    }
    case "call_request": {
      const u = ctx.moduleUser(need(p, "ext"));
      const number = need(p, "number");
      const extid = p.extid ?? "";
      return {
        ext: u.extension,
        run: () => {
          if (u.mode === 3) throw new SimFailure("user is absent: outgoing calls are blocked");
          return ctx.clickToDial(u, number, extid);
        },
      };
    }
    case "call_action": {
      const u = ctx.moduleUser(need(p, "ext"));
      const id = needInt(p, "call_id");
      const action = need(p, "action");
      if (!["divert", "disconnect", "hold", "retrieve"].includes(action)) {
        throw new ServiceError(`invalid parameter: action ${action}`);
      }
      const number = action === "divert" ? need(p, "number") : "";
      const call = userCall(calls, u, id);
      if (!call) throw new ServiceError("connection not found");
      return {
        ext: u.extension,
        run: () => {
          const c = userCall(calls, u, id);
          if (!c) throw new SimFailure("connection not found");
          const side = c.a.user?.id === u.id ? "caller" : "called";
          const at = ctx.now();
          if (action === "disconnect") calls.hangup(c, side, at);
          else if (action === "hold") calls.hold(c, at);
          else if (action === "retrieve") calls.retrieve(c, at);
          else if (side === "caller") throw new SimFailure("only the called side can be diverted");
          else calls.divert(c, calls.resolve(number), at);
        },
      };
    }
    case "call_request_ext": {
      const callingType = needInt(p, "calling_type");
      const callingId = needInt(p, "calling_id");
      const calledType = needInt(p, "called_type");
      const calledId = needInt(p, "called_id");
      for (const [t, i] of [
        [callingType, callingId],
        [calledType, calledId],
      ]) {
        if (!entityExists(ctx.state, t, i)) throw new ServiceError(`entity not found: type ${t} id ${i}`);
      }
      if (callingType === ENTITY.gateway) need(p, "calling_number");
      if (calledType === ENTITY.gateway) need(p, "called_number");
      const autoAnswer = p.auto_answer?.trim() ? needInt(p, "auto_answer") : 0;
      if (autoAnswer < 0 || autoAnswer > 2) throw new ServiceError(`invalid parameter: auto_answer ${autoAnswer}`);
      const ext = [
        [callingType, callingId],
        [calledType, calledId],
      ].flatMap(([t, i]) => (t === ENTITY.user ? ctx.state.users.filter((u) => u.id === i) : []))[0]?.extension;
      return {
        ext: ext ?? "",
        run: () =>
          ctx.twoLeg(
            calls.party(callingType, callingId, p.calling_number?.trim() ?? ""),
            calls.party(calledType, calledId, p.called_number?.trim() ?? ""),
            p.extid ?? "",
            autoAnswer,
          ),
      };
    }
    case "call_transfer_ext": {
      const com1 = currentCall(calls, needInt(p, "replace_com_id"));
      const com2 = currentCall(calls, needInt(p, "recipient_com_id"));
      const replace = { type: needInt(p, "replace_type"), id: needInt(p, "replace_id") };
      const recipient = { type: needInt(p, "recipient_type"), id: needInt(p, "recipient_id") };
      const s1 = sideOf(com1, replace);
      const s2 = sideOf(com2, recipient);
      if (!s1 || !s2) throw new ServiceError("entity not in the communication");
      return {
        ext: callExt(com1),
        run: () => calls.transfer(com1, s1, com2, s2, ctx.now()),
      };
    }
    case "call_divert_ext": {
      const call = currentCall(calls, needInt(p, "call_id"));
      const number = p.recipient_number?.trim() ?? "";
      let target: () => Party;
      if (p.recipient_type?.trim() || p.recipient_id?.trim()) {
        const type = needInt(p, "recipient_type");
        const id = needInt(p, "recipient_id");
        if (!entityExists(ctx.state, type, id)) throw new ServiceError(`entity not found: type ${type} id ${id}`);
        target = () => calls.party(type, id, number);
      } else {
        need(p, "recipient_number");
        target = () => calls.resolve(number);
      }
      return { ext: callExt(call), run: () => calls.divert(call, target(), ctx.now()) };
    }
    case "call_recording_ext": {
      const call = currentCall(calls, needInt(p, "call_id"));
      const on = (p.recording?.trim() ?? "1") !== "0";
      return {
        ext: callExt(call),
        run: () => {
          if (call.state !== "active") throw new SimFailure("the call is not active");
          call.recording = on;
        },
      };
    }
    case "call_terminate": {
      const call = currentCall(calls, needInt(p, "call_id"));
      return {
        ext: callExt(call),
        run: () => {
          if (call.state === "ended") throw new SimFailure("connection not found");
          calls.terminate(call, ctx.now());
        },
      };
    }
    default:
      throw new ServiceError(`service not found: ${service}`);
  }
}

/** The current call `id` (communication or the user's leg) that `u` is in. */
function userCall(calls: CallEngine, u: SimUser, id: number): SimCall | undefined {
  for (const c of calls.current.values()) {
    const mine = [c.a, c.b].find((p) => p.user?.id === u.id);
    if (mine && (c.callId === id || mine.localId === id)) return c;
  }
  return undefined;
}

function currentCall(calls: CallEngine, id: number): SimCall {
  const c = calls.current.get(id);
  if (!c) throw new ServiceError("connection not found");
  return c;
}

function sideOf(call: SimCall, e: { type: number; id: number }): "a" | "b" | null {
  if (call.a.type === e.type && call.a.id === e.id) return "a";
  if (call.b.type === e.type && call.b.id === e.id) return "b";
  return null;
}

function callExt(call: SimCall): string {
  return call.a.user?.extension ?? call.b.user?.extension ?? "";
}
