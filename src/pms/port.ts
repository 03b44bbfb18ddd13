/**
 * @module pms/port
 * What the rest of the appliance sees of a PMS link, whatever the protocol or transport behind it.
 */

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

/**
 * What a link tells the appliance. `F` is the protocol's parsed frame (FiasRecord, MitelMessage);
 * the matching `PmsAdapter<F>` (domain/pms-events.ts) turns it into PMS events.
 */
export interface PmsLinkHandlers<F = unknown> {
  /**
   * Every application frame received (FIAS: everything but the link records LS/LD/LR/LA/LE, DS and
   * DE included), in arrival order. The handler must store it before acting on it; the link does
   * not wait.
   */
  onRecord(record: F, raw: Uint8Array): void;
  onState(state: PmsState): void;
  /** Each frame in or out, and each rejected frame, for the trace and the debug log. */
  onTrace?(entry: PmsTraceEntry): void;
  /** The link became able to send (after the handshake, after DE); the outbox drains now. */
  onReady?(): void;
}

/**
 * How the PMS at the other end behaves, as seen on the live connection: PMSs in the field differ from
 * the spec's strict reading, and an installer needs to see which variant a site has.
 */
export interface PmsPeerInfo {
  /** Framing in use ("stx-etx" or "crlf"). */
  framing: string;
  /** Who opened the current link start: the PMS's LS, or ours after it stayed silent. */
  greeting: "pms" | "appliance" | null;
  /**
   * What made the link count as up after our LD/LR…/LA: the PMS's LA (the spec), its first
   * application record, or the grace time passing with the connection open and quiet.
   */
  linkConfirmedBy: "LA" | "data" | "silence" | null;
  /** How the PMS answered our last alive check (LS): LA (the spec), LS, or any record. */
  aliveAnswer: "LA" | "LS" | "data" | null;
  /** Connections opened since the link started. */
  connections: number;
  /** Times the link came up (a restart by the PMS's LS counts again). */
  linkStarts: number;
  /** Connections that ended other than by stop(): closed by the PMS, dropped by us, replaced. */
  connectionsLost: number;
  /** Connections closed at once because their address is not in `pms.allow` (server mode). */
  connectionsRefused: number;
  /** Application records refused because their connection had not started the link (server mode). */
  recordsRefused: number;
  /** Frames rejected by framing or parsing (each also under `rejected` in the API, the latest ones). */
  framesRejected: number;
  /** Bytes received outside any frame or in rejected (oversized, unterminated) ones. */
  garbageBytes: number;
}

export interface PmsLink {
  readonly state: PmsState;
  /** The PMS's observed behaviour on this link. */
  readonly peer: PmsPeerInfo;
  /** True when a record given to `send` now goes out at once (linked, not between DS and DE). */
  readonly canSend: boolean;
  start(): void;
  /** Orderly shutdown: LE, wait up to 2 s for the peer's LE, close. */
  stop(): Promise<void>;
  /**
   * Sends one outgoing message given as the outbox stores it (the adapter's `RenderedAction.text`,
   * without the link's framing). False (nothing sent, `done` never called) when `canSend` is false
   * or the text is not a message of the protocol. Otherwise `done` runs exactly once: `true` when
   * the message is delivered as far as the protocol can tell (TCP FIAS: written to the socket;
   * serial FIAS and Mitel: acknowledged by the PMS), `false` with the reason when the link gave it
   * up (retries spent, connection lost before the acknowledgement): the link is then going down,
   * and the caller keeps the message for the next link-up.
   */
  sendMessage(text: string, done?: (delivered: boolean, reason?: string) => void): boolean;
}
