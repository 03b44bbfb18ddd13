/**
 * @module sip/transaction/admission
 * Caps on live server transactions. Each one holds the parsed request, its last response and its
 * timers (~7 kB) for up to 32 s on UDP (Timer J, Timer H), so a request flood would otherwise grow
 * memory without bound. Two caps:
 * - in total, `serverTransactions`; the last eighth of it is kept for trusted sources (the PBX and
 *   the proxy), so a flood from the phone network never starves calls and NOTIFY answers from the
 *   PBX;
 * - per source address, `serverTransactionsPerSource` (trusted sources excepted): one flooding host
 *   cannot take the table from the other phones.
 * A request over a cap gets a stateless 503 with Retry-After (counted), never a transaction.
 */
import { PerSource } from "../transport/per-source.ts";

export interface ServerLimits {
  /** Live server transactions in total (default 4096). */
  serverTransactions?: number;
  /** Live server transactions from one address, trusted sources excepted (default 256). */
  serverTransactionsPerSource?: number;
  /** Retry-After of the 503 sent over a cap, seconds (default 5). */
  retryAfterSeconds?: number;
}

export const SERVER_LIMIT_DEFAULTS = {
  serverTransactions: 4096,
  serverTransactionsPerSource: 256,
  retryAfterSeconds: 5,
} as const;

export type Refusal = "total" | "per-source";

export interface AdmissionStats {
  /** Live server transactions. */
  live: number;
  /** Sources with a live server transaction. */
  sources: number;
  /** New requests answered 503 at the total cap. */
  refusedTotal: number;
  /** New requests answered 503 at the per-source cap. */
  refusedPerSource: number;
}

export class ServerAdmission {
  readonly total: number;
  readonly perSource: number;
  readonly retryAfterSeconds: number;
  /** What untrusted sources may fill: the total less the reserve. */
  private readonly untrustedTotal: number;
  private readonly live = new PerSource();
  private refusedTotal = 0;
  private refusedPerSource = 0;

  constructor(
    limits: ServerLimits = {},
    private readonly trusted: (address: string) => boolean = () => false,
  ) {
    this.total = Math.max(1, limits.serverTransactions ?? SERVER_LIMIT_DEFAULTS.serverTransactions);
    this.perSource = Math.max(
      1,
      limits.serverTransactionsPerSource ?? SERVER_LIMIT_DEFAULTS.serverTransactionsPerSource,
    );
    this.retryAfterSeconds = limits.retryAfterSeconds ?? SERVER_LIMIT_DEFAULTS.retryAfterSeconds;
    this.untrustedTotal = Math.max(1, this.total - Math.floor(this.total / 8));
  }

  /** Counts a new transaction from `address` and returns undefined, or says which cap refuses it. */
  admit(address: string): Refusal | undefined {
    const trusted = this.isTrusted(address);
    if (this.live.total >= (trusted ? this.total : this.untrustedTotal)) {
      this.refusedTotal++;
      return "total";
    }
    if (!trusted && this.live.get(address) >= this.perSource) {
      this.refusedPerSource++;
      return "per-source";
    }
    this.live.add(address);
    return undefined;
  }

  /** The transaction admitted for `address` has terminated. */
  release(address: string): void {
    this.live.release(address);
  }

  stats(): AdmissionStats {
    return {
      live: this.live.total,
      sources: this.live.sources,
      refusedTotal: this.refusedTotal,
      refusedPerSource: this.refusedPerSource,
    };
  }

  private isTrusted(address: string): boolean {
    try {
      return this.trusted(address) === true;
    } catch {
      return false;
    }
  }
}
