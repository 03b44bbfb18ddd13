/**
 * @module app/appliance
 * Wires one running appliance: store, PMS side, PBX job runner, SIP and voice, staff API, in the
 * order they must start and stop. Each part is assembled in its own file (pms-side, pbx-links,
 * voice-side, voispeed-side); this one holds the order. Used by `bellhop serve` and by the
 * integration tests, so both run the same assembly. Runtime specifics (HTTP serving) come in as a
 * function, keeping this file runtime-neutral.
 */
import { join, resolve } from "node:path";
import type { Hono } from "hono";
import { createApi } from "../api/app.ts";
import type { ApiDeps } from "../api/deps.ts";
import type { Config } from "../config/schema.ts";
import { assembleCompanion } from "../cti/assemble.ts";
import type { Companion } from "../cti/companion.ts";
import type { PhoneControl } from "../cti/phone-control.ts";
import { startNightlyBackup } from "../jobs/backup-nightly.ts";
import { PbxJobRunner, type RunnerLink } from "../jobs/runner.ts";
import { type Clock, systemClock } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { LoopLag } from "../lib/loop-lag.ts";
import { networkSet } from "../lib/networks.ts";
import { systemTimeZone } from "../lib/zoned-time.ts";
import type { PbxDriver } from "../pbx/driver.ts";
import type { FiasConnector } from "../pms/fias/connection.ts";
import type { FiasLinkOptions } from "../pms/fias/link.ts";
import type { PmsLink } from "../pms/port.ts";
import { promptsFolder } from "../runtime/paths.ts";
import { chargeCompletedCall, chargePendingCalls } from "../services/call-charges.ts";
import type { CallRecorder } from "../services/call-records.ts";
import type { ServiceContext } from "../services/context.ts";
import { reassertDnd } from "../services/dnd-refresh.ts";
import { refreshMwi } from "../services/mwi.ts";
import type { PmsIngest } from "../services/pms-ingest.ts";
import type { PmsMonitor } from "../services/pms-monitor.ts";
import type { PmsSender } from "../services/pms-sender.ts";
import type { PostingSender } from "../services/posting-sender.ts";
import type { SipPorts } from "../sip/ua/ports.ts";
import { openStore, type Store } from "../store/db.ts";
import { getMeta, setMeta } from "../store/meta.ts";
import { findToken } from "../store/tokens.ts";
import { PromptLibrary } from "../voice/prompt-library.ts";
import { recoverRecording } from "../voice/recorder.ts";
import { startVoicemailPurge, type VoicemailPurge } from "../voicemail/purge.ts";
import { reconcileVoicemail } from "../voicemail/reconcile.ts";
import { WakeupScheduler } from "../wakeup/scheduler.ts";
import { liveDoctor, serveMetricsListener } from "./observe-side.ts";
import { addConfiguredLinks, sipMwiLink } from "./pbx-links.ts";
import { assemblePmsSide } from "./pms-side.ts";
import { runStopSteps, type StopStep } from "./stop.ts";
import { assembleVoiceCalls, createSipPorts } from "./voice-side.ts";
import { assembleVoispeed } from "./voispeed-side.ts";

export { STOP_BUDGET_MS } from "./stop.ts";

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
  /**
   * Gives a burst's memory back (a full collection; the runtime's): run once started and after each
   * PMS resync has been applied, never on a timer (it stalls the loop a few ms).
   */
  trimMemory?: () => void;
  /** Called once, after the start-up sweeps (the binary settles its JIT policy: runtime/jit-policy.ts). */
  afterStartup?: () => void;
}

export interface Appliance {
  store: Store;
  ctx: ServiceContext;
  api: Hono;
  link: PmsLink;
  ingest: PmsIngest<unknown>;
  sender: PmsSender;
  /** Postings to the PMS (call charges, minibar), one in flight. */
  postings: PostingSender;
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
  /** The event loop's lag (GET /metrics; the systemd watchdog feeds only while it is low). */
  loopLag: LoopLag;
  stop(): Promise<void>;
}

