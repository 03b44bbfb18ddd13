/**
 * @module app/appliance
 * Wires one running appliance: store, PMS link, ingest and sender, PBX job runner, staff API.
 * Used by `bellhop serve` and by the integration tests, so both run the same assembly. Runtime
 * specifics (HTTP serving) come in as a function, keeping this file runtime-neutral.
 */
import { join, resolve } from "node:path";
import type { Hono } from "hono";
import { createApi } from "../api/app.ts";
import { type Config, srtpMode } from "../config/schema.ts";
import { assembleCompanion } from "../cti/assemble.ts";
import type { Companion } from "../cti/companion.ts";
import type { PhoneControl } from "../cti/phone-control.ts";
import { lampOf } from "../domain/pbx-ops.ts";
import { decideInboundCall } from "../inbound/dispatch.ts";
import { answerInboundCalls } from "../inbound/sip-inbound.ts";
import { PbxJobRunner, type RunnerLink } from "../jobs/runner.ts";
import { type Clock, systemClock } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { networkSet } from "../lib/networks.ts";
import { settlesWithin } from "../lib/within.ts";
import { systemTimeZone, toWallTime } from "../lib/zoned-time.ts";
import type { PbxDriver } from "../pbx/driver.ts";
import { createDriver } from "../pbx/factory.ts";
import { SipMwiDriver } from "../pbx/sip-mwi/driver.ts";
import { callbackNetworksOf } from "../pbx/voispeed/callbacks.ts";
import type { VoispeedDriver } from "../pbx/voispeed/driver.ts";
import type { FiasConnector } from "../pms/fias/connection.ts";
import { fiasAdapter } from "../pms/fias/events.ts";
import { framingOf } from "../pms/fias/frame.ts";
import { FiasLink, type FiasLinkOptions } from "../pms/fias/link.ts";
import { defaultLinkRecords } from "../pms/fias/link-records.ts";
import { SerialConnector } from "../pms/fias/serial.ts";
import { TcpClientConnector, TcpServerConnector } from "../pms/fias/tcp.ts";
import { promptsFolder } from "../runtime/paths.ts";
import { CallRecorder, type CallReportSource } from "../services/call-records.ts";
import type { ServiceContext } from "../services/context.ts";
import { reassertDnd } from "../services/dnd-refresh.ts";
import { refreshMwi } from "../services/mwi.ts";
import { MWI_LINK } from "../services/mwi-link.ts";
import { failPbxJobLater } from "../services/pbx-async.ts";
import { PmsIngest } from "../services/pms-ingest.ts";
import { PmsMonitor } from "../services/pms-monitor.ts";
import { PmsSender } from "../services/pms-sender.ts";
import { type VoispeedCallbackLink, VoispeedCallbacks } from "../services/voispeed-events.ts";
import { RtpPortPool } from "../sip/rtp/session.ts";
import { MwiSender } from "../sip/ua/mwi.ts";
import { SipPorts } from "../sip/ua/ports.ts";
import { openStore, type Store } from "../store/db.ts";
import { getMeta, setMeta } from "../store/meta.ts";
import { loadRoom, roomByExtension, roomPhone } from "../store/rooms.ts";
import { findToken } from "../store/tokens.ts";
import { PromptLibrary } from "../voice/prompt-library.ts";
import { recoverRecording } from "../voice/recorder.ts";
import { startVoicemailPurge, type VoicemailPurge } from "../voicemail/purge.ts";
import { reconcileVoicemail } from "../voicemail/reconcile.ts";
import type { WakeupDialer } from "../wakeup/dialer.ts";
import { WakeupScheduler } from "../wakeup/scheduler.ts";
import { SipWakeupDialer } from "../wakeup/sip-dialer.ts";

/** The runtime hands each request to `fetch` with the client's address as Hono's env. */
export type ServeFn = (
  fetch: (req: Request, env: { remoteAddress?: string }) => Response | Promise<Response>,
  opts: { hostname: string; port: number },
) => Promise<{ port: number; close(): Promise<void> }>;

export interface ApplianceOptions {
  config: Config;
  dataDir: string;
  migrationsFolder: string;
  /** Built-in voice prompts; default the repository's (or the binary's embedded) `prompts/`. */
  promptsFolder?: string;
  logger: Logger;
  version: string;
  clock?: Clock;
  /** Omit to run without HTTP (tests use `appliance.api.request`). */
  serve?: ServeFn;
  /** Tests substitute drivers by link name. */
  drivers?: Record<string, PbxDriver>;
  /** Tests replay captured PMS conversations over an in-memory connection instead of TCP. */
  connector?: FiasConnector;
  /** Tests shorten link timers. */
  link?: Partial<Pick<FiasLinkOptions, "initWaitMs" | "responseTimeoutMs" | "endWaitMs" | "backoff" | "linkGraceMs">>;
  synchronous?: "FULL" | "NORMAL";
  /** Tests drive the CTI server's phones with a fake; default the SNOM HTTP client. */
  phoneControl?: PhoneControl;
}

