/**
 * @module sim/snom/phone
 * One simulated SNOM desk phone on one HTTP listener (§2.9): authentication, the pages, calls, the
 * minibrowser, action URLs with `$variables`, faults, down/up and reboot, and a log of every request.
 * Scripting methods play the far end (incoming, remoteAnswer, remoteHangup) and the guest at the
 * phone (answer, hangup, hold, resume, dial, pressKey, pressSoftKey); `/sim/…` exposes them over HTTP
 * (control.ts). Settings are the source of truth: DND is dnd_mode, the lock keyboard_lock, the idle
 * text user_idle_text<n>, the credentials http_user / http_pass / http_scheme (on = Digest).
 */
import { randomBytes } from "node:crypto";
import { ActionSender } from "./actions.ts";
import { AuthGate, type AuthResult, type Credentials } from "./auth.ts";
import { CallBoard, CallStateError } from "./calls.ts";
import { control } from "./control.ts";
import { Faults, faultKind } from "./faults.ts";
import { type HttpPhone, handleRequest } from "./http.ts";
import { pressKey } from "./keypad.ts";
import { Listener } from "./listener.ts";
import { Minibrowser } from "./minibrowser.ts";
import {
  ACTION_SETTINGS,
  type ActionEvent,
  type EndReason,
  type Fault,
  type SnomCall,
  type SnomPhoneOptions,
  type SnomRequest,
} from "./model.ts";
import { Settings } from "./settings.ts";
import { expandVariables, isPrivateSetting, phoneVariable, type VariableContext } from "./variables.ts";

/** SNOM's factory list of numbers dialable under keyboard lock [3rd, unverified]. */
const EMERGENCY_DEFAULT = "911 112 110 999 19222";

export interface ListEntry {
  number: string;
  name: string;
  at: number;
}

export class SnomPhone implements HttpPhone {
  readonly settings: Settings;
  readonly calls: CallBoard;
  readonly browser: Minibrowser;
  readonly actions: ActionSender;
  readonly faults = new Faults();
  readonly requests: SnomRequest[] = [];
  /** Call lists, newest last (index.htm clears them). */
  readonly missed: ListEntry[] = [];
  readonly dialed: ListEntry[] = [];
  readonly received: ListEntry[] = [];
  /** line_login.htm?PLAY_RINGER:X plays. */
  readonly ringers: { ringer: number; at: number }[] = [];
  /** Which identities are registered, by number (1…identities). */
  readonly registered = new Map<number, boolean>();
  /** The handset (OFFHOOK / ONHOOK). */
  hook: "on" | "off" = "on";
  /** Digits typed while no call talks. */
  dialBuffer = "";
  /** Called after each request is answered (or left hanging). */
  onRequest?: (r: SnomRequest) => void;
  readonly mac: string;
  readonly identities: number;

  private readonly o: Required<Omit<SnomPhoneOptions, "user" | "password" | "auth" | "settings" | "phoneIp" | "now">>;
  private readonly now: () => number;
  private readonly gate: AuthGate;
  private readonly listener: Listener;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private phoneIp: string | undefined;
  private seq = 0;
  private closed = false;

  constructor(
    opts: SnomPhoneOptions = {},
    /** 1-based position in a simulator (log lines name it). */
    readonly index = 1,
  ) {
    this.o = {
      realm: opts.realm ?? "snom",
      nonceSeconds: opts.nonceSeconds ?? 300,
      extension: opts.extension ?? "101",
      domain: opts.domain ?? "pbx.hotel.test",
      mac: (opts.mac ?? "000413000001").replace(/[:-]/g, "").toUpperCase(),
      lines: opts.lines ?? 4,
      identities: Math.min(12, Math.max(1, opts.identities ?? 1)),
      actionTimeoutMs: opts.actionTimeoutMs ?? 5000,
      fetchTimeoutMs: opts.fetchTimeoutMs ?? 5000,
      rebootMs: opts.rebootMs ?? 200,
      remoteAnswerMs: opts.remoteAnswerMs ?? null,
      announce: opts.announce ?? true,
      uriVariables: opts.uriVariables ?? true,
      volatileUnstored: opts.volatileUnstored ?? false,
      control: opts.control ?? true,
    };
    this.mac = this.o.mac;
    this.identities = this.o.identities;
    this.phoneIp = opts.phoneIp;
    this.now = opts.now ?? Date.now;
    const user = opts.user ?? "";
    this.settings = new Settings({
      user_name1: this.o.extension,
      user_host1: this.o.domain,
      user_realname1: "",
      user_idle_text1: "",
      dnd_mode: "off",
      keyboard_lock: "off",
      keyboard_lock_emergency: EMERGENCY_DEFAULT,
      http_user: user,
      http_pass: user ? (opts.password ?? "") : "",
      http_scheme: opts.auth === "digest" ? "on" : "off",
      ...opts.settings,
    });
    this.gate = new AuthGate(this.o.realm, this.o.nonceSeconds * 1000, this.now);
    // Requests go out from the address the phone listens on, as a real phone's come from its IP.
    const from = () => this.listener.host;
    this.actions = new ActionSender(this.o.actionTimeoutMs, this.now, from);
    this.browser = new Minibrowser(this.o.fetchTimeoutMs, this.now, from);
    this.calls = new CallBoard(this.o.lines, {
      fire: (event, call) => this.callEvent(event, call),
      now: () => this.now(),
      newCallId: () => `${randomBytes(8).toString("hex")}@${this.ip}`,
    });
    this.listener = new Listener((req, res) => handleRequest(this, req, res));
    this.registerAll();
  }