/** How often call records without a charging decision are looked for again. */
const CHARGE_SWEEP_MS = 3_600_000;
/** After the start, before the start-up sweeps: long enough for a health check waiting on the port. */
const AFTER_START_MS = 250;

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

  const runnerLinks: RunnerLink[] = [];
  let runner: PbxJobRunner | undefined;
  let sender: PmsSender | undefined;
  let postings: PostingSender | undefined;
  let scheduler: WakeupScheduler | undefined;
  let purge: VoicemailPurge | undefined;
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
      postingsQueued: () => postings?.kick(),
      postingAnswered: (answer) => postings?.answered(answer),
      callRecordCompleted: (id) => void chargeCompletedCall(ctx, id),
      wakeupsChanged: () => scheduler?.poke(),
      voicemailArchived: () => purge?.kick(),
    },
    voicemail: config.voicemail,
    voicemailDir: join(resolve(opts.dataDir), "voicemail"),
    snom: config.snom,
    postings: config.postings,
  };
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

  const linkOpts = { config, store, logger, timezone, drivers: opts.drivers };
  await addConfiguredLinks(runnerLinks, linkOpts);
  const voiceOpts = { config, ctx, clock, logger, version: opts.version };
  const sip = createSipPorts(voiceOpts);
  if (sip) runnerLinks.push(sipMwiLink(linkOpts, sip));
  const prompts = new PromptLibrary({
    builtinDir: opts.promptsFolder ?? (await promptsFolder()),
    customDir: join(opts.dataDir, "prompts"),
    logger,
  });
  const { rtpPorts, dialer, inbound } = assembleVoiceCalls(voiceOpts, sip, prompts);
  scheduler = new WakeupScheduler({ ctx, dialer, config: config.wakeup });
  runner = new PbxJobRunner(
    { store, clock, logger: logger.child({ part: "pbx" }), pollMs: config.pbx.pollMs },
    runnerLinks,
  );

  const pmsSide = await assemblePmsSide({
    config,
    ctx,
    clock,
    logger,
    timezone,
    connector: opts.connector,
    link: opts.link,
    afterResync: opts.trimMemory,
  });
  const { link, ingest, monitor } = pmsSide;
  sender = pmsSide.sender;
  postings = pmsSide.postings;

  const { callRecords, voispeed } = await assembleVoispeed(config, ctx, logger, runnerLinks);

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
  const loopLag = new LoopLag().start();
  const apiDeps: ApiDeps = {
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
    metrics: config.metrics,
    loopLag,
    doctor: () => liveDoctor({ config, dataDir: opts.dataDir, store, deps: apiDeps }),
  };
  const api = createApi(apiDeps);

  let server: { port: number; close(): Promise<void> } | undefined;
  if (opts.serve) {
    const addr = splitHostPort(config.api.listen);
    server = await opts.serve(api.fetch, addr);
    logger.info("staff API listening", { address: addr.hostname, port: server.port });
  }
  const metricsServer =
    opts.serve && config.metrics.listen
      ? await serveMetricsListener(opts.serve, splitHostPort(config.metrics.listen), apiDeps, logger)
      : undefined;
  // A CTI server that cannot listen (port taken) is logged, not fatal: the hotel's PMS link matters more.
  await cti?.start().catch((err) => logger.error("CTI server not started", { error: errorMessage(err) }));
  link.start();
  await runner.start();
  callRecords?.start();
  // Call records a crash or a store error left without a charging decision; then once an hour.
  const chargeSweep = () =>
    chargePendingCalls(ctx).catch((err) => logger.error("call charging sweep failed", { error: errorMessage(err) }));
  const sweepTimer = setInterval(() => void chargeSweep(), CHARGE_SWEEP_MS);
  sweepTimer.unref?.();
  // The rooms in DND as the start found them (not later: a room put in DND after the start has its
  // own job). One query of the DND rooms: reading and mapping all 2,000 rooms for it kept the first
  // health 200 waiting ~65 ms.
  await reassertDnd(ctx).catch((err) => logger.error("DND re-assert failed", { error: errorMessage(err) }));
  if (sip) {
    await sip.start();
    // Phones may have missed lamp changes while we were down: bring every known phone up to date.
    await refreshMwi(ctx, "system").catch((err) => logger.error("MWI refresh failed", { error: errorMessage(err) }));
  }
  await scheduler.start();
  purge = startVoicemailPurge(ctx);
  const nightlyBackup = startNightlyBackup({
    dataDir: opts.dataDir,
    backup: config.backup,
    timezone,
    clock,
    logger,
    appVersion: opts.version,
  });
  // Start-up work nothing waits for, once the first requests got their answer: a chain of database
  // calls holds the event loop while it runs (issue 16 §6, start ≤ 150 ms).
  let afterStart: Promise<void> | undefined;
  const afterStartTimer = setTimeout(() => {
    afterStart = (async () => {
      await chargeSweep();
      opts.trimMemory?.();
      opts.afterStartup?.();
    })();
  }, AFTER_START_MS);
  const pms = config.pms;
  logger.info("appliance started", { version: opts.version, timezone, pms: `${pms.mode} ${pms.host}:${pms.port}` });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info("appliance stopping");
      const steps: StopStep[] = [
        [
          "start-up sweeps",
          async () => {
            clearTimeout(afterStartTimer);
            await afterStart;
          },
        ],
        ["api", async () => server?.close()],
        [
          "metrics",
          async () => {
            loopLag.stop();
            await metricsServer?.close();
          },
        ],
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
        // A posting in flight gets up to 5 s for its PA (applied by the ingest, so before the link goes).
        [
          "postings",
          async () => {
            clearInterval(sweepTimer);
            await pmsSide.postings.stop(5000);
          },
        ],
        ["pms link", () => link.stop()],
        [
          "pms ingest",
          () => {
            ingest.stop();
            return ingest.idle();
          },
        ],
        ["pms sender", () => (sender as PmsSender).idle()],

        ["pbx runner", () => (runner as PbxJobRunner).stop()],
        ["call records", async () => callRecords?.stop()],
        [
          "nightly backup",
          () => {
            nightlyBackup.stop();
            return nightlyBackup.idle();
          },
        ],
      ];
      const clean = await runStopSteps(steps, logger);
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
    postings: pmsSide.postings,
    monitor,
    runner,
    sip,
    wakeups: scheduler,
    prompts,
    callRecords,
    cti,
    apiPort: server?.port,
    recoveredFromCrash,
    loopLag,
    stop,
  };
}
