/**
 * @module services/voispeed-events
 * What a VOIspeed PBX calls on the appliance: its event notifications and its IVR-script hook.
 *
 * Access. VOIspeed signs nothing, so both URLs carry the link's secret `notifyKey` as `key=`; a
 * request is answered only for a configured, enabled VOIspeed link (else 404), from the link's
 * `callbackNetworks` (else 403) and with the right key (compared in constant time; wrong or missing:
 * 403). Refusals are logged through a log budget, with the sender's address and never the key.
 *
 * Events (`GET …/events?key=…&event_type=…&event=…&event_name=…&ext=…`): the numeric codes of the
 * user family and the extended (SSN) family overlap (1 is `cmd_failed` and `call_in`), so dispatch is
 * on `event_name`:
 * - `cmd_failed` (`request_id`, `error_msg`/`error`, `error_code`): the PBX job whose asynchronous
 *   request it was is reopened (retried per its link's policy, then a dead letter with VOIspeed's
 *   error text): services/pbx-async.ts `failPbxJobLater`, injected as `failJob`;
 * - `new_voicemail` (`ext`): noted for the room, an audit row `voispeed-voicemail` and a counter (the
 *   PBX offers no count to read, and the appliance's own lamp and `RE VM` are not touched);
 * - `incoming_call` / `outgoing_call`: the call's direction, remembered for its record;
 * - `call_terminated` (SSN, `call_id`), `call_disconnect_out` / `call_disconnect_in`,
 *   `call_rejected`, `lost_call` (user, `ext`): a call record (services/call-records.ts);
 * - the other known events (`call_answered`, `call_in`, `call_out`, `call_response`, …) are counted;
 * - anything else is logged (budgeted) and answered 200 too: VOIspeed does not retry, and an event
 *   the appliance does not know must not look like a failure on the PBX.
 * Values are trimmed (S1's examples pad them).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { AppError, errorMessage } from "../lib/errors.ts";
import { LogBudget } from "../lib/log-budget.ts";
import type { NetworkSet } from "../lib/networks.ts";
import { unmapIPv4 } from "../lib/networks.ts";
import { writeAudit } from "../store/audit.ts";
import type { CallEndResult, CallRecorder } from "./call-records.ts";
import type { ServiceContext } from "./context.ts";
import { roomForExtension } from "./ivr.ts";
import { answerIvr, type IvrAnswer, type IvrNodeSetting, type IvrRequest } from "./voispeed-ivr.ts";

/** What the callbacks need of a VOIspeed link's configuration. */
export interface VoispeedCallbackLink {
  name: string;
  /** The secret in the notification and IVR-script URLs; empty = every callback refused. */
  notifyKey: string;
  /** Who may call (`callbackNetworks`, by default the PBX's own address). */
  networks: NetworkSet;
  ivrNodes: Readonly<Record<string, IvrNodeSetting>>;
}

export type FailPbxJobLater = (
  ctx: ServiceContext,
  link: string,
  externalRef: string,
  error: string,
) => Promise<"reopened" | "dead" | "unknown">;

export interface VoispeedCallbacksOptions {
  links: readonly VoispeedCallbackLink[];
  recorder: CallRecorder;
  /**
   * Reopens the job of a failed asynchronous request: services/pbx-async.ts `failPbxJobLater`, which
   * the appliance passes (injected, so tests can watch it).
   */
  failJob: FailPbxJobLater;
}

export type EventHandled =
  | "job-reopened"
  | "job-dead"
  | "job-unknown"
  | "voicemail"
  | "call-direction"
  | "call-record"
  | "call-duplicate"
  | "not-a-room"
  | "counted"
  | "ignored"
  | "unknown";

export interface EventResult {
  event: string | null;
  handled: EventHandled;
}

export interface VoispeedLinkCounters {
  events: number;
  /** Events by name (unknown names are counted under "?"). */
  byName: Record<string, number>;
  unknown: number;
  voicemails: number;
  ivrRequests: number;
  /** Callbacks refused (outside callbackNetworks, wrong or missing key). */
  refused: number;
}

const CALL_END_USER = new Set(["call_disconnect_out", "call_disconnect_in", "call_rejected", "lost_call"]);
/** Known events with nothing to do but count. */
const COUNTED = new Set([
  "call_answered",
  "call_transfer",
  "call_in",
  "call_progress",
  "call_out",
  "call_response",
  "disconnect_in",
  "disconnect_out",
  "dtmf_out",
  "call_divert",
  "call_held",
  "call_retrieved",
]);

type Query = Readonly<Record<string, string | undefined>>;

