/**
 * @module cti/companion
 * The 24U Phone Companion compatible CTI server as one part of the appliance (`companion` config):
 * the TCP server and its channels, the phones file watcher, the phone directory, the monitors, and
 * what the staff API hands it: the phones' action-URL callbacks and a status for installers.
 *
 * A callback for extension E is accepted only from the IP the directory has for E's phone (the phone
 * MonitorStart pointed at us), so no other host, not even another phone, can put events on E's
 * channels; others get 403 and are counted.
 */
import type { CompanionConfig } from "../config/companion-schema.ts";
import { sameIp } from "../domain/phone.ts";
import type { Clock } from "../lib/clock.ts";
import { AppError } from "../lib/errors.ts";
import { LogBudget } from "../lib/log-budget.ts";
import type { Logger } from "../lib/logger.ts";
import { networkSet, unmapIPv4 } from "../lib/networks.ts";
import { actionUrlsFor } from "./callback-url.ts";
import { PhoneDirectory, type RoomPhoneLookup } from "./directory.ts";
import { MonitorHub, type PhoneEventParams } from "./monitor.ts";
import type { CtiPhone, PhoneControl, PhoneEvent } from "./phone-control.ts";
import { type PhonesFileStatus, PhonesFileWatcher } from "./phones-file.ts";
import { type ChannelStatus, CtiServer, type DropReason } from "./server.ts";

export interface CtiStatus {
  listen: string;
  /** The port listened on; null when not listening. */
  port: number | null;
  channels: ChannelStatus[];
  monitoredExtensions: number;
  /** Connections closed by the rules: refused (not in companion.networks), channels (cap), flood, slow-reader. */
  dropped: Record<DropReason, number>;
  commandsRefused: number;
  callbacks: { accepted: number; refused: number };
  eventsDelivered: number;
  phonesFile: PhonesFileStatus | null;
}

/** What the staff API calls (api/routes/cti.ts). */
export interface CtiCallbacks {
  /** A monitored phone's action URL. Throws AppError NOT_FOUND / FORBIDDEN. */
  phoneCallback(
    extension: string,
    event: PhoneEvent,
    params: PhoneEventParams,
    source: string | undefined,
  ): Promise<{ delivered: number }>;
  status(): CtiStatus;
}

export interface CompanionOptions {
  config: CompanionConfig;
  clock: Clock;
  logger: Logger;
  control: PhoneControl;
  /** A room's phone by the room's extension (stored `IP:port`). */
  roomPhone?: RoomPhoneLookup;
  /** The base URL (`http://host:port`) the phone reaches the appliance's API at. */
  callbackBase(phone: CtiPhone): Promise<string>;
  /** Tests read the phones file from elsewhere. */
  readPhonesFile?: (path: string) => Promise<string>;
  /** Tests shorten the phone request timeout. */
  requestTimeoutMs?: number;
  /** Tests lower the caps. */
  limits?: { maxChannels?: number; maxLineBytes?: number; maxQueuedLines?: number; maxOutputBytes?: number };
}

const DROP_MESSAGES: Record<DropReason, string> = {
  refused: "CTI connection from an address not in companion.networks refused",
  channels: "CTI connection refused: too many channels",
  flood: "CTI channel closed: too many commands waiting",
  "slow-reader": "CTI channel closed: the client does not read its replies and events",
};

export class Companion implements CtiCallbacks {
  readonly hub: MonitorHub;
  readonly directory: PhoneDirectory;
  readonly phonesFile: PhonesFileWatcher | undefined;
  private readonly server: CtiServer;
  private readonly budget: LogBudget;
  private readonly chains = new Map<string, Promise<unknown>>();
  private commandsRefused = 0;
  private readonly callbacks = { accepted: 0, refused: 0 };
  private readonly log: Logger;

