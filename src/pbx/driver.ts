/**
 * @module pbx/driver
 * What a PBX-link driver is: it declares its capabilities, may narrow them after a start-up probe,
 * and executes one op at a time. Drivers know nothing of the store; the job runner calls them.
 */
import type { SnomConfig } from "../config/snom-schema.ts";
import type { Capability, PbxOp } from "../domain/pbx-ops.ts";
import type { Room } from "../domain/room.ts";
import type { Logger } from "../lib/logger.ts";

export type { Capability, PbxOp };

/**
 * What `execute` may resolve with. Most drivers resolve with nothing: the op is done.
 */
export interface PbxExecuteResult {
  /**
   * The far end accepted the op and will carry it out later (VOIspeed: `outcome 0` + `request_id`).
   * A failure it reports afterwards names this reference: the runner stores it on the job, and
   * `failPbxJobLater` (services/pbx-async.ts) reopens the job by it.
   */
  externalRef?: string;
}

export interface PbxDriver {
  readonly type: string;
  /** Everything this driver can do in principle. */
  readonly capabilities: readonly Capability[];
  /**
   * Capabilities declared above that this driver (with this configuration) never offers, each with
   * the reason a skipped job records (VOIspeed has no class-of-service service). They are queued
   * like the others, so every change shows in the job list, and skipped with that reason.
   */
  readonly unavailable?: Readonly<Partial<Record<Capability, string>>>;
  /** Start-up probe: which capabilities this installation really offers (scopes, API version…). */
  probe?(): Promise<readonly Capability[]>;
  // biome-ignore lint/suspicious/noConfusingVoidType: the drivers that complete at once resolve with nothing (Promise<void>)
  execute(op: PbxOp): Promise<void | PbxExecuteResult>;
  close?(): Promise<void>;
}

export interface PbxErrorOptions {
  /** False for errors a retry cannot fix (bad configuration, unknown extension). */
  retryable?: boolean;
  /** The far end asked for a pause (HTTP 429 Retry-After). */
  retryAfterMs?: number;
  /** False when the failure says nothing about the job (rate limit): it does not use up a retry. */
  countsAsAttempt?: boolean;
  /**
   * The op does not apply to this target (DND on a Zoom common area): the job is recorded as skipped
   * with this message, not as a dead letter waiting for a retry that cannot help.
   */
  skip?: boolean;
}

export class PbxError extends Error {
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly countsAsAttempt: boolean;
  readonly skip: boolean;
  constructor(message: string, opts: PbxErrorOptions = {}) {
    super(message);
    this.name = "PbxError";
    this.retryable = opts.retryable ?? true;
    this.retryAfterMs = opts.retryAfterMs;
    this.countsAsAttempt = opts.countsAsAttempt ?? true;
    this.skip = opts.skip ?? false;
  }
}

export interface DriverDeps {
  logger: Logger;
  /** Debug packet logging for this link, switchable at run time. */
  debug: () => boolean;
  /** The hotel's IANA time zone ("today" for check-in dates). */
  timeZone?: string;
  /** The hotel's name (`site.name`), e.g. the Zoom "tenant name" department. */
  tenantName?: string;
  /**
   * The rooms as the appliance knows them when an op runs (read at run time: phones move, guests
   * change). For drivers that talk to each room's phone itself (SNOM) rather than to a PBX.
   */
  rooms?: RoomDirectory;
  /** The `snom` section: what SNOM room phones show (SNOM links). */
  snom?: SnomConfig;
  /** `rooms.vipLabels`, for drivers that render name templates themselves. */
  vipLabels?: Readonly<Record<string, string>>;
}

/** A room now, and the phone the appliance learned for it (phone events, PUT /api/v1/rooms). */
export interface RoomNow {
  room: Room;
  /** `address` is `IP:port` (SIP port) or `[IPv6]:port`; null when no phone is known. */
  phone: { address: string | null };
}

export interface RoomDirectory {
  room(number: string): Promise<RoomNow | undefined>;
}