/** A query value, trimmed; undefined when absent or blank. */
function val(q: Query, name: string): string | undefined {
  const s = q[name]?.trim();
  return s ? s : undefined;
}

/** The first of several possible names of a parameter (S1 leaves most of them unnamed). */
function firstOf(q: Query, names: readonly string[]): string | undefined {
  for (const n of names) {
    const s = val(q, n);
    if (s !== undefined) return s;
  }
  return undefined;
}

/** A value fit for a log line or a stored id: printable ASCII, bounded. */
function safe(s: string, max = 64): string {
  return s.slice(0, max).replace(/[^\x20-\x7e]/g, "?");
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}

/** Constant-time key check (both sides hashed first, so the length leaks nothing either). */
export function keyMatches(given: string | undefined, want: string): boolean {
  if (!want || given === undefined) return false;
  return timingSafeEqual(digest(given), digest(want));
}

export class VoispeedCallbacks {
  readonly budget: LogBudget;
  private readonly links = new Map<string, VoispeedCallbackLink>();
  private readonly counts = new Map<string, VoispeedLinkCounters>();
  readonly recorder: CallRecorder;
  private readonly failJob: FailPbxJobLater;

  constructor(
    private readonly ctx: ServiceContext,
    opts: VoispeedCallbacksOptions,
  ) {
    for (const l of opts.links) {
      this.links.set(l.name, l);
      this.counts.set(l.name, { events: 0, byName: {}, unknown: 0, voicemails: 0, ivrRequests: 0, refused: 0 });
    }
    this.recorder = opts.recorder;
    this.failJob = opts.failJob;
    this.budget = new LogBudget(ctx.logger.child({ part: "voispeed-callbacks" }), ctx.clock);
  }

  linkNames(): string[] {
    return [...this.links.keys()];
  }

  counters(name: string): VoispeedLinkCounters | undefined {
    return this.counts.get(name);
  }

  /**
   * The link a callback may be served for: 404 for an unknown link, 403 from outside its networks or
   * without its key. The key is never logged nor repeated.
   */
  admit(name: string, source: string | undefined, key: string | undefined): VoispeedCallbackLink {
    const link = this.links.get(name);
    if (!link) throw new AppError("NOT_FOUND", `no VOIspeed link named ${safe(name)}`);
    const counters = this.counts.get(name) as VoispeedLinkCounters;
    const address = source === undefined ? undefined : unmapIPv4(source);
    if (address === undefined || !link.networks.contains(address)) {
      counters.refused++;
      this.budget.warn("voispeed-refused-network", "VOIspeed callback refused: not from callbackNetworks", {
        link: name,
        address: address ?? "unknown",
      });
      throw new AppError(
        "FORBIDDEN",
        `callbacks of link ${name} are not accepted from ${address ?? "an unknown address"}: not in callbackNetworks`,
      );
    }
    if (!keyMatches(key, link.notifyKey)) {
      counters.refused++;
      this.budget.warn("voispeed-refused-key", "VOIspeed callback refused: wrong or missing key", {
        link: name,
        address,
        key: key === undefined ? "missing" : "wrong",
      });
      throw new AppError("FORBIDDEN", `callback of link ${name} refused: wrong or missing key`);
    }
    return link;
  }

