/**
 * @module cti/monitor
 * Which channels monitor which extension, the calls of each monitored phone as its action URLs
 * report them, and the fan-out: a phone's callback becomes one STLI event (encoded once) written to
 * every channel monitoring that extension, in the order the callbacks are handled, and to no other.
 *
 * SNOM action URL → event (README "24U Phone Companion compatible CTI server"; unverified against
 * the real plug-in):
 *   incoming → Delivered (cause newCall) · outgoing → Originated (makeCall when it follows our
 *   MakeCall to that number, else newCall) · connected → Established · disconnected, missed →
 *   ConnectionCleared (normalClearing; once per call id) · hold → Held · unhold → Retrieved ·
 *   dnd-on / dnd-off → DoNotDisturb On / Off.
 * A call is known by the phone's `$call-id`; `$remote` (a SIP URI, a number) becomes its user part.
 */
import type { Clock } from "../lib/clock.ts";
import type { PhoneEvent } from "./phone-control.ts";
import { type ConnectionState, type CtiEvent, type EncodedEvent, encodeEvent } from "./protocol.ts";

/** A channel, as the hub sees it. */
export interface EventSink {
  deliver(ev: EncodedEvent): void;
}

interface TrackedCall {
  direction: "in" | "out";
  remote: string;
  state: ConnectionState;
}

/** Calls kept per phone (a SNOM has a few lines; more means lost disconnects). */
const MAX_CALLS = 8;
/** Cleared call ids remembered per phone, so a second report of the same end is not a second event. */
const MAX_CLEARED = 16;
/** How long a MakeCall marks the phone's next outgoing call to that number as ours. */
const MAKE_CALL_MS = 30_000;

/** `"Anna" <sip:+3906123@pbx.example;user=phone>` → `+3906123`; a plain number stays as it is. */
export function partyOf(remote: string | undefined): string {
  if (!remote) return "";
  let r = remote.trim();
  const lt = r.indexOf("<");
  const gt = r.lastIndexOf(">");
  if (lt >= 0 && gt > lt) r = r.slice(lt + 1, gt);
  r = r.replace(/^(sips?|tel):/i, "");
  const cut = r.search(/[@;]/);
  if (cut >= 0) r = r.slice(0, cut);
  return r.slice(0, 64);
}