export interface Appliance {
  store: Store;
  ctx: ServiceContext;
  api: Hono;
  link: FiasLink;
  ingest: PmsIngest;
  sender: PmsSender;
  monitor: PmsMonitor;
  runner: PbxJobRunner;
  /** Undefined when SIP is off (no PBX configured). */
  sip: SipPorts | undefined;
  wakeups: WakeupScheduler;
  prompts: PromptLibrary;
  /**
   * Call records from the VOIspeed links' events, completed from each link driver's call reports;
   * undefined without a VOIspeed link. Tests replace the report source with `setReports`.
   */
  callRecords: CallRecorder | undefined;
  /** The 24U Phone Companion compatible CTI server; undefined while `companion.listen` is null. */
  cti: Companion | undefined;
  /** Where the API listens, when served. */
  apiPort?: number;
  /** True when the previous run ended without a clean stop. */
  recoveredFromCrash: boolean;
  stop(): Promise<void>;
}

const LOOPBACK = ["127.0.0.0/8", "::1/128"];

function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host.startsWith("127.") || host === "::1";
}

/**
 * systemd kills the process TimeoutStopSec (20 s) after SIGTERM. The stop steps share this much of it,
 * so the store is still closed in time; a step cut short makes the stop unclean (a resync follows).
 */
export const STOP_BUDGET_MS = 15_000;

export function splitHostPort(s: string): { hostname: string; port: number } {
  const i = s.lastIndexOf(":");
  let host = s.slice(0, i);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  return { hostname: host, port: Number(s.slice(i + 1)) };
}

