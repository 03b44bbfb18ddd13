/**
 * @module sim/voispeed/simulator
 * A VOIspeed PBX's integration module over HTTP (specs/voispeed-24u.md §1.10): the SERI endpoint
 * (token, every user and extended service, the XML envelope with padded values), asynchronous
 * commands answered with a request_id and failed later by a cmd_failed event, user and extended
 * events GET to the notification URL, the phonebook, call reports, IVR nodes that follow a script,
 * and reply faults. `/sim/…` on the same port scripts calls for installers (control.ts).
 * node:http and Web fetch only, as the Zoom and UCM simulators.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { errorMessage } from "../../lib/errors.ts";
import { toWallTime } from "../../lib/zoned-time.ts";
import { CallEngine, type Side, type SimCall } from "./calls.ts";
import { control } from "./control.ts";
import { answerRequest, type EndpointContext } from "./endpoint.ts";
import { queryParams, readRaw, sleep } from "./http.ts";
import { IvrEngine, type IvrOutcome } from "./ivr.ts";
import {
  ENTITY,
  MODE_AV_STATUS,
  type ReplyFault,
  ServiceError,
  type SimUser,
  type VoispeedSimOptions,
  type VoispeedSimRequest,
} from "./model.ts";
import { Notifier } from "./notify.ts";
import { Phonebook } from "./phonebook.ts";
import { Reports } from "./reports.ts";
import { Scheduler } from "./scheduler.ts";
import {
  type Answer,
  CALLED_REFUSAL,
  CALLING_REFUSAL,
  type CallScript,
  type ExtCallScript,
  playCall,
  playTwoLeg,
  type ScriptHost,
} from "./scripts.ts";
import type { Reply } from "./services.ts";
import { seedState, type VoispeedSimState } from "./state.ts";
import { resultXml, type XmlStyle } from "./xml.ts";

export type { Party, Side, SimCall } from "./calls.ts";
export type { IvrOutcome, IvrPrompt, IvrStep, IvrTransfer } from "./ivr.ts";
export * from "./model.ts";
export type { SimEvent } from "./notify.ts";
export type { SimCommand } from "./scheduler.ts";
export type { Answer, CallScript, ExtCallScript } from "./scripts.ts";

export class VoispeedSimulator {
  readonly state: VoispeedSimState;
  readonly requests: VoispeedSimRequest[] = [];
  readonly calls: CallEngine;
  readonly phonebook: Phonebook;
  readonly ivr: IvrEngine;
  readonly notifier: Notifier;
  /** Called after each request is answered (the CLI prints it). */
  onRequest?: (r: VoispeedSimRequest) => void;
  /** What call_request does once it runs. Default: answered, the user hangs up after 30 s. */
  callRequestScript: CallScript = { answer: true, hangupBy: "caller" };
  /** What call_request_ext does when no script is queued or set for its extid. */
  extCallScript: ExtCallScript = {};
  readonly token: string;
  readonly path: string;
  readonly scheduler: Scheduler;

  private readonly o: Required<Omit<VoispeedSimOptions, "notifyUrl" | "ivrUrl" | "now">>;
  private readonly now: () => number;
  private readonly style: XmlStyle;
  private readonly server: Server;
  private readonly replyFaults: { fault: ReplyFault; service?: string }[] = [];
  private readonly extScripts: ExtCallScript[] = [];
  private readonly extScriptsById = new Map<string, ExtCallScript>();
  private readonly host: ScriptHost;
  private readonly ctx: EndpointContext;

  constructor(opts: VoispeedSimOptions = {}) {
    this.o = {
      token: opts.token ?? "sim-token",
      path: opts.path ?? "/PBX/seri_endpoint.php",
      users: opts.users ?? 10,
      firstExtension: opts.firstExtension ?? 101,
      licenseId: opts.licenseId ?? "MP3026487718",
      domain: opts.domain ?? "almach1.it",
      asyncDelayMs: opts.asyncDelayMs ?? 50,
      ssnEventType: opts.ssnEventType ?? "3",
      userEvents: opts.userEvents ?? true,
      extendedEvents: opts.extendedEvents ?? true,
      padValues: opts.padValues ?? true,
      entityOutcome: opts.entityOutcome ?? "seed",
      timeZone: opts.timeZone ?? "Europe/Rome",
      eventTimeoutMs: opts.eventTimeoutMs ?? 5000,
      ivrTimeoutMs: opts.ivrTimeoutMs ?? 5000,
    };
    this.token = this.o.token;
    this.path = this.o.path;
    this.now = opts.now ?? Date.now;
    this.style = { pad: this.o.padValues };
    this.state = seedState({ users: this.o.users, firstExtension: this.o.firstExtension, ivrUrl: opts.ivrUrl ?? null });
    this.notifier = new Notifier(opts.notifyUrl ?? null, this.now, this.o.eventTimeoutMs);
    this.scheduler = new Scheduler(this.notifier, this.now, this.o.asyncDelayMs);
    this.phonebook = new Phonebook(this.state.contacts);
    const reports = new Reports(this.state, (ms) => this.time(ms));
    Object.assign(this.notifier, {
      userEvents: this.o.userEvents,
      extendedEvents: this.o.extendedEvents,
      ssnEventType: this.o.ssnEventType,
    });
    this.calls = new CallEngine(this.state, {
      user: (u, name, params) => {
        if (u.inModule) this.notifier.user(name, u.extension, params);
      },
      ssn: (name, params) => this.notifier.ssn(name, params),
      time: (ms) => this.time(ms),
      finished: (call) => reports.add(call),
    });
    this.ivr = new IvrEngine({
      state: this.state,
      licenseId: this.o.licenseId,
      domain: this.o.domain,
      timeoutMs: this.o.ivrTimeoutMs,
      newCallId: () => this.calls.newCallId(),
      left: async (session, transfer) => {
        const call = this.calls.current.get(session.callid);
        if (call?.state !== "active") return;
        if (!transfer) {
          this.calls.hangup(call, "called", this.now());
          return;
        }
        const target =
          transfer.kind === "entity" && transfer.recipient_id !== undefined
            ? this.calls.party(transfer.recipient_type ?? ENTITY.user, transfer.recipient_id, transfer.recipient_number)
            : this.calls.resolve(transfer.recipient_number);
        this.calls.divert(call, target, this.now());
      },
    });
    this.host = { calls: this.calls, now: () => this.now(), enterIvr: (c: SimCall) => this.enterIvr(c) };
    this.ctx = this.commandContext();
    // Loaded here, not imported: the compiled binary loads every imported built-in at its start.
    this.server = process.getBuiltinModule("node:http").createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
        res.end(`simulator error: ${errorMessage(err)}`);
      });
    });
  }

  get notifyUrl(): string | null {
    return this.notifier.url;
  }

  set notifyUrl(url: string | null) {
    this.notifier.url = url;
  }

  /** Every event sent (or attempted), in delivery order. */
  get events() {
    return this.notifier.sent;
  }

  listen(port = 0, host = "127.0.0.1"): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections?.();
    });
  }

  /** Resolves when every accepted command has run and every event has been delivered. */
  idle(): Promise<void> {
    return this.scheduler.idle();
  }

  /** Accepted asynchronous requests and what became of them. */
  get commands() {
    return this.scheduler.commands;
  }

  /** Delay before an accepted request runs. */
  get asyncDelayMs(): number {
    return this.scheduler.delayMs;
  }

  set asyncDelayMs(ms: number) {
    this.scheduler.delayMs = ms;
  }

  // ---- state ---------------------------------------------------------------------------------------

  user(ext: string): SimUser | undefined {
    return this.state.users.find((u) => u.extension === ext);
  }

  /** av_status (T2) from the mode, and from the calls while the mode is normal. */
  avStatus(u: SimUser): number {
    if (u.mode !== 1) return MODE_AV_STATUS[u.mode];
    for (const c of this.calls.current.values()) {
      const on = [c.a, c.b].find((p) => p.user?.id === u.id);
      if (!on) continue;
      const ringing = (c.state === "ringing" && on === c.b) || (c.state === "leg1" && on === c.a);
      return ringing ? 3 : 4;
    }
    return MODE_AV_STATUS[1];
  }

  contacts() {
    return [...this.state.contacts.values()];
  }

  // ---- faults --------------------------------------------------------------------------------------

  /** The next `count` accepted commands of this service, or for this extension, fail by cmd_failed. */
  failNext(serviceOrExt: string, count = 1, error = "command failed"): void {
    this.scheduler.failNext(serviceOrExt, count, error);
  }

  /** The next `count` requests (of `service`, if given) get this fault instead of their reply. */
  replyFault(fault: ReplyFault, opts: { count?: number; service?: string } = {}): void {
    for (let i = 0; i < (opts.count ?? 1); i++) this.replyFaults.push({ fault, service: opts.service });
  }

  /** The next `count` events are each sent twice in a row. */
  duplicateEvents(count = 1): void {
    this.notifier.duplicateNext += count;
  }

  // ---- calls ---------------------------------------------------------------------------------------

  /** A scripted call between two numbers (extensions, group/IVR numbers, anything else is external). */
  async placeCall(from: string, to: string, script: CallScript = {}): Promise<SimCall> {
    const call = await playCall(this.host, this.calls.resolve(from), this.calls.resolve(to), script);
    await this.notifier.idle();
    return call;
  }

  /** A call left ringing: continue it with answerCall, refuseCall or hangupCall. */
  async startCall(from: string, to: string, opts: { extid?: string } = {}): Promise<SimCall> {
    const call = this.calls.start(this.calls.resolve(from), this.calls.resolve(to), {
      at: this.now(),
      extid: opts.extid,
    });
    await this.notifier.idle();
    return call;
  }

  async answerCall(callId: number, opts: { answeredBy?: string } = {}): Promise<SimCall> {
    const call = this.call(callId);
    if (call.state === "leg1") this.calls.answerLeg1(call, this.now());
    else {
      this.calls.answer(call, this.now(), opts.answeredBy ? this.calls.resolve(opts.answeredBy) : undefined);
      await this.enterIvr(call);
    }
    await this.notifier.idle();
    return call;
  }

  async refuseCall(callId: number, how: Exclude<Answer, true> = "no-answer"): Promise<SimCall> {
    const call = this.call(callId);
    const reason = how === false ? "no-answer" : how;
    if (call.state === "leg1") this.calls.refuseLeg1(call, CALLING_REFUSAL[reason], this.now());
    else this.calls.refuse(call, CALLED_REFUSAL[reason], this.now());
    await this.notifier.idle();
    return call;
  }

  async hangupCall(callId: number, by: Side = "caller"): Promise<SimCall> {
    const call = this.call(callId);
    this.calls.hangup(call, by, this.now());
    await this.notifier.idle();
    return call;
  }

  /** The script for the next call_request_ext with this extid, or (without extid) the next ones in order. */
  scriptExtCall(script: ExtCallScript, extid?: string): void {
    if (extid !== undefined) this.extScriptsById.set(extid, script);
    else this.extScripts.push(script);
  }

  /** new_voicemail (10) for a user. */
  async newVoicemail(ext: string, from = ""): Promise<void> {
    const u = this.user(ext);
    if (!u) throw new Error(`no user ${ext}`);
    if (u.inModule) this.notifier.user("new_voicemail", ext, { number: from, datetime: this.time(this.now()) });
    await this.notifier.idle();
  }

  // ---- IVR -----------------------------------------------------------------------------------------

  /** A user calls an IVR (by its number or id) and stays on: feed its input with ivrInput({callid}). */
  async ivrCall(from: string, ivr: string | number): Promise<SimCall> {
    const target = typeof ivr === "number" ? this.state.ivrs.find((i) => i.id === ivr)?.number : ivr;
    if (target === undefined) throw new Error(`no IVR ${ivr}`);
    return this.placeCall(from, target, { hangupBy: null });
  }

  /** The caller keys `input` in an IVR call (callid), or a one-shot at ivrid/nodeid (§1.10's ivrInput). */
  async ivrInput(o: Parameters<IvrEngine["input"]>[0]): Promise<IvrOutcome> {
    const out = await this.ivr.input(o);
    await this.notifier.idle();
    return out;
  }

  // ---- HTTP ----------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readRaw(req);
    const url = new URL(req.url ?? "/", "http://sim");
    const method = req.method ?? "GET";
    const params = queryParams(url);
    const rec: VoispeedSimRequest = {
      at: this.now(),
      method,
      path: url.pathname,
      service: params.service ?? "",
      params,
      status: 200,
      outcome: null,
      body: "",
    };
    const send = (status: number, body: string, type: string) => {
      Object.assign(rec, { status, body });
      this.record(rec);
      res.writeHead(status, { "Content-Type": type }).end(body);
    };
    if (url.pathname.startsWith("/sim/")) {
      rec.service = url.pathname;
      const r = await control(this, url.pathname, params);
      return send(r.status, `${JSON.stringify(r.body)}\n`, "application/json");
    }
    if (url.pathname !== this.path) return send(404, "Not Found\n", "text/plain");
    const i = this.replyFaults.findIndex((f) => f.service === undefined || f.service === rec.service);
    const fault = i >= 0 ? this.replyFaults.splice(i, 1)[0].fault : undefined;
    if (fault) {
      rec.fault = fault.kind;
      if (fault.kind === "http") return send(fault.status, fault.body ?? "Internal Server Error\n", "text/html");
      if (fault.kind === "garbage") return send(200, fault.body, "text/xml; charset=UTF-8");
      if (fault.kind === "hang" || fault.kind === "drop") {
        rec.status = 0;
        this.record(rec);
        if (fault.kind === "drop") req.socket.destroy();
        return;
      }
      if (fault.kind === "delay") await sleep(fault.ms);
    }
    let reply: Reply;
    if (fault?.kind === "reject") reply = { outcome: "1", payload: [["error", fault.error]], error: fault.error };
    else reply = await answerRequest(this.ctx, method, rec, raw, String(req.headers["content-type"] ?? ""));
    Object.assign(rec, { outcome: reply.outcome, error: reply.error, requestId: reply.requestId });
    send(
      200,
      resultXml(reply.outcome, reply.payload, this.style, { padOutcome: reply.padOutcome }),
      "text/xml; charset=UTF-8",
    );
  }

  private record(rec: VoispeedSimRequest): void {
    this.requests.push(rec);
    this.onRequest?.(rec);
  }

  private call(callId: number): SimCall {
    const c = this.calls.get(callId);
    if (!c) throw new Error(`no call ${callId}`);
    return c;
  }

  private time(ms: number): string {
    const w = toWallTime(ms, this.o.timeZone);
    const two = (n: number) => String(n).padStart(2, "0");
    return `${w.year}-${two(w.month)}-${two(w.day)} ${two(w.hour)}:${two(w.minute)}:${two(w.second)}`;
  }

  private async enterIvr(call: SimCall): Promise<void> {
    if (call.state !== "active" || call.b.type !== ENTITY.ivr) return;
    await this.ivr.enter({ ivrid: call.b.id, callid: call.callId, calling: call.a.number, called: call.called.number });
  }

  private commandContext(): EndpointContext {
    return {
      token: this.token,
      time: (ms) => this.time(ms),
      state: this.state,
      phonebook: this.phonebook,
      calls: this.calls,
      entityOutcome: this.o.entityOutcome,
      moduleUser: (ext) => {
        const u = this.user(ext);
        if (!u?.inModule) throw new ServiceError(`user not found: ${ext}`);
        return u;
      },
      avStatus: (u) => this.avStatus(u),
      accept: (service, ext, run) => this.scheduler.accept(service, ext, run),
      clickToDial: async (u, number, extid) => {
        await playCall(this.host, this.calls.resolve(u.extension), this.calls.resolve(number), {
          ...this.callRequestScript,
          extid: extid || undefined,
        });
      },
      twoLeg: async (calling, called, extid, autoAnswer) => {
        const script = this.extScriptsById.get(extid) ?? this.extScripts.shift() ?? this.extCallScript;
        this.extScriptsById.delete(extid);
        await playTwoLeg(this.host, calling, called, script, { extid, autoAnswer });
      },
      now: () => this.now(),
    };
  }
}
