/**
 * @module pms/port
 * What the rest of the appliance sees of a PMS link, whatever the protocol or transport behind it.
 */
import type { FiasRecord } from "./fias/record.ts";

/** down: no connection; connecting: socket up, handshake running; linked: records flow; resync: between DS and DE. */
export type PmsState = "down" | "connecting" | "linked" | "resync";

export type Direction = "in" | "out";

export interface PmsTraceEntry {
  dir: Direction;
  /** Milliseconds since the epoch. */
  at: number;
  /** Printable text of the frame (control bytes shown as <XX>). */
  text: string;
  /** Set for frames the codec rejected. */
  error?: string;
}

export interface PmsLinkHandlers {
  /**
   * Every application record received (everything but the link records LS/LD/LR/LA/LE), in arrival
   * order, DS and DE included. The handler must store it before acting on it; the link does not wait.
   */
  onRecord(record: FiasRecord, raw: Uint8Array): void;
  onState(state: PmsState): void;
  /** Each frame in or out, and each rejected frame, for the trace and the debug log. */
  onTrace?(entry: PmsTraceEntry): void;
  /** The link became able to send (after the handshake, after DE); the outbox drains now. */
  onReady?(): void;
}

export interface PmsLink {
  readonly state: PmsState;
  /** True when a record given to `send` now goes out at once (linked, not between DS and DE). */
  readonly canSend: boolean;
  start(): void;
  /** Orderly shutdown: LE, wait up to 2 s for the peer's LE, close. */
  stop(): Promise<void>;
  /** Writes one application record; false (nothing written) when `canSend` is false. */
  send(record: FiasRecord): boolean;
}