export async function startAppliance(opts: ApplianceOptions): Promise<Appliance> {
  const { config, logger } = opts;
  const clock = opts.clock ?? systemClock;
  const timezone = config.site.timezone ?? systemTimeZone();
  const store = await openStore({
    dataDir: opts.dataDir,
    migrationsFolder: opts.migrationsFolder,
    synchronous: opts.synchronous,
  });

  // A run that did not reach a clean stop may have lost records in flight (FIAS over TCP has no
  // acknowledgement): ask the PMS for a resync as soon as the link is up.
  const recoveredFromCrash = await store.tx(async (tx) => {
    const unclean = (await getMeta(tx, "shutdown.clean")) === "0";
    if (unclean) await setMeta(tx, "pms.resyncWanted", "1");
    await setMeta(tx, "shutdown.clean", "0");
    return unclean;
  });
  if (recoveredFromCrash) logger.warn("previous run did not stop cleanly; a PMS resync will be requested");

  const enabledLinks = config.pbx.links.filter((l) => l.enabled);
  const runnerLinks: RunnerLink[] = [];
  let runner: PbxJobRunner | undefined;
  let sender: PmsSender | undefined;
  let scheduler: WakeupScheduler | undefined;
  const ctx: ServiceContext = {
    store,
    clock,
    logger,
    timezone,
    rooms: config.rooms,
    pms: { splitGuestName: config.pms.splitGuestName },
    phones: { ...config.phones, networks: networkSet(config.phones.networks) },
    pbxLinks: () => runnerLinks.map((l) => ({ name: l.name, type: l.type, capabilities: l.driver.capabilities })),
    hooks: {
      pbxJobsQueued: () => runner?.kick(),
      pmsOutboxQueued: () => sender?.kick(),
      wakeupsChanged: () => scheduler?.poke(),
      voicemailArchived: () => purge?.kick(),
    },
    voicemail: config.voicemail,
    voicemailDir: join(resolve(opts.dataDir), "voicemail"),
    snom: config.snom,
  };
  let purge: VoicemailPurge | undefined;
  // Before any call is answered: a recording a crash cut off becomes a message (or goes), and files
  // and rows agree again.
  const reconciled = await reconcileVoicemail(ctx, recoverRecording);
  if (reconciled.recovered.length || reconciled.discarded.length || reconciled.orphanFiles.length)
    logger.warn("voicemail reconciled after an unclean stop", {
      recovered: reconciled.recovered.length,
      discarded: reconciled.discarded.length,
      orphanFiles: reconciled.orphanFiles.length,
      missingFiles: reconciled.missingFiles.length,
    });

  for (const l of enabledLinks) {
    // The flag object is shared with the runner, so PATCH /api/v1/pbx/links/{name} reaches the driver.
    const debug = { on: l.debug };
    const driver =
      opts.drivers?.[l.name] ??
      (await createDriver(l, {
        logger: logger.child({ link: l.name }),
        debug: () => debug.on,
        timeZone: timezone,
        tenantName: config.site.name,
        // Drivers that reach each room's phone themselves (SNOM) read the room and its phone per op.
        rooms: { room: (number) => store.read((db) => loadRoom(db, number)) },
        snom: config.snom,
        vipLabels: config.rooms.vipLabels,
      }));
    runnerLinks.push({
      name: l.name,
      type: l.type,
      retries: l.retries,
      intervalSeconds: l.intervalSeconds,
      driver,
      debug,
      // A SNOM link talks to many phones: one that does not answer must not hold up the others.
      ...(l.type === "snom" ? { concurrency: l.concurrency } : {}),
    });
  }
  // SIP is on when a PBX is configured: the ports register there, and the built-in `sip-mwi` link
  // lights the room phones' message lamps (a persisted job per NOTIFY, paced and retried).
  const sip = config.sip.pbx.address
    ? new SipPorts({
        config: config.sip,
        clock,
        logger,
        allowAlso: (a) => ctx.phones.networks.contains(a),
        debug: () => config.log.level === "debug",
        userAgent: `bellhop/${opts.version}`,
        summaryFor: async (user) => {
          const number = await store.read((db) => roomByExtension(db, user));
          const room = number ? (await store.read((db) => loadRoom(db, number)))?.room : undefined;
          if (!room) return undefined;
          const domain = config.sip.pbx.domain ?? config.sip.bind;
          const lamp = lampOf(room);
          return {
            waiting: lamp.count > 0,
            account: `sip:${room.extension}@${domain}`,
            newMessages: lamp.count,
            oldMessages: lamp.old,
          };
        },
        mailboxPhoneOf: async (user) => {
          const number = await store.read((db) => roomByExtension(db, user));
          return number ? (await store.read((db) => roomPhone(db, number)))?.address : undefined;
        },
      })
    : undefined;
  if (sip) {
    const mwi = config.sip.mwi;
    runnerLinks.push({
      name: MWI_LINK,
      type: "sip-mwi",
      retries: mwi.retries,
      intervalSeconds: mwi.intervalSeconds,
      retryBackoff: true,
      ratePerSecond: mwi.ratePerSecond,
      concurrency: mwi.concurrency,
      driver:
        opts.drivers?.[MWI_LINK] ??
        new SipMwiDriver(
          new MwiSender(sip.endpoint, {
            domain: config.sip.pbx.domain ?? config.sip.bind,
            subscriptions: sip.subscriptions,
            phoneOf: (room) => store.read((db) => roomPhone(db, room)),
          }),
        ),
    });
  }
  // Wake-up calls go out on the SIP ports; without SIP nothing can ring, and a wake-up ends NR once
  // it is `wakeup.lateMinutes` late, so the PMS hears of it rather than nothing.
  const prompts = new PromptLibrary({
    builtinDir: opts.promptsFolder ?? promptsFolder(),
    customDir: join(opts.dataDir, "prompts"),
    logger,
  });
  const rtpPorts = new RtpPortPool(config.sip.media.portMin, config.sip.media.portMax);
  if (sip && srtpMode(config.sip) !== "off" && config.sip.local.transport !== "tls") {
    // SDES carries the SRTP keys in the SDP: without TLS anyone on the path reads them.
    logger.warn("sip.media.srtp is on over a transport without TLS: the SRTP keys travel in clear", {
      srtp: srtpMode(config.sip),
      transport: config.sip.local.transport,
    });
  }
  const dialer: WakeupDialer = sip
    ? new SipWakeupDialer({
        ports: sip,
        rtpPorts,
        bind: config.sip.bind,
        codecs: config.sip.media.codecs,
        srtp: srtpMode(config.sip),
        prompts,
        wakeup: config.wakeup,
        clock,
        logger,
      })
    : { freePorts: () => 0, call: async () => ({ outcome: "failed", detail: "SIP is off (sip.pbx.address)" }) };
  scheduler = new WakeupScheduler({ ctx, dialer, config: config.wakeup });
  const inbound = sip
    ? answerInboundCalls({
        ctx,
        ports: sip,
        rtpPorts,
        bind: config.sip.bind,
        codecs: config.sip.media.codecs,
        srtp: srtpMode(config.sip),
        prompts,
        ivr: config.ivr,
        clock,
        logger,
        decide: ({ info, port }) => decideInboundCall(ctx, config.ivr, info, port),
      })
    : undefined;

  runner = new PbxJobRunner(
    { store, clock, logger: logger.child({ part: "pbx" }), pollMs: config.pbx.pollMs },
    runnerLinks,
  );

  const ingest = new PmsIngest(
    ctx,
    fiasAdapter({ charset: config.pms.charset, splitGuestName: config.pms.splitGuestName }),
  );
  await ingest.init();
  const monitor = new PmsMonitor(ctx, config.pms.traceSize);
  const pmsLog = logger.child({ part: "pms" });
  const pms = config.pms;
  const pmsAllowed = networkSet(pms.allow ?? LOOPBACK);
  if (pms.mode === "server" && !pms.allow && !isLoopbackHost(pms.host))
    pmsLog.warn("pms.allow is not set: only loopback may connect; set it to the PMS's address", { host: pms.host });
  if (pms.transport === "serial" && !pms.serial.device)
    throw new Error('pms.transport "serial" needs pms.serial.device');
  const connector =
    opts.connector ??
    (pms.transport === "serial"
      ? new SerialConnector({
          device: pms.serial.device ?? "",
          baud: pms.serial.baud,
          dataBits: pms.serial.dataBits,
          parity: pms.serial.parity,
          stopBits: pms.serial.stopBits,
          clock,
          logger: pmsLog,
          maxFrameBytes: pms.maxFrameBytes,
        })
      : pms.mode === "client"
        ? new TcpClientConnector({ host: pms.host, port: pms.port, bind: pms.bind ?? undefined, logger: pmsLog })
        : new TcpServerConnector({
            host: pms.host,
            port: pms.port,
            logger: pmsLog,
            allow: (address) => pmsAllowed.contains(address),
            onRefused: (address) => link.refused(address),
          }));
  const link = new FiasLink({
    connector,
    clock,
    logger: pmsLog,
    charset: pms.charset,
    aliveSeconds: pms.aliveSeconds,
    // Serial FIAS is STX…ETX LRC whatever pms.framing says (the LRC layer needs ETX).
    framing: framingOf(pms.transport === "serial" ? "stx-etx" : pms.framing),
    linkGraceMs: pms.linkGraceSeconds * 1000,
    maxFrameBytes: pms.maxFrameBytes,
    maxGarbageBytesPerSecond: pms.maxGarbageBytesPerSecond,
    linkRecords: defaultLinkRecords({ syncRecords: pms.syncLinkRecords }),
    localTime: (ms) => toWallTime(ms, timezone),
    ...opts.link,
    handlers: {
      onRecord: (rec, raw) => ingest.receive(rec, raw),
      onState: (s) => monitor.onState(s),
      onTrace: (e) => {
        monitor.onTrace(e);
        // A rejected frame was logged by the link already, with its reason: once is enough.
        if (!e.error) pmsLog.debug("PMS frame", { dir: e.dir, text: e.text });
      },
      onReady: () => {
        sender?.kick();
        if (pms.resyncOnLink) monitor.requestResync("system").catch(() => {});
        else monitor.onReady().catch(() => {});
      },
    },
  });
  monitor.link = link;
  sender = new PmsSender(ctx, link);
  await sender.init();

  // What VOIspeed calls on the appliance (events, IVR script): the enabled VOIspeed links, each with
  // its key, who may call (callbackNetworks, else the PBX host's address) and its IVR nodes.
  const voispeedLinks: VoispeedCallbackLink[] = [];
  for (const l of enabledLinks) {
    if (l.type !== "voispeed") continue;
    let cidrs: string[] = [];
    try {
      cidrs = await callbackNetworksOf(l);
    } catch (err) {
      // Refuse everyone rather than guess; the error names the host and the key to set.
      logger.error("VOIspeed callbacks refused from everywhere", { link: l.name, error: errorMessage(err) });
    }
    voispeedLinks.push({ name: l.name, notifyKey: l.notifyKey, networks: networkSet(cidrs), ivrNodes: l.ivrNodes });
  }
  // A call's record is completed from its link's get_call_report / get_user_call_report.
  const reportsOf = (link: string): Pick<VoispeedDriver, "callReport" | "userCallReport"> => {
    const d = runnerLinks.find((r) => r.name === link)?.driver as Partial<VoispeedDriver> | undefined;
    if (!d?.callReport || !d.userCallReport) throw new Error(`link ${link} reads no call reports`);
    return d as VoispeedDriver;
  };
  const reports: CallReportSource = {
    callReport: (link, callId) => reportsOf(link).callReport(callId),
    userCallReport: (link, ext) => reportsOf(link).userCallReport(ext),
  };
  const callRecords = voispeedLinks.length ? new CallRecorder(ctx, { reports }) : undefined;
  const voispeed = callRecords
    ? new VoispeedCallbacks(ctx, { links: voispeedLinks, recorder: callRecords, failJob: failPbxJobLater })
    : undefined;

  // The CTI server (issue 14 §2): built before the API, which takes the phones' callbacks for it.
  const cti = config.companion.listen
    ? assembleCompanion({
        config,
        store,
        clock,
        logger,
        ...(opts.phoneControl ? { control: opts.phoneControl } : {}),
      })
    : undefined;

  const startedAt = clock.now();
  const api = createApi({
    ctx,
    version: opts.version,
    startedAt,
    pms: monitor,
    pbxStatus: () => (runner as PbxJobRunner).status(),
    setLinkDebug: (name, on) => (runner as PbxJobRunner).setDebug(name, on),
    sipPorts: () =>
      sip
        ? { ports: sip.status(), traffic: sip.traffic(), limits: sip.limits(), media: rtpPorts.media.snapshot() }
        : undefined,
    prompts,
    authenticate: (token) => store.read((db) => findToken(db, token)),
    ...(config.api.allow ? { allow: networkSet(config.api.allow) } : {}),
    counters: { requestsRefused: 0 },
    ...(voispeed ? { voispeed } : {}),
    ...(cti ? { cti } : {}),
  });

  let server: { port: number; close(): Promise<void> } | undefined;
  if (opts.serve) {
    const addr = splitHostPort(config.api.listen);
    server = await opts.serve(api.fetch, addr);
    logger.info("staff API listening", { address: addr.hostname, port: server.port });
  }
  // A CTI server that cannot listen (port taken) is logged, not fatal: the hotel's PMS link matters more.
  await cti?.start().catch((err) => logger.error("CTI server not started", { error: errorMessage(err) }));
  link.start();
  await runner.start();
  callRecords?.start();
  await reassertDnd(ctx).catch((err) => logger.error("DND re-assert failed", { error: errorMessage(err) }));
  if (sip) {
    await sip.start();
    // Phones may have missed lamp changes while we were down: bring every known phone up to date.
    await refreshMwi(ctx, "system").catch((err) => logger.error("MWI refresh failed", { error: errorMessage(err) }));
  }
  await scheduler.start();
  purge = startVoicemailPurge(ctx);
  logger.info("appliance started", { version: opts.version, timezone, pms: `${pms.mode} ${pms.host}:${pms.port}` });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info("appliance stopping");
      const steps: [string, () => Promise<unknown>][] = [
        ["api", async () => server?.close()],
        ["cti server", async () => cti?.stop()],
        // No new calls; the ports hang up the calls in flight, whose outcomes are still recorded
        // (a ringing call cut short is retried after the restart).
        ["wake-ups", () => (scheduler as WakeupScheduler).stop()],
        [
          "voicemail purge",
          async () => {
            purge?.stop();
            await purge?.idle();
          },
        ],
        // Inbound calls are ended (503, BYE, an unACKed answer given up), not awaited.
        ["inbound calls", async () => inbound?.stop()],
        ["sip ports", async () => sip?.stop()],
        ["wake-up outcomes", () => (scheduler as WakeupScheduler).settle(5000)],
        ["pms link", () => link.stop()],
        ["pms ingest", () => ingest.idle()],
        ["pms sender", () => (sender as PmsSender).idle()],
        ["pbx runner", () => (runner as PbxJobRunner).stop()],
        ["call records", async () => callRecords?.stop()],
      ];
      let clean = true;
      const deadline = Date.now() + STOP_BUDGET_MS;
      for (const [name, step] of steps) {
        try {
          // Real time, not the appliance's clock: systemd's timer is what runs out.
          if (!(await settlesWithin(step(), deadline - Date.now()))) {
            clean = false;
            logger.error("stop step did not finish in time; going on", { part: name });
          }
        } catch (err) {
          clean = false;
          logger.error("error while stopping", { part: name, error: errorMessage(err) });
        }
      }
      if (clean) await store.tx((tx) => setMeta(tx, "shutdown.clean", "1"));
      store.close();
      logger.info("appliance stopped", { clean });
    })();
    return stopping;
  };

  return {
    store,
    ctx,
    api,
    link,
    ingest,
    sender,
    monitor,
    runner,
    sip,
    wakeups: scheduler,
    prompts,
    callRecords,
    cti,
    apiPort: server?.port,
    recoveredFromCrash,
    stop,
  };
}
