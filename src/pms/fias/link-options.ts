/** @module fias/link-options: what a FIAS link can be told, and the defaults (Spec §5, §6). */
import type { BackoffOptions } from "../../lib/backoff.ts";
import type { Charset } from "../../lib/charset.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/logger.ts";
import type { PmsLinkHandlers } from "../port.ts";
import type { FiasConnector } from "./connection.ts";
import { type LocalDateTime, systemLocalTime } from "./datetime.ts";
import { type Framing, MAX_RECORD_LENGTH, stxEtxFraming } from "./frame.ts";
import { defaultLinkRecords } from "./link-records.ts";
import type { FiasRecord } from "./record.ts";

export interface FiasLinkOptions {
  connector: FiasConnector;
  clock: Clock;
  logger: Logger;
  charset: Charset;
  handlers: PmsLinkHandlers<FiasRecord>;
  /** LR records sent after LD; default `defaultLinkRecords()`. */
  linkRecords?: FiasRecord[];
  /** Silence after which we send LS to prove the PMS alive; default 300 (Oracle: not more often). */
  aliveSeconds?: number;
  /** LD `IF`; default "PB" (TMS / PBX gateway). */
  interfaceFamily?: string;
  /** LD `V#`; default "1.0". */
  version?: string;
  /** How long to listen after connecting before we may send LS ourselves; default 3000. */
  initWaitMs?: number;
  /** How long to wait for a reply to our LS (link start or alive check); default 30000. */
  responseTimeoutMs?: number;
  /**
   * After our LD/LR…/LA: how long the link waits, connection open and quiet, for the PMS's LA or first
   * record before it counts as up anyway (PMSs that never send that LA exist); default 10000.
   */
  linkGraceMs?: number;
  /** STX…ETX (the spec) or CR LF lines; default STX…ETX. */
  framing?: Framing;
  /** Longest record accepted; longer frames are rejected whole (FIAS RL: at most 2000). */
  maxFrameBytes?: number;
  /**
   * Bytes outside any frame tolerated in one second before the connection is dropped: a PMS sends a
   * stray byte now and then, a flood means a broken or hostile peer. Default 65536.
   */
  maxGarbageBytesPerSecond?: number;
  /** How long stop() waits for the PMS to answer our LE; default 2000. */
  endWaitMs?: number;
  /** Reconnect (client) or re-listen (server) delays; default 1 s doubling to 60 s. */
  backoff?: BackoffOptions;
  /** Hotel-local time for the DA/TI of link records; default the system time zone. */
  localTime?: (epochMs: number) => LocalDateTime;
}

export interface ResolvedLinkOptions {
  connector: FiasConnector;
  clock: Clock;
  logger: Logger;
  charset: Charset;
  handlers: PmsLinkHandlers<FiasRecord>;
  linkRecords: FiasRecord[];
  aliveMs: number;
  interfaceFamily: string;
  version: string;
  initWaitMs: number;
  responseTimeoutMs: number;
  linkGraceMs: number;
  framing: Framing;
  maxFrameBytes: number;
  maxGarbageBytesPerSecond: number;
  endWaitMs: number;
  backoff: BackoffOptions;
  localTime: (epochMs: number) => LocalDateTime;
}

export function resolveLinkOptions(opts: FiasLinkOptions): ResolvedLinkOptions {
  return {
    connector: opts.connector,
    clock: opts.clock,
    logger: opts.logger,
    charset: opts.charset,
    handlers: opts.handlers,
    linkRecords: opts.linkRecords ?? defaultLinkRecords(),
    aliveMs: (opts.aliveSeconds ?? 300) * 1000,
    interfaceFamily: opts.interfaceFamily ?? "PB",
    version: opts.version ?? "1.0",
    initWaitMs: opts.initWaitMs ?? 3000,
    responseTimeoutMs: opts.responseTimeoutMs ?? 30_000,
    linkGraceMs: opts.linkGraceMs ?? 10_000,
    framing: opts.framing ?? stxEtxFraming,
    maxFrameBytes: opts.maxFrameBytes ?? MAX_RECORD_LENGTH,
    maxGarbageBytesPerSecond: opts.maxGarbageBytesPerSecond ?? 65_536,
    endWaitMs: opts.endWaitMs ?? 2000,
    backoff: opts.backoff ?? { initialMs: 1000, maxMs: 60_000 },
    localTime: opts.localTime ?? systemLocalTime,
  };
}
