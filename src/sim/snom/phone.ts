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
import type { ActionEvent, Fault, SnomCall, SnomPhoneOptions, SnomRequest } from "./model.ts";
import { fireAction } from "./phone-actions.ts";
import { CallScript } from "./phone-calls.ts";
import { Identities } from "./phone-identities.ts";
import { CallLists, type ListName } from "./phone-lists.ts";
import { dialRemote, saveReport, sendDtmf } from "./phone-pages.ts";
import { initialSettings, type PhoneConfig, phoneConfig } from "./phone-setup.ts";
import { Settings } from "./settings.ts";
import type { VariableContext } from "./variables.ts";

export type { ListEntry } from "./phone-lists.ts";

export class SnomPhone implements HttpPhone {
  private readonly lists = new CallLists();
  readonly settings: Settings;
  readonly calls: CallBoard;
  readonly browser: Minibrowser;
  readonly actions: ActionSender;
  readonly faults = new Faults();
  readonly requests: SnomRequest[] = [];
  /** Call lists, newest last (index.htm clears them). */
  readonly missed = this.lists.missed;
  readonly dialed = this.lists.dialed;
  readonly received = this.lists.received;
  /** line_login.htm?PLAY_RINGER:X plays. */
  readonly ringers = this.lists.ringers;
  /** Which identities are registered, by number (1…identities). */
  readonly registered: Identities["registered"];
  /** The handset (OFFHOOK / ONHOOK). */
  hook: "on" | "off" = "on";
  /** Digits typed while no call talks. */
  dialBuffer = "";
  /** Called after each request is answered (or left hanging). */
  onRequest?: (r: SnomRequest) => void;
  readonly mac: string;
  readonly identities: number;

  private readonly o: PhoneConfig;
  private readonly now: () => number;
  private readonly gate: AuthGate;
  private readonly ids: Identities;
  private readonly script: CallScript;
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
    this.o = phoneConfig(opts);
    this.mac = this.o.mac;
    this.identities = this.o.identities;
    this.phoneIp = opts.phoneIp;
    this.now = opts.now ?? Date.now;
    this.settings = new Settings(initialSettings(opts, this.o));
    this.ids = new Identities(this.identities, this.settings, (event, n) => this.fire(event, null, n));
    this.registered = this.ids.registered;
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
    this.script = new CallScript(this.calls, this, {
      anyRegistered: () => this.ids.any(),
      remoteAnswerMs: this.o.remoteAnswerMs,
      later: (ms, fn) => this.later(ms, fn),
    });
    this.listener = new Listener((req, res) => handleRequest(this, req, res));
    this.ids.registerAll();
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
    return this.lists.lastDialed;
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
    return this.script.incoming(from, opts.name ?? "");
  }

  /** The far end answers an outgoing call (default: the last one calling). */
  remoteAnswer(id?: number): SnomCall {
    return this.script.remoteAnswer(id);
  }

  /** The far end hangs up or gives up (default: the talking call, else the last ringing or calling one). */
  remoteHangup(id?: number, opts: { cancelReason?: string; busy?: boolean } = {}): SnomCall {
    return this.script.remoteHangup(id, opts);
  }

  // ---- the guest at the phone -----------------------------------------------------------------------

  /** Picks up (default: the last ringing call), as OFFHOOK would, without a key press. */
  answer(id?: number): SnomCall {
    return this.script.answer(id);
  }

  /** Hangs up (default: the talking call, else the calling one). */
  hangup(id?: number): SnomCall {
    return this.script.hangup(id);
  }

  hold(id?: number): SnomCall {
    return this.script.hold(id);
  }

  resume(id?: number): SnomCall {
    return this.script.resume(id);
  }

  /**
   * Dials. `local` (default): the guest at the keypad, refused under keyboard lock unless the number
   * is in keyboard_lock_emergency. Remote dialling (command.htm?number=) is never locked (ours).
   * Returns null when refused or no line is free.
   */
  dial(number: string, opts: { local?: boolean } = {}): SnomCall | null {
    return this.script.dial(number, opts.local ?? true);
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
      this.ids.registerAll();
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
    this.ids.announce();
  }

  // ---- pages (PagePhone) ----------------------------------------------------------------------------

  dialRemote(number: string, outgoingUri: string | null): string {
    return dialRemote(this.calls, (n) => this.dial(n, { local: false }), number, outgoingUri);
  }

  sendDtmf(digits: string): string {
    return sendDtmf(this.calls, digits);
  }

  releaseAll(): string {
    const n = this.calls.live.length;
    this.calls.endAll("released");
    this.dialBuffer = "";
    return `released ${n} call(s)`;
  }

  logOff(identity: number | "all"): string {
    return this.ids.logOff(identity);
  }

  reRegister(identity: number): string {
    return this.ids.reRegister(identity);
  }

  saveSettings(params: Record<string, string>, store: boolean): string[] {
    const wasDnd = this.dnd;
    const report = saveReport(this.settings.save(params, store), store);
    if (this.dnd !== wasDnd) this.fire(this.dnd ? "dnd_on" : "dnd_off", null);
    return report;
  }

  openMinibrowser(url: string): string {
    void this.browser.open(url, "push");
    return `minibrowser fetches ${url}`;
  }

  playRinger(ringer: number): string {
    return this.lists.playRinger(ringer, this.now());
  }

  clearList(list: ListName): string {
    return this.lists.clear(list);
  }

  // ---- internals -----------------------------------------------------------------------------------

  /** A call event: the call lists follow it, then its action URL fires. */
  private callEvent(event: ActionEvent, call: SnomCall): void {
    this.lists.note(event, call);
    this.fire(event, call);
  }

  private powerLoss(): void {
    this.calls.endAll("reboot");
    this.browser.reset();
    this.hook = "on";
    this.dialBuffer = "";
    this.settings.reboot(this.o.volatileUnstored);
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
    fireAction(this.actions, this.settings, () => this.variables(), event, call, identity);
  }

  private variables(): VariableContext {
    const { domain, uriVariables } = this.o;
    return {
      settings: this.settings,
      mac: this.mac,
      ip: this.ip,
      domain,
      uriVariables,
      liveCalls: this.calls.live.length,
    };
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
