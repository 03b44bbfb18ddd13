/**
 * @module sip/transaction/timers
 * RFC 3261 §17 timer values (Table 4), all derived from T1, T2 and T4 the way sipgo's
 * `SetTimers(t1, t2, t4)` does, so a test can shrink T1 and every timer follows. The values here are
 * for unreliable transports; a transaction on TCP/TLS uses 0 for D, I, J and K and never arms the
 * retransmission timers A, E and G (see `forTransport`).
 */

/** RTT estimate (500 ms). */
export const T1 = 500;
/** Longest retransmit interval for non-INVITE requests and INVITE responses (4 s). */
export const T2 = 4000;
/** Longest time a message stays in the network (5 s). */
export const T4 = 5000;

export interface TransactionTimers {
  readonly t1: number;
  readonly t2: number;
  readonly t4: number;
  /** INVITE request retransmit, first interval (T1, doubling). */
  readonly a: number;
  /** INVITE transaction timeout (64·T1). */
  readonly b: number;
  /** Wait for response retransmits after a non-2xx INVITE final (≥ 32 s on UDP; 0 reliable). */
  readonly d: number;
  /** Non-INVITE request retransmit, first interval (T1, doubling up to T2). */
  readonly e: number;
  /** Non-INVITE transaction timeout (64·T1). */
  readonly f: number;
  /** INVITE non-2xx final response retransmit, first interval (T1, doubling up to T2). */
  readonly g: number;
  /** Wait for the ACK (64·T1). */
  readonly h: number;
  /** Wait for ACK retransmits (T4; 0 reliable). */
  readonly i: number;
  /** Wait for non-INVITE request retransmits (64·T1; 0 reliable). */
  readonly j: number;
  /** Wait for non-INVITE response retransmits (T4; 0 reliable). */
  readonly k: number;
  /** RFC 6026: server INVITE Accepted → Terminated (64·T1). */
  readonly l: number;
  /** RFC 6026: client INVITE Accepted → Terminated (64·T1). */
  readonly m: number;
  /** §17.2.1: a server INVITE transaction sends 100 Trying itself if the TU has not answered by then (200 ms). */
  readonly trying: number;
}

/**
 * Timers derived from T1, T2, T4 (milliseconds). Timer D is not a multiple of T1 in RFC 3261 ("at
 * least 32 seconds"): it stays 32 s unless given, so shrinking T1 does not shorten it below the
 * RFC minimum by accident.
 */
export function deriveTimers(t1 = T1, t2 = T2, t4 = T4, d = 32_000): TransactionTimers {
  if (!(t1 > 0 && t2 >= t1 && t4 >= 0 && d >= 0)) throw new RangeError("timers: need 0 < T1 ≤ T2, T4 ≥ 0, D ≥ 0");
  return {
    t1,
    t2,
    t4,
    a: t1,
    b: 64 * t1,
    d,
    e: t1,
    f: 64 * t1,
    g: t1,
    h: 64 * t1,
    i: t4,
    j: 64 * t1,
    k: t4,
    l: 64 * t1,
    m: 64 * t1,
    trying: 200,
  };
}

export const DEFAULT_TIMERS: TransactionTimers = deriveTimers();

/** The timers a transaction uses on this transport: on TCP/TLS, D, I, J and K are 0. */
export function forTransport(timers: TransactionTimers, reliable: boolean): TransactionTimers {
  return reliable ? { ...timers, d: 0, i: 0, j: 0, k: 0 } : timers;
}

/** The next interval of a retransmission timer that doubles up to `cap` (E, G; A passes Infinity). */
export function backoff(current: number, cap: number): number {
  return Math.min(current * 2, cap);
}
