/**
 * @module sim/snom/control
 * `/sim/…` on each phone's own port: what tests do through the API, for installers with curl (ring the
 * room phone, pick it up, hang up, break the phone, look at its state). GET, JSON replies, no
 * authentication and never faulted (ours: the control is not part of SNOM; turn it off with
 * `control: false`). A call is named by `call=ID` (the phone's call number), else the sensible one.
 */
import { CallStateError } from "./calls.ts";
import { faultKind } from "./faults.ts";
import type { SnomCall } from "./model.ts";
import type { SnomPhone } from "./phone.ts";

export const CONTROL_HELP = [
  "/sim/incoming?from=0612345678[&name=Mario Rossi]   /sim/dial?to=0612345678  (the guest dials; keyboard lock applies)",
  "/sim/answer  /sim/hangup  /sim/hold  /sim/resume   /sim/remote-answer  /sim/remote-hangup[?busy=1&reason=R]  ([call=ID])",
  "/sim/softkey?key=F1|LABEL   /sim/fault?kind=hang|timeout|slow|401|500|drop[&count=N|forever][&ms=][&path=/command.htm]",
  "/sim/clear-faults   /sim/down?ms=5000[&boot=1]   /sim/reboot   /sim/announce   /sim/state",
];

class BadRequest extends Error {}

export function callView(c: SnomCall) {
  return {
    id: c.id,
    callId: c.callId,
    line: c.line,
    direction: c.direction,
    remote: c.remote,
    remoteName: c.remoteName,
    state: c.state,
    history: c.history,
    transferPending: c.transferPending,
    dtmf: c.dtmf,
    endReason: c.endReason,
    transferredTo: c.transferredTo,
  };
}

/** Everything a test or an installer looks at, as JSON (private settings masked). */
export function phoneState(p: SnomPhone) {
  return {
    phone: p.index,
    url: p.url,
    ip: p.ip,
    mac: p.mac,
    extension: p.extension,
    up: p.isUp,
    dnd: p.dnd,
    keyboardLock: p.keyboardLock,
    idleText: p.idleText(),
    hook: p.hook,
    dialBuffer: p.dialBuffer,
    registered: Object.fromEntries(p.registered),
    lines: p.calls.lines(),
    calls: p.calls.live.map(callView),
    screen: p.screen,
    leds: [...p.leds.values()],
    missed: p.missed,
    dialed: p.dialed,
    received: p.received,
    ringers: p.ringers,
    faults: p.faults.pending,
    settings: p.settings.snapshot(),
  };
}

function callParam(q: URLSearchParams): number | undefined {
  const v = q.get("call");
  if (v === null) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new BadRequest("call: an integer is required");
  return n;
}

function required(q: URLSearchParams, k: string): string {
  const v = q.get(k);
  if (!v) throw new BadRequest(`${k} is required`);
  return v;
}

function nonNegative(q: URLSearchParams, k: string): number | undefined {
  const v = q.get(k);
  if (v === null) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new BadRequest(`${k}: a whole number is required`);
  return n;
}

export async function control(
  phone: SnomPhone,
  path: string,
  q: URLSearchParams,
): Promise<{ status: number; body: unknown }> {
  try {
    const call = (c: SnomCall | null) => ({ status: 200, body: c ? callView(c) : { refused: true } });
    switch (path) {
      case "/sim/state":
        return { status: 200, body: phoneState(phone) };
      case "/sim/incoming":
        return call(phone.incoming(required(q, "from"), { name: q.get("name") ?? undefined }));
      case "/sim/dial":
        return call(phone.dial(required(q, "to")));
      case "/sim/answer":
        return call(phone.answer(callParam(q)));
      case "/sim/hangup":
        return call(phone.hangup(callParam(q)));
      case "/sim/hold":
        return call(phone.hold(callParam(q)));
      case "/sim/resume":
        return call(phone.resume(callParam(q)));
      case "/sim/remote-answer":
        return call(phone.remoteAnswer(callParam(q)));
      case "/sim/remote-hangup":
        return call(
          phone.remoteHangup(callParam(q), { busy: q.get("busy") === "1", cancelReason: q.get("reason") ?? "" }),
        );
      case "/sim/softkey":
        await phone.pressSoftKey(required(q, "key"));
        return { status: 200, body: { screen: phone.screen } };
      case "/sim/fault": {
        const kind = faultKind(required(q, "kind"));
        if (!kind) throw new BadRequest("kind: hang, timeout, slow, 401, 500 or drop");
        const count = q.get("count") === "forever" ? Number.POSITIVE_INFINITY : (nonNegative(q, "count") ?? 1);
        phone.fault({ kind, ms: nonNegative(q, "ms"), path: q.get("path") ?? undefined }, count);
        return { status: 200, body: { faults: phone.faults.pending } };
      }
      case "/sim/clear-faults":
        phone.clearFaults();
        return { status: 200, body: { ok: true } };
      case "/sim/down": {
        const ms = nonNegative(q, "ms");
        if (ms === undefined) throw new BadRequest("ms is required: nothing could bring the phone up again");
        setTimeout(() => void phone.down({ ms, boot: q.get("boot") === "1" }), 10);
        return { status: 200, body: { downForMs: ms } };
      }
      case "/sim/reboot":
        setTimeout(() => phone.reboot(), 10);
        return { status: 200, body: { rebooting: true } };
      case "/sim/announce":
        phone.announce();
        return { status: 200, body: { ok: true } };
      default:
        return { status: 404, body: { error: "unknown control", help: CONTROL_HELP } };
    }
  } catch (err) {
    if (err instanceof BadRequest || err instanceof CallStateError)
      return { status: 400, body: { error: err.message } };
    throw err;
  }
}
