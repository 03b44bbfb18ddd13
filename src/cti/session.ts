/**
 * @module cti/session
 * One CTI channel's conversation, without the socket: a parsed command in, the reply out (after the
 * phone answered, for the commands that drive one), and the channel's own monitored extensions.
 *
 * - `STLI[;…]` → `error_ind SUCCESS STLI` (a `DeviceInformation=Off` option drops the
 *   DeviceInformation lines on this channel). Commands before the handshake are served too.
 * - `MakeCall A B`: A's phone dials B. `AnswerCall`, `ClearConnection`, `HoldCall`, `RetrieveCall`,
 *   `TransferCall`: a key on E's phone (phone-control.ts). SUCCESS once the phone accepted the
 *   request; ERROR for an extension no phone is known for, a phone that refused or did not answer
 *   in time, a malformed line.
 * - `TransferCall E` then `MakeCall E T` within a minute: the MakeCall completes the transfer (24U).
 * - `MonitorStart E`: E's phone is pointed at the appliance (its action URLs), then the channel gets
 *   E's events. `MonitorStop E`: no more events for E on this channel (the phone is not asked
 *   anything; its callbacks for an extension nobody monitors are dropped). SUCCESS for any known
 *   extension, monitored or not.
 * - A JSON object: `error_ind ERROR RawCommand` (no provider REST API is proxied).
 */
import type { Clock } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import type { PhoneDirectory } from "./directory.ts";
import type { EventSink, MonitorHub } from "./monitor.ts";
import { type ActionUrls, CTI_KEYS, type CtiPhone, type PhoneControl } from "./phone-control.ts";
import { type Command, type DeviceCommand, type EncodedEvent, reply } from "./protocol.ts";

/** How long after TransferCall a MakeCall from the same phone completes the transfer. */
const TRANSFER_MS = 60_000;

export interface SessionDeps {
  directory: PhoneDirectory;
  control: PhoneControl;
  hub: MonitorHub;
  clock: Clock;
  /** The action URLs that point a phone's events at the appliance (throws when that is unknown). */
  actionUrls(phone: CtiPhone): ActionUrls | Promise<ActionUrls>;
  /** A phone request that takes longer counts as failed (the control has its own timeout too). */
  requestTimeoutMs?: number;
  /** A command answered ERROR, and why (for budgeted logging and counters). */
  onRefused?(command: string, reason: string, extension?: string): void;
}

export interface SessionReply {
  text: string;
  /** Close the channel once the reply is written (BYE). */
  close?: boolean;
}

/** The channel's side the session writes events to. */
export interface SessionOutput {
  write(text: string): void;
}

export class ChannelSession implements EventSink {
  /** Extensions this channel monitors. */
  readonly monitored = new Set<string>();
  private deviceInformation = true;
  private handshake = false;
  private readonly transfers = new Map<string, number>();
  private ended = false;

  constructor(
    private readonly deps: SessionDeps,
    private readonly out: SessionOutput,
  ) {}

  /** Whether the client has sent its STLI handshake. */
  get greeted(): boolean {
    return this.handshake;
  }

  deliver(ev: EncodedEvent): void {
    if (this.ended) return;
    this.out.write(this.deviceInformation ? ev.standard : ev.off);
  }

  /** The channel closed: its monitors end. */
  end(): void {
    this.ended = true;
    for (const ext of this.monitored) this.deps.hub.unsubscribe(ext, this);
    this.monitored.clear();
  }

  /** The reply to a command; a Promise when a phone must answer first. Undefined: no reply (blank line). */
  handle(cmd: Command): SessionReply | Promise<SessionReply> | undefined {
    switch (cmd.kind) {
      case "empty":
        return undefined;
      case "stli":
        this.handshake = true;
        if (cmd.deviceInformation) this.deviceInformation = cmd.deviceInformation !== "Off";
        return { text: reply(true, "STLI") };
      case "bye":
        return { text: reply(true, "BYE"), close: true };
      case "raw":
        this.deps.onRefused?.("RawCommand", "no provider REST API is proxied");
        return { text: reply(false, "RawCommand") };
      case "invalid":
        this.deps.onRefused?.(cmd.name, cmd.reason);
        return { text: reply(false, cmd.name) };
      case "device":
        return this.device(cmd);
    }
  }

  private async device(cmd: DeviceCommand): Promise<SessionReply> {
    const ok = await this.run(cmd).then(
      () => true,
      (err) => {
        this.deps.onRefused?.(cmd.name, errorMessage(err), cmd.device);
        return false;
      },
    );
    return { text: reply(ok, cmd.name) };
  }

  private async run(cmd: DeviceCommand): Promise<void> {
    const { directory, control, hub } = this.deps;
    const ext = cmd.device;
    if (cmd.name === "MonitorStop") {
      if (!this.monitored.has(ext) && !(await directory.resolve(ext))) throw new Error(`no phone for ${ext}`);
      this.monitored.delete(ext);
      hub.unsubscribe(ext, this);
      return;
    }
    const phone = await directory.resolve(ext);
    if (!phone) throw new Error(`no phone for ${ext}`);
    switch (cmd.name) {
      case "MakeCall": {
        const at = this.transfers.get(ext);
        const transfer = at !== undefined && this.deps.clock.now() - at <= TRANSFER_MS;
        this.transfers.delete(ext);
        await this.request(control.dial(phone, cmd.number, transfer ? { transfer: true } : undefined));
        hub.madeCall(ext, cmd.number);
        return;
      }
      case "AnswerCall":
        return this.request(control.pressKey(phone, CTI_KEYS.AnswerCall));
      case "ClearConnection":
        await this.request(control.pressKey(phone, CTI_KEYS.ClearConnection));
        hub.clearedByCommand(ext);
        return;
      case "HoldCall":
      case "RetrieveCall":
        if (hub.holdWouldToggleWrongWay(ext, cmd.name))
          throw new Error(cmd.name === "HoldCall" ? "the call is held already" : "no call is held");
        return this.request(control.pressKey(phone, CTI_KEYS[cmd.name]));
      case "TransferCall":
        await this.request(control.pressKey(phone, CTI_KEYS.TransferCall));
        this.transfers.set(ext, this.deps.clock.now());
        return;
      case "MonitorStart": {
        const urls = await this.deps.actionUrls(phone);
        await this.request(control.setActionUrls(phone, urls));
        if (this.ended) return;
        this.monitored.add(ext);
        hub.subscribe(ext, this);
        return;
      }
    }
  }

  /** The phone's answer, or a failure when it takes longer than the request timeout. */
  private request(p: Promise<void>): Promise<void> {
    const { clock } = this.deps;
    const ms = this.deps.requestTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const timer = clock.setTimeout(() => reject(new Error(`the phone did not answer within ${ms} ms`)), ms);
      p.then(
        () => {
          clock.clearTimeout(timer);
          resolve();
        },
        (err) => {
          clock.clearTimeout(timer);
          reject(err);
        },
      );
    });
  }
}