  // ---- where it is ---------------------------------------------------------------------------------

  /** `$phone_ip`: the option, else the listening address (127.0.0.1 for a wildcard). */
  get ip(): string {
    if (this.phoneIp) return this.phoneIp;
    const h = this.listener.host;
    return h === "0.0.0.0" || h === "::" ? "127.0.0.1" : h;
  }

  get port(): number {
    return this.listener.port;
  }

  get url(): string {
    const h = this.listener.host.includes(":") ? `[${this.listener.host}]` : this.listener.host;
    return `http://${h}:${this.listener.port}`;
  }

  /** The listener is open (not down or rebooting). */
  get isUp(): boolean {
    return this.listener.listening;
  }

  get extension(): string {
    return this.settings.get("user_name1") ?? "";
  }

  async listen(port = 0, host = "127.0.0.1"): Promise<number> {
    this.closed = false;
    const p = await this.listener.listen(port, host);
    if (this.o.announce) this.announce();
    return p;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.browser.close();
    await this.listener.close();
  }

  /** Resolves when every action URL and minibrowser fetch started so far has finished. */
  async idle(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await this.browser.idle();
      await this.actions.idle();
    }
  }

  // ---- state ---------------------------------------------------------------------------------------

  get dnd(): boolean {
    return this.settings.on("dnd_mode");
  }

  get keyboardLock(): boolean {
    return this.settings.on("keyboard_lock");
  }

  /** The idle-screen text of an identity (user_idle_text<n>). */
  idleText(identity = 1): string {
    return this.settings.get(`user_idle_text${identity}`) ?? "";
  }

  get screen() {
    return this.browser.screen;
  }

  get leds() {
    return this.browser.leds;
  }

  get fetches() {
    return this.browser.fetches;
  }

  get fired() {
    return this.actions.fired;
  }

  get lastDialed(): string | null {
    return this.dialed[this.dialed.length - 1]?.number ?? null;
  }

  /** Unknown keys received over HTTP, in order. */
  get unknownKeys(): string[] {
    return this.requests.flatMap((r) => r.unknownKeys);
  }

  private credentials(): Credentials | null {
    const user = this.settings.get("http_user") ?? "";
    if (!user) return null;
    const scheme = this.settings.on("http_scheme") ? "digest" : "basic";
    return { user, password: this.settings.get("http_pass") ?? "", scheme };
  }

  // ---- the far end ---------------------------------------------------------------------------------

  /** A call arrives from `from`. It rings, or is refused at once (DND, nothing registered, no free line). */
  incoming(from: string, opts: { name?: string } = {}): SnomCall {
    const refuse: EndReason | null = this.dnd ? "dnd" : this.anyRegistered() ? null : "unavailable";
    return this.calls.incoming(from, opts.name ?? "", refuse);
  }

  /** The far end answers an outgoing call (default: the last one calling). */
  remoteAnswer(id?: number): SnomCall {
    const c = this.pick(id, () => this.last("calling"));
    this.calls.remoteAnswer(c);
    return c;
  }

  /** The far end hangs up or gives up (default: the talking call, else the last ringing or calling one). */
  remoteHangup(id?: number, opts: { cancelReason?: string; busy?: boolean } = {}): SnomCall {
    const c = this.pick(id, () => this.calls.talking() ?? this.last("ringing") ?? this.last("calling"));
    this.calls.end(c, opts.busy ? "busy" : "remote-hangup", opts.cancelReason ?? "");
    return c;
  }

  // ---- the guest at the phone -----------------------------------------------------------------------

  /** Picks up (default: the last ringing call), as OFFHOOK would, without a key press. */
  answer(id?: number): SnomCall {
    const c = this.pick(id, () => this.last("ringing"));
    this.calls.answer(c);
    return c;
  }

  /** Hangs up (default: the talking call, else the calling one). */
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

  /**
   * Dials. `local` (default): the guest at the keypad, refused under keyboard lock unless the number
   * is in keyboard_lock_emergency. Remote dialling (command.htm?number=) is never locked (ours).
   * Returns null when refused or no line is free.
   */
  dial(number: string, opts: { local?: boolean } = {}): SnomCall | null {
    if ((opts.local ?? true) && this.keyboardLock && !this.emergency(number)) return null;
    const call = this.calls.dial(number);
    if (!call) return null;
    if (this.o.remoteAnswerMs !== null) {
      this.later(this.o.remoteAnswerMs, () => {
        if (call.state === "calling") this.calls.remoteAnswer(call);
      });
    }
    return call;
  }

  /** A key press, as command.htm?key= (the name must be known). */
  pressKey(key: string): string {
    try {
      return pressKey(this, key);
    } catch (err) {
      if (err instanceof CallStateError) return err.message;
      throw err;
    }
  }

  pressSoftKey(which: string | number): Promise<void> {
    return this.browser.pressSoftKey(which);
  }

  setDnd(on: boolean): void {
    if (this.dnd === on) return;
    this.settings.set("dnd_mode", on ? "on" : "off");
    this.fire(on ? "dnd_on" : "dnd_off", null);
  }

  /** Called by the keypad when the handset goes up or down. */
  hookEvent(event: "offhook" | "onhook"): void {
    this.fire(event, null);
  }

  // ---- faults, down/up, reboot ----------------------------------------------------------------------

  /** The next `count` requests (to `fault.path`, if set) misbehave. Infinity: until clearFaults(). */
  fault(fault: Fault | Fault["kind"] | "timeout", count = 1): void {
    const f = typeof fault === "string" ? { kind: faultKind(fault) ?? "500" } : fault;
    this.faults.add(f, count);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /**
   * Closes the listener (connections dropped). `ms`: back up after that long. `boot`: a power
   * loss: calls, screen and unstored settings (if volatile) are lost, and coming up announces it.
   */
  async down(opts: { ms?: number; boot?: boolean } = {}): Promise<void> {
    if (opts.boot) this.powerLoss();
    await this.listener.close();
    if (opts.ms !== undefined) {
      this.later(opts.ms, () => {
        void this.up({ boot: opts.boot }).catch(() => undefined);
      });
    }
  }

  /** Reopens the listener on the same address and port; `boot`: fires setup and log-on. */
  async up(opts: { boot?: boolean } = {}): Promise<void> {
    if (this.closed || this.listener.listening) return;
    await this.listener.reopen();
    if (opts.boot) {
      this.registerAll();
      this.announce();
    }
  }

  /** advanced_update.htm?reboot=Reboot: down for rebootMs, then up with setup and log-on. */
  reboot(): void {
    void this.down({ boot: true, ms: this.o.rebootMs });
  }

  /** action_setup_url, then action_log_on_url for each registered identity (a booted phone). */
  announce(): void {
    this.fire("setup", null);
    for (const [n, on] of this.registered) if (on) this.fire("log_on", null, n);
  }

  // ---- pages (PagePhone) ----------------------------------------------------------------------------

  dialRemote(number: string, outgoingUri: string | null): string {
    const tp = this.calls.live.find((c) => c.transferPending);
    if (tp) {
      this.calls.blindTransfer(tp, number);
      return `call ${tp.id} transferred to ${number}`;
    }
    const call = this.dial(number, { local: false });
    const via = outgoingUri ? ` via ${outgoingUri}` : "";
    return call ? `dialled ${number}${via}: call ${call.id} calling` : `cannot dial ${number}: no free line`;
  }

  sendDtmf(digits: string): string {
    const t = this.calls.talking();
    if (!t) return `key_dtmf=${digits}: no talking call`;
    t.dtmf += digits;
    return `DTMF ${digits} on call ${t.id}`;
  }

  releaseAll(): string {
    const n = this.calls.live.length;
    this.calls.endAll("released");
    this.dialBuffer = "";
    return `released ${n} call(s)`;
  }

  logOff(identity: number | "all"): string {
    const which = identity === "all" ? [...this.registered.keys()] : [identity];
    const done: number[] = [];
    for (const n of which) {
      if (!this.registered.has(n)) return `no identity ${n}`;
      if (!this.registered.get(n)) continue;
      this.registered.set(n, false);
      this.fire("log_off", null, n);
      done.push(n);
    }
    return done.length ? `logged off identity ${done.join(", ")}` : "nothing to log off";
  }

  reRegister(identity: number): string {
    if (!this.registered.has(identity)) return `no identity ${identity}`;
    this.registered.set(identity, true);
    this.fire("log_on", null, identity);
    return `identity ${identity} registered`;
  }

  saveSettings(params: Record<string, string>, store: boolean): string[] {
    const wasDnd = this.dnd;
    const r = this.settings.save(params, store);
    const show = (name: string, v: string | undefined) => (isPrivateSetting(name) && v ? "***" : (v ?? ""));
    const out = r.changed.map((c) => `saved ${c.name}=${show(c.name, c.to)}${store ? " (stored)" : ""}`);
    if (r.unchanged.length) out.push(`unchanged ${r.unchanged.join(", ")}`);
    for (const x of r.refused) out.push(`refused ${x.name}=${x.value}: ${x.why}`);
    if (this.dnd !== wasDnd) this.fire(this.dnd ? "dnd_on" : "dnd_off", null);
    return out.length ? out : ["nothing to save"];
  }

  openMinibrowser(url: string): string {
    void this.browser.open(url, "push");
    return `minibrowser fetches ${url}`;
  }

  playRinger(ringer: number): string {
    this.ringers.push({ ringer, at: this.now() });
    return `ringer ${ringer} played`;
  }

  clearList(list: "missed" | "dialed" | "received"): string {
    this[list].length = 0;
    return `${list} list cleared`;
  }

  // ---- internals -----------------------------------------------------------------------------------

  /** A call event: the call lists follow it, then its action URL fires. */
  private callEvent(event: ActionEvent, call: SnomCall): void {
    if (event === "missed") this.missed.push(this.entry(call));
    else if (event === "outgoing") this.dialed.push(this.entry(call));
    else if (event === "connected" && call.direction === "in") this.received.push(this.entry(call));
    this.fire(event, call);
  }

  private anyRegistered(): boolean {
    return [...this.registered.values()].some(Boolean);
  }

  private registerAll(): void {
    for (let n = 1; n <= this.identities; n++) this.registered.set(n, !!this.settings.get(`user_name${n}`));
  }

  private powerLoss(): void {
    this.calls.endAll("reboot");
    this.browser.reset();
    this.hook = "on";
    this.dialBuffer = "";
    this.settings.reboot(this.o.volatileUnstored);
  }

  private emergency(number: string): boolean {
    return (this.settings.get("keyboard_lock_emergency") ?? "").split(/[\s,]+/).includes(number);
  }

  private entry(c: SnomCall): ListEntry {
    return { number: c.remote, name: c.remoteName, at: c.startedAt };
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

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  /** Fires the event's action URL setting(s), if set, with the variables expanded. */
  private fire(event: ActionEvent, call: SnomCall | null, identity = 1): void {
    for (const setting of ACTION_SETTINGS[event]) {
      const template = this.settings.get(setting);
      if (!template) continue;
      const ctx: VariableContext = {
        settings: this.settings,
        mac: this.mac,
        ip: this.ip,
        domain: this.o.domain,
        uriVariables: this.o.uriVariables,
        liveCalls: this.calls.live.length,
      };
      const { url, unknown } = expandVariables(template, (name) => phoneVariable(ctx, name, call, identity));
      this.actions.send({ event, setting, template, url, unknownVariables: unknown, call: call?.id ?? null });
    }
  }

  // ---- HTTP (http.ts) ------------------------------------------------------------------------------

  authenticate(method: string, target: string, header: string | undefined): AuthResult {
    return this.gate.check(this.credentials(), method, target, header);
  }

  /** A 401 challenge in the phone's current scheme (the 401 fault). */
  challenge(): string {
    return this.gate.challenge(this.credentials()?.scheme ?? "basic");
  }

  control(path: string, query: URLSearchParams): Promise<{ status: number; body: unknown }> | null {
    return this.o.control ? control(this, path, query) : null;
  }

  nextSeq(): number {
    return ++this.seq;
  }

  clock(): number {
    return this.now();
  }

  record(rec: SnomRequest): void {
    this.requests.push(rec);
    this.onRequest?.(rec);
  }
}