  /** One event notification of an admitted link. */
  async event(link: VoispeedCallbackLink, q: Query): Promise<EventResult> {
    const counters = this.counts.get(link.name) as VoispeedLinkCounters;
    counters.events++;
    const rawName = val(q, "event_name");
    const name = rawName === undefined ? null : safe(rawName, 40);
    const counted = name !== null && (COUNTED.has(name) || this.handles(name)) ? name : "?";
    counters.byName[counted] = (counters.byName[counted] ?? 0) + 1;
    const result = (handled: EventHandled): EventResult => ({ event: name, handled });

    switch (name) {
      case "cmd_failed":
        return result(await this.cmdFailed(link, q));
      case "new_voicemail":
        return result(await this.newVoicemail(link, q, counters));
      case "incoming_call":
      case "outgoing_call": {
        const callId = firstOf(q, ["call_id", "callid", "usercallid"]);
        if (callId) this.recorder.noteDirection(link.name, safe(callId), name === "incoming_call" ? "in" : "out");
        return result("call-direction");
      }
      case "call_terminated": {
        const callId = val(q, "call_id") ?? val(q, "callid");
        if (!callId) {
          this.budget.warn("voispeed-event-no-call", "VOIspeed call_terminated without call_id ignored", {
            link: link.name,
          });
          return result("ignored");
        }
        const outcome = val(q, "outcome");
        return result(
          callResult(
            await this.recorder.noteCallEnded(link.name, {
              family: "ssn",
              event: name,
              callId: safe(callId),
              ...(outcome && /^\d{1,3}$/.test(outcome) ? { outcome: Number(outcome) } : {}),
            }),
          ),
        );
      }
      default:
        break;
    }
    if (name !== null && CALL_END_USER.has(name)) {
      const ext = val(q, "ext");
      const communication = firstOf(q, ["call_id", "callid"]);
      const callId = communication ?? val(q, "usercallid");
      const number = val(q, "number");
      return result(
        callResult(
          await this.recorder.noteCallEnded(link.name, {
            family: "user",
            event: name,
            ...(callId ? { callId: safe(callId) } : {}),
            ...(communication ? { communication: true } : {}),
            ...(ext ? { ext: safe(ext, 32) } : {}),
            ...(number ? { number: safe(number, 40) } : {}),
          }),
        ),
      );
    }
    if (name !== null && COUNTED.has(name)) return result("counted");
    counters.unknown++;
    this.budget.info("voispeed-event-unknown", "VOIspeed event not handled; answered 200", {
      link: link.name,
      eventName: name ?? "(none)",
      eventType: safe(val(q, "event_type") ?? "", 8),
      event: safe(val(q, "event") ?? "", 8),
    });
    return result("unknown");
  }

  /** One IVR-script request of an admitted link; always a reply. */
  async ivr(link: VoispeedCallbackLink, q: IvrRequest): Promise<IvrAnswer> {
    const counters = this.counts.get(link.name) as VoispeedLinkCounters;
    counters.ivrRequests++;
    return answerIvr(this.ctx, link, q, this.budget);
  }

  private handles(name: string): boolean {
    return (
      name === "cmd_failed" ||
      name === "new_voicemail" ||
      name === "incoming_call" ||
      name === "outgoing_call" ||
      name === "call_terminated" ||
      CALL_END_USER.has(name)
    );
  }

  private async cmdFailed(link: VoispeedCallbackLink, q: Query): Promise<EventHandled> {
    const requestId = val(q, "request_id");
    if (!requestId) {
      this.budget.warn("voispeed-cmd-failed-no-id", "VOIspeed cmd_failed without request_id ignored", {
        link: link.name,
      });
      return "ignored";
    }
    const message = firstOf(q, ["error_msg", "error", "error_description", "reason"]);
    const code = val(q, "error_code");
    const text = [
      "VOIspeed cmd_failed",
      message ? `: ${safe(message, 300)}` : "",
      code ? ` (error_code ${safe(code, 16)})` : "",
    ].join("");
    let r: "reopened" | "dead" | "unknown";
    try {
      r = await this.failJob(this.ctx, link.name, safe(requestId), text);
    } catch (err) {
      // Not the PBX's fault: a 500 would only make its log noisy (it does not retry).
      this.ctx.logger.error("VOIspeed cmd_failed could not be applied to its job", {
        link: link.name,
        requestId: safe(requestId),
        error: errorMessage(err),
      });
      return "job-unknown";
    }
    if (r === "unknown") {
      this.budget.info("voispeed-cmd-failed-unknown", "VOIspeed cmd_failed for a request no job waits for", {
        link: link.name,
        requestId: safe(requestId),
      });
    }
    return r === "reopened" ? "job-reopened" : r === "dead" ? "job-dead" : "job-unknown";
  }

  private async newVoicemail(
    link: VoispeedCallbackLink,
    q: Query,
    counters: VoispeedLinkCounters,
  ): Promise<EventHandled> {
    counters.voicemails++;
    const ext = val(q, "ext");
    const room = ext ? await roomForExtension(this.ctx, safe(ext, 32)) : undefined;
    if (!room) {
      this.budget.info("voispeed-voicemail-no-room", "VOIspeed new_voicemail for an extension that is no room", {
        link: link.name,
        ext: safe(ext ?? "", 32),
      });
      return "not-a-room";
    }
    await this.ctx.store.tx((tx) =>
      writeAudit(
        tx,
        {
          actor: `voispeed:${link.name}`,
          action: "voispeed-voicemail",
          room,
          after: { link: link.name, ext: safe(ext ?? "", 32) },
        },
        this.ctx.clock.now(),
      ),
    );
    return "voicemail";
  }
}

function callResult(r: CallEndResult): EventHandled {
  return r === "pending" ? "call-record" : r === "duplicate" ? "call-duplicate" : "not-a-room";
}
