/**
 * @module app/pms-side
 * The PMS half of the appliance: the protocol's link over its transport (TCP either way, or
 * RS-232), the ingest that stores and applies what arrives, the monitor the API reads, and the
 * outbox sender. Chosen here from `pms.protocol` and `pms.transport`, so adding a protocol touches
 * its own folder, the config schema and this file.
 */
import type { Config } from "../config/schema.ts";
import { MoveWindow } from "../domain/move-window.ts";
import type { PmsAdapter } from "../domain/pms-events.ts";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/logger.ts";
import { networkSet } from "../lib/networks.ts";
import { toWallTime } from "../lib/zoned-time.ts";
import type { FiasConnector } from "../pms/fias/connection.ts";
import { fiasAdapter } from "../pms/fias/events.ts";
import { framingOf } from "../pms/fias/frame.ts";
import { FiasLink, type FiasLinkOptions } from "../pms/fias/link.ts";
import { defaultLinkRecords } from "../pms/fias/link-records.ts";
import { postingLinkRecords } from "../pms/fias/posting-link-records.ts";
import { SerialConnector } from "../pms/fias/serial.ts";
import { TcpClientConnector, TcpServerConnector } from "../pms/fias/tcp.ts";
import { mitelAdapter } from "../pms/mitel/adapter.ts";
import { MitelLink } from "../pms/mitel/link.ts";
import { mitelProfile } from "../pms/mitel/profiles.ts";
import { MitelSerialConnector } from "../pms/mitel/serial.ts";
import type { PmsLink, PmsLinkHandlers } from "../pms/port.ts";
import type { ServiceContext } from "../services/context.ts";
import { PmsIngest } from "../services/pms-ingest.ts";
import { PmsMonitor } from "../services/pms-monitor.ts";
import { PmsSender } from "../services/pms-sender.ts";
import { PostingSender } from "../services/posting-sender.ts";

const LOOPBACK = ["127.0.0.0/8", "::1/128"];

function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host.startsWith("127.") || host === "::1";
}

export interface PmsSideOptions {
  config: Config;
  ctx: ServiceContext;
  clock: Clock;
  logger: Logger;
  timezone: string;
  /** Tests replay captured PMS conversations over an in-memory connection instead of TCP. */
  connector?: FiasConnector;
  /** Tests shorten link timers. */
  link?: Partial<Pick<FiasLinkOptions, "initWaitMs" | "responseTimeoutMs" | "endWaitMs" | "backoff" | "linkGraceMs">>;
  /** Runs once a resync's records are all applied (the app gives the burst's memory back). */
  afterResync?: () => void;
}

export interface PmsSide {
  link: PmsLink;
  ingest: PmsIngest<unknown>;
  monitor: PmsMonitor;
  sender: PmsSender;
  /** Charges to the PMS, one in flight (FIAS PS/PA). */
  postings: PostingSender;
}