  constructor(private readonly opts: CompanionOptions) {
    const { config, clock } = opts;
    this.log = opts.logger.child({ part: "cti" });
    this.budget = new LogBudget(this.log, clock);
    this.hub = new MonitorHub(clock);
    const listen = splitListen(config.listen ?? "127.0.0.1:0");
    this.phonesFile = config.phonesFile
      ? new PhonesFileWatcher({
          path: config.phonesFile,
          clock,
          logger: this.log,
          listenPort: listen.port,
          ...(opts.readPhonesFile ? { read: opts.readPhonesFile } : {}),
        })
      : undefined;
    const file = this.phonesFile;
    this.directory = new PhoneDirectory({
      ...(file ? { filePhone: (ext: string) => file.get(ext) } : {}),
      ...(opts.roomPhone ? { roomPhone: opts.roomPhone } : {}),
      logger: this.log,
    });
    const allowed = networkSet(config.networks);
    this.server = new CtiServer({
      host: listen.hostname,
      port: listen.port,
      logger: this.log,
      allow: (a) => allowed.contains(a),
      ...opts.limits,
      onDropped: (reason, address) => this.budget.warn(`cti-${reason}`, DROP_MESSAGES[reason], { address }),
      session: {
        directory: this.directory,
        control: opts.control,
        hub: this.hub,
        clock,
        ...(opts.requestTimeoutMs ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
        actionUrls: async (phone) => actionUrlsFor(await opts.callbackBase(phone), phone.extension),
        onRefused: (command, reason, extension) => {
          this.commandsRefused++;
          this.budget.info("cti-command-error", "CTI command answered ERROR", {
            command,
            reason,
            ...(extension ? { extension } : {}),
          });
        },
      },
    });
  }

  /** The port listened on, once started. */
  get port(): number | undefined {
    return this.server.port;
  }

  async start(): Promise<void> {
    await this.phonesFile?.start();
    try {
      await this.server.listen();
    } catch (err) {
      this.phonesFile?.stop();
      throw err;
    }
    this.log.info("CTI server (24U Phone Companion compatible) listening", {
      listen: this.opts.config.listen,
      port: this.server.port,
      networks: this.opts.config.networks,
    });
  }

  async stop(): Promise<void> {
    this.phonesFile?.stop();
    await this.server.close();
    this.budget.flush();
  }

  phoneCallback(
    extension: string,
    event: PhoneEvent,
    params: PhoneEventParams,
    source: string | undefined,
  ): Promise<{ delivered: number }> {
    // One extension's callbacks are handled in arrival order (the directory lookup is async).
    const prev = this.chains.get(extension) ?? Promise.resolve();
    const next = prev.then(
      () => this.admit(extension, event, params, source),
      () => this.admit(extension, event, params, source),
    );
    const tail = next.catch(() => {});
    this.chains.set(extension, tail);
    tail.then(() => {
      if (this.chains.get(extension) === tail) this.chains.delete(extension);
    });
    return next;
  }

  private async admit(
    extension: string,
    event: PhoneEvent,
    params: PhoneEventParams,
    source: string | undefined,
  ): Promise<{ delivered: number }> {
    const phone = await this.directory.resolve(extension);
    if (!phone) {
      this.refuseCallback(extension, source, "no phone is known for the extension");
      throw new AppError("NOT_FOUND", `no phone is known for extension ${extension}`);
    }
    if (source === undefined || !sameIp(unmapIPv4(source), phone.ip)) {
      this.refuseCallback(extension, source, "not from the extension's phone");
      throw new AppError("FORBIDDEN", `events for ${extension} are accepted from its phone only`);
    }
    this.callbacks.accepted++;
    return { delivered: this.hub.phoneEvent(extension, event, params) };
  }

  private refuseCallback(extension: string, source: string | undefined, reason: string): void {
    this.callbacks.refused++;
    this.budget.warn("cti-callback-refused", "CTI phone callback refused", { extension, source, reason });
  }

  status(): CtiStatus {
    return {
      listen: this.opts.config.listen ?? "",
      port: this.server.port ?? null,
      channels: this.server.channelStatus(),
      monitoredExtensions: this.hub.monitoredExtensions,
      dropped: { ...this.server.drops },
      commandsRefused: this.commandsRefused,
      callbacks: { ...this.callbacks },
      eventsDelivered: this.hub.delivered,
      phonesFile: this.phonesFile?.status() ?? null,
    };
  }
}

function splitListen(s: string): { hostname: string; port: number } {
  const i = s.lastIndexOf(":");
  let host = s.slice(0, i);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  return { hostname: host, port: Number(s.slice(i + 1)) };
}
