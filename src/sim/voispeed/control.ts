/**
 * @module sim/voispeed/control
 * `/sim/…` on the simulator's port: what tests do through the API, for installers with curl while
 * commissioning (the appliance must see the events of a call, answer an IVR script, survive a
 * cmd_failed). GET with the module's `token`, JSON replies. Not part of VOIspeed.
 */
import type { Side, SimCall } from "./calls.ts";
import type { IvrOutcome } from "./ivr.ts";
import type { SimContact, SimUser } from "./model.ts";
import type { Answer, CallScript } from "./scripts.ts";

export const CONTROL_HELP = [
  "/sim/call?from=101&to=0612345678[&answer=yes|no|busy|reject|unavailable][&hangup=caller|called|none][&ring=S][&talk=S][&extid=X]",
  "/sim/answer?call_id=N[&answered_by=EXT]   /sim/refuse?call_id=N[&how=busy|reject|no-answer|unavailable]",
  "/sim/hangup?call_id=N[&by=caller|called]  /sim/voicemail?ext=101[&from=N]",
  "/sim/ivr-call?from=101&ivr=500             /sim/ivr?callid=N&input=12  (or ivrid=&nodeid=&calling=&called=&input=&tag=)",
  "/sim/fail?match=set_user_mode|101[&count=N][&error=TEXT]   /sim/state",
];

/** What control needs of the simulator. */
export interface ControlTarget {
  readonly token: string;
  readonly calls: { current: Map<number, SimCall> };
  readonly state: { users: SimUser[] };
  avStatus(u: SimUser): number;
  contacts(): SimContact[];
  placeCall(from: string, to: string, script?: CallScript): Promise<SimCall>;
  answerCall(callId: number, opts?: { answeredBy?: string }): Promise<SimCall>;
  refuseCall(callId: number, how?: Exclude<Answer, true>): Promise<SimCall>;
  hangupCall(callId: number, by?: Side): Promise<SimCall>;
  ivrCall(from: string, ivr: string | number): Promise<SimCall>;
  ivrInput(o: {
    callid?: number;
    ivrid?: number;
    nodeid?: number;
    calling?: string;
    called?: string;
    input: string;
    tag?: string;
  }): Promise<IvrOutcome>;
  newVoicemail(ext: string, from?: string): Promise<void>;
  failNext(serviceOrExt: string, count?: number, error?: string): void;
}

class BadRequest extends Error {}

function callView(c: SimCall) {
  return {
    call_id: c.callId,
    state: c.state,
    outcome: c.outcome,
    calling: c.calling.number,
    called: c.called.number,
    connected: c.state === "active" ? c.b.number : null,
    extid: c.extid,
  };
}

function answerOf(v: string | undefined): Answer {
  if (v === undefined || v === "yes" || v === "1") return true;
  if (v === "no" || v === "0" || v === "no-answer") return false;
  if (v === "busy" || v === "reject" || v === "unavailable") return v;
  throw new BadRequest(`answer: ${v}?`);
}

function int(p: Record<string, string>, k: string): number {
  const n = Number(p[k]);
  if (!p[k] || !Number.isInteger(n)) throw new BadRequest(`${k}: an integer is required`);
  return n;
}

function str(p: Record<string, string>, k: string): string {
  if (!p[k]) throw new BadRequest(`${k} is required`);
  return p[k];
}

function side(v: string | undefined): Side {
  if (v === undefined || v === "caller" || v === "called") return v ?? "caller";
  throw new BadRequest(`by: ${v}?`);
}

export async function control(
  sim: ControlTarget,
  path: string,
  p: Record<string, string>,
): Promise<{ status: number; body: unknown }> {
  if (p.token !== sim.token) return { status: 403, body: { error: "token" } };
  try {
    switch (path) {
      case "/sim/call": {
        const hangup = p.hangup === "none" ? null : side(p.hangup);
        const script: CallScript = { answer: answerOf(p.answer), hangupBy: hangup };
        if (p.ring) script.ringSeconds = int(p, "ring");
        if (p.talk) script.talkSeconds = int(p, "talk");
        if (p.extid) script.extid = p.extid;
        if (p.answered_by) script.answeredBy = p.answered_by;
        return { status: 200, body: callView(await sim.placeCall(str(p, "from"), str(p, "to"), script)) };
      }
      case "/sim/answer":
        return { status: 200, body: callView(await sim.answerCall(int(p, "call_id"), { answeredBy: p.answered_by })) };
      case "/sim/refuse": {
        const how = answerOf(p.how ?? "no");
        if (how === true) throw new BadRequest("how: busy, reject, no-answer or unavailable");
        return { status: 200, body: callView(await sim.refuseCall(int(p, "call_id"), how)) };
      }
      case "/sim/hangup":
        return { status: 200, body: callView(await sim.hangupCall(int(p, "call_id"), side(p.by))) };
      case "/sim/ivr-call":
        return { status: 200, body: callView(await sim.ivrCall(str(p, "from"), str(p, "ivr"))) };
      case "/sim/ivr":
        return {
          status: 200,
          body: await sim.ivrInput({
            callid: p.callid ? int(p, "callid") : undefined,
            ivrid: p.ivrid ? int(p, "ivrid") : undefined,
            nodeid: p.nodeid ? int(p, "nodeid") : undefined,
            calling: p.calling,
            called: p.called,
            input: p.input ?? "",
            tag: p.tag,
          }),
        };
      case "/sim/voicemail":
        await sim.newVoicemail(str(p, "ext"), p.from);
        return { status: 200, body: { ok: true } };
      case "/sim/fail":
        sim.failNext(str(p, "match"), p.count ? int(p, "count") : 1, p.error);
        return { status: 200, body: { ok: true } };
      case "/sim/state":
        return {
          status: 200,
          body: {
            users: sim.state.users.map((u) => ({
              ext: u.extension,
              id: u.id,
              mode: u.mode,
              av_status: sim.avStatus(u),
              divert_to: u.divertTo,
            })),
            contacts: sim.contacts(),
            calls: [...sim.calls.current.values()].map(callView),
          },
        };
      default:
        return { status: 404, body: { error: "unknown control", help: CONTROL_HELP } };
    }
  } catch (err) {
    return { status: 400, body: { error: err instanceof Error ? err.message : String(err) } };
  }
}
