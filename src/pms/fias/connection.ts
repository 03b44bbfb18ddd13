/**
 * @module fias/connection
 * The byte transport under a FIAS link, kept apart from the link state machine so the same machine
 * runs over TCP in either direction and over an in-memory pair in tests.
 */

/** One open byte stream to the PMS. */
export interface FiasConnection {
  /** Peer address for logs, e.g. "10.0.0.5:5010". */
  readonly remote: string;
  /**
   * True when the transport learns whether the PMS received each frame (serial FIAS: ACK/NAK).
   * Then `write` tells `done` once per call; otherwise (TCP) a written frame counts as delivered.
   */
  readonly acknowledges?: boolean;
  /** Queues bytes; never throws, even after the connection closed (the bytes are then dropped). */
  write(bytes: Uint8Array, done?: (delivered: boolean, reason?: string) => void): void;
  /** Idempotent. `onClose` still fires once, possibly synchronously from inside this call. */
  close(): void;
}

/** What the link hears from one connection. */
export interface ConnectionEvents {
  onData(bytes: Uint8Array): void;
  /** Fires exactly once per connection, whoever closed it. */
  onClose(reason?: string): void;
}

/**
 * Called by a connector the moment a connection is open, before any of its data is delivered, so
 * the link can never miss the PMS's first LS. Returns where that connection's events go.
 */
export type AttachConnection = (conn: FiasConnection) => ConnectionEvents;

/** We dial the PMS (the Oracle IFC is always the TCP server). */
export interface FiasClientConnector {
  readonly mode: "client";
  /** Peer description for logs. */
  readonly target: string;
  /** Dials once. Resolves after `attach` ran; rejects without calling `attach` if the dial fails. */
  connect(attach: AttachConnection): Promise<FiasConnection>;
}

/** The PMS dials us (some non-Oracle PMSs). */
export interface FiasServerConnector {
  readonly mode: "server";
  /** Listen address for logs. */
  readonly target: string;
  /** Starts accepting; `attach` runs for every accepted connection. Rejects if it cannot listen. */
  listen(attach: AttachConnection): Promise<FiasListener>;
}

export interface FiasListener {
  /** Stops accepting new connections; connections already handed over stay open. */
  close(): void;
}

export type FiasConnector = FiasClientConnector | FiasServerConnector;