/** The PMS link, not started yet; ingest replayed and sender settled after an unclean stop. */
export async function assemblePmsSide(o: PmsSideOptions): Promise<PmsSide> {
  const { config, ctx, clock } = o;
  const pms = config.pms;
  const log = o.logger.child({ part: "pms" });
  const mitel = pms.protocol === "mitel";
  const profile = mitelProfile(pms.mitel.profile, pms.mitel.roomWidth);
  let ingest: PmsIngest<unknown> | undefined;
  const adapter: PmsAdapter<unknown> = mitel
    ? mitelAdapter({
        profile,
        charset: pms.charset,
        ...(pms.mitel.maidStatus ? { maidStatus: pms.mitel.maidStatus } : {}),
        resyncActive: () => ingest?.resyncActive ?? false,
      })
    : fiasAdapter({ charset: pms.charset, splitGuestName: pms.splitGuestName });
  ctx.pms.adapter = adapter;
  // Mitel has no move message: a check-out and a check-in of one name within the window are a move.
  const moveWindow =
    mitel && pms.mitel.moveWindowSeconds > 0
      ? new MoveWindow({ windowMs: pms.mitel.moveWindowSeconds * 1000 })
      : undefined;
  ingest = new PmsIngest<unknown>(ctx, adapter, { moveWindow });
  await ingest.init();
  const monitor = new PmsMonitor(ctx, pms.traceSize);
  let sender: PmsSender | undefined;
  let postings: PostingSender | undefined;

  const handlers: PmsLinkHandlers<unknown> = {
    onRecord: (rec, raw) => ingest.receive(rec, raw),
    onState: (s) => {
      const wasResync = monitor.state === "resync";
      monitor.onState(s);
      if (wasResync && s !== "resync" && o.afterResync) {
        const after = o.afterResync;
        void ingest?.idle().then(after, () => {});
      }
    },
    onTrace: (e) => {
      monitor.onTrace(e);
      // A rejected frame was logged by the link already, with its reason: once is enough.
      if (!e.error) log.debug("PMS frame", { dir: e.dir, text: e.text });
    },
    onReady: () => {
      sender?.kick();
      postings?.linkReady();
      if (pms.resyncOnLink) monitor.requestResync("system").catch(() => {});
      else monitor.onReady().catch(() => {});
    },
  };

  const allowed = networkSet(pms.allow ?? LOOPBACK);
  if (pms.mode === "server" && !pms.allow && !isLoopbackHost(pms.host))
    log.warn("pms.allow is not set: only loopback may connect; set it to the PMS's address", { host: pms.host });
  if (pms.transport === "serial" && !pms.serial.device)
    throw new Error('pms.transport "serial" needs pms.serial.device');
  let refused: (address: string) => void = () => {};
  const serial = {
    device: pms.serial.device ?? "",
    baud: pms.serial.baud,
    dataBits: pms.serial.dataBits,
    parity: pms.serial.parity,
    stopBits: pms.serial.stopBits,
  };
  const connector =
    o.connector ??
    (pms.transport === "serial"
      ? mitel
        ? new MitelSerialConnector({ ...serial, logger: log })
        : new SerialConnector({ ...serial, clock, logger: log, maxFrameBytes: pms.maxFrameBytes })
      : pms.mode === "client"
        ? new TcpClientConnector({ host: pms.host, port: pms.port, bind: pms.bind ?? undefined, logger: log })
        : new TcpServerConnector({
            host: pms.host,
            port: pms.port,
            logger: log,
            allow: (address) => allowed.contains(address),
            onRefused: (address) => refused(address),
          }));
  // After an unclean stop the monitor asks for a resync (FIAS DR, Mitel RQINZ) until one completes,
  // the same way for both protocols; the Mitel link's own RQINZ-at-start is therefore not used.
  const link: PmsLink & { refused(address: string): void } = mitel
    ? new MitelLink({
        connector,
        clock,
        logger: log,
        charset: pms.charset,
        profile,
        handlers,
        answerTimeoutMs: pms.mitel.answerSeconds * 1000,
        enqAttempts: pms.mitel.enqAttempts,
        messageAttempts: pms.mitel.messageAttempts,
        resyncIdleMs: pms.mitel.resyncIdleSeconds * 1000,
        requireEnq: pms.mitel.requireEnq,
        maxGarbageBytesPerSecond: pms.maxGarbageBytesPerSecond,
        ...(o.link?.backoff ? { backoff: o.link.backoff } : {}),
      })
    : new FiasLink({
        connector,
        clock,
        logger: log,
        charset: pms.charset,
        aliveSeconds: pms.aliveSeconds,
        // Serial FIAS is STX…ETX LRC whatever pms.framing says (the LRC layer needs ETX).
        framing: framingOf(pms.transport === "serial" ? "stx-etx" : pms.framing),
        linkGraceMs: pms.linkGraceSeconds * 1000,
        maxFrameBytes: pms.maxFrameBytes,
        maxGarbageBytesPerSecond: pms.maxGarbageBytesPerSecond,
        // A PMS that filters by the LR list drops an undeclared PS: declare PS/PA when posting.
        linkRecords: [
          ...defaultLinkRecords({ syncRecords: pms.syncLinkRecords }),
          ...(config.postings.enabled ? postingLinkRecords() : []),
        ],
        localTime: (ms) => toWallTime(ms, o.timezone),
        ...o.link,
        handlers,
      });
  refused = (address) => link.refused(address);
  monitor.link = link;
  sender = new PmsSender(ctx, link);
  await sender.init();
  // Mitel's MR gets no answer: the PMS's ACK settles a posting there.
  postings = new PostingSender(ctx, link, { answers: !mitel });
  await postings.init();
  return { link, ingest, monitor, sender, postings };
}