function dialDigits(s: string): string {
  return s.replace(/[^0-9A-Za-z*#+]/g, "");
}

export interface PhoneEventParams {
  remote?: string;
  callId?: string;
}

export class MonitorHub {
  private readonly subs = new Map<string, Set<EventSink>>();
  private readonly calls = new Map<string, Map<string, TrackedCall>>();
  private readonly cleared = new Map<string, string[]>();
  private readonly madeCalls = new Map<string, { number: string; at: number }>();
  /** Events written, all channels counted. */
  delivered = 0;

  constructor(private readonly clock: Clock) {}

  subscribe(extension: string, sink: EventSink): void {
    let set = this.subs.get(extension);
    if (!set) {
      set = new Set();
      this.subs.set(extension, set);
    }
    set.add(sink);
  }

  unsubscribe(extension: string, sink: EventSink): void {
    const set = this.subs.get(extension);
    if (!set) return;
    set.delete(sink);
    if (set.size > 0) return;
    // Nobody watches the phone: what we knew of its calls goes stale from here on.
    this.subs.delete(extension);
    this.calls.delete(extension);
    this.cleared.delete(extension);
    this.madeCalls.delete(extension);
  }

  /** How many channels monitor the extension. */
  monitors(extension: string): number {
    return this.subs.get(extension)?.size ?? 0;
  }

  /** Extensions monitored by at least one channel. */
  get monitoredExtensions(): number {
    return this.subs.size;
  }

  /** The states of the phone's known calls (DeviceInformation), oldest first. */
  callStates(extension: string): ConnectionState[] {
    return [...(this.calls.get(extension)?.values() ?? [])].map((c) => c.state);
  }

  /** Our MakeCall made the phone dial `number`: its Originated says makeCall. */
  madeCall(extension: string, number: string): void {
    if (this.monitors(extension) === 0) return;
    this.madeCalls.set(extension, { number: dialDigits(number), at: this.clock.now() });
  }

  /**
   * Whether pressing the (toggling) hold key would do the opposite of the command, by what the
   * phone reported: RetrieveCall with a call in conversation and none held, HoldCall with a held
   * call and none in conversation. Unknown (not monitored, no calls known): false.
   */
  holdWouldToggleWrongWay(extension: string, command: "HoldCall" | "RetrieveCall"): boolean {
    const states = this.callStates(extension);
    const connected = states.includes("connected");
    const held = states.includes("held");
    return command === "RetrieveCall" ? connected && !held : held && !connected;
  }

  /**
   * A ClearConnection the phone accepted while it was only ringing: the phone rejects the call
   * and reports nothing for a rejected call, so the calls end here.
   */
  clearedByCommand(extension: string): number {
    const calls = this.calls.get(extension);
    if (!calls || calls.size === 0) return 0;
    for (const c of calls.values()) if (c.state !== "alerting") return 0;
    let n = 0;
    for (const id of [...calls.keys()]) n += this.end(extension, id, extension);
    return n;
  }

  /** A phone's callback: the event for it, to every channel monitoring the extension. */
  phoneEvent(extension: string, event: PhoneEvent, p: PhoneEventParams = {}): number {
    if (this.monitors(extension) === 0) return 0;
    const remote = partyOf(p.remote);
    const id = (p.callId ?? "").slice(0, 256);
    const d = extension;
    switch (event) {
      case "incoming": {
        this.track(d, id, { direction: "in", remote, state: "alerting" });
        return this.emit({ name: "Delivered", device: d, cause: "newCall", calling: remote, called: d });
      }
      case "outgoing": {
        this.track(d, id, { direction: "out", remote, state: "initiated" });
        const made = this.madeCalls.get(d);
        const ours =
          made !== undefined && this.clock.now() - made.at <= MAKE_CALL_MS && dialDigits(remote) === made.number;
        if (ours) this.madeCalls.delete(d);
        return this.emit({
          name: "Originated",
          device: d,
          cause: ours ? "makeCall" : "newCall",
          calling: d,
          called: remote,
        });
      }
      case "connected": {
        const known = this.calls.get(d)?.get(id);
        const call = known ?? { direction: "in" as const, remote, state: "connected" as const };
        if (remote) call.remote = remote;
        call.state = "connected";
        this.track(d, id, call);
        const incoming = call.direction === "in";
        return this.emit({
          name: "Established",
          device: d,
          cause: "",
          answering: incoming ? d : call.remote,
          calling: incoming ? call.remote : d,
          called: incoming ? d : call.remote,
        });
      }
      case "disconnected":
      case "missed": {
        const known = this.calls.get(d)?.get(id);
        // A missed call was given up by the caller; who ended a connected call a phone does not say.
        const releasing = event === "missed" ? remote || known?.remote || d : d;
        return this.end(d, id, releasing);
      }
      case "hold":
      case "unhold": {
        const call = this.calls.get(d)?.get(id) ?? this.only(d, event === "hold" ? "connected" : "held");
        if (call) call.state = event === "hold" ? "held" : "connected";
        return this.emit({ name: event === "hold" ? "Held" : "Retrieved", device: d, cause: "" });
      }
      case "dnd-on":
      case "dnd-off":
        return this.emit({ name: "DoNotDisturb", device: d, on: event === "dnd-on" });
    }
  }

  private only(extension: string, state: ConnectionState): TrackedCall | undefined {
    const matching = [...(this.calls.get(extension)?.values() ?? [])].filter((c) => c.state === state);
    return matching.length === 1 ? matching[0] : undefined;
  }

  private track(extension: string, id: string, call: TrackedCall): void {
    let calls = this.calls.get(extension);
    if (!calls) {
      calls = new Map();
      this.calls.set(extension, calls);
    }
    calls.delete(id);
    calls.set(id, call);
    while (calls.size > MAX_CALLS) calls.delete(calls.keys().next().value as string);
    // A call id seen again is a new call (ids are per call; a phone without $call-id sends "").
    const cleared = this.cleared.get(extension);
    if (cleared?.includes(id)) cleared.splice(cleared.indexOf(id), 1);
  }

  /** The call ends: ConnectionCleared once per call id (disconnected and missed may both come). */
  private end(extension: string, id: string, releasing: string): number {
    const cleared = this.cleared.get(extension) ?? [];
    if (cleared.includes(id)) return 0;
    cleared.push(id);
    if (cleared.length > MAX_CLEARED) cleared.shift();
    this.cleared.set(extension, cleared);
    this.calls.get(extension)?.delete(id);
    return this.emit({ name: "ConnectionCleared", device: extension, cause: "normalClearing", releasing });
  }

  private emit(ev: CtiEvent): number {
    const sinks = this.subs.get(ev.device);
    if (!sinks || sinks.size === 0) return 0;
    const encoded = encodeEvent(ev, this.callStates(ev.device));
    for (const s of [...sinks]) s.deliver(encoded);
    this.delivered += sinks.size;
    return sinks.size;
  }
}
