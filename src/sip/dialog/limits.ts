/**
 * @module sip/dialog/limits
 * Caps on live subscription dialogs (RFC 6665), per source address and in total. Without them one
 * host on the phone network could hold any number of subscriptions, each a dialog, a timer and a
 * NOTIFY per lamp change. The PBX and the proxy are exempt from the per-source cap: every phone that
 * subscribes through them shares their address.
 *
 * The subscription code asks `admit` once, when a new subscription is about to be granted, and
 * keeps nothing else in step: a subscription is live until its `ended` flag is set (expiry,
 * unsubscribe, a rejected NOTIFY, shutdown), and ended ones are pruned when a cap is checked. So
 * the count can never leak, whatever path ends a subscription.
 */
import type { LogBudget } from "../../lib/log-budget.ts";

/** What the limits need of a subscription. */
export interface LiveDialog {
  readonly ended: boolean;
}

export interface SubscriptionLimitsOptions {
  /** Live subscriptions from one address, trusted sources excepted (default 64). */
  perSource?: number;
  /** Live subscriptions in total (default 4096). */
  total?: number;
  trusted?: (address: string) => boolean;
  budget?: LogBudget;
}

export const SUBSCRIPTION_LIMIT_DEFAULTS = { perSource: 64, total: 4096 } as const;

/**
 * Retry-After of a refusal, seconds. Subscriptions free up only as they expire (up to an hour), so
 * a phone asking again after a few seconds would only be refused again.
 */
export const SUBSCRIPTION_RETRY_AFTER_SECONDS = 60;

/** The answer to a SUBSCRIBE over a cap. */
export interface SubscriptionRefusal {
  status: 503;
  reason: string;
  headers: Array<[string, string]>;
}

export interface SubscriptionStats {
  live: number;
  limit: number;
  limitPerSource: number;
  refusedPerSource: number;
  refusedTotal: number;
}

export class SubscriptionLimits {
  readonly perSource: number;
  readonly total: number;
  private readonly bySource = new Map<string, Set<LiveDialog>>();
  private count = 0;
  private refusedPerSource = 0;
  private refusedTotal = 0;
  private admits = 0;

  constructor(private readonly o: SubscriptionLimitsOptions = {}) {
    this.perSource = Math.max(1, o.perSource ?? SUBSCRIPTION_LIMIT_DEFAULTS.perSource);
    this.total = Math.max(1, o.total ?? SUBSCRIPTION_LIMIT_DEFAULTS.total);
  }

  /**
   * Counts `dialog` as a live subscription from `source` and returns undefined, or returns the
   * refusal to send (nothing is counted then). A dialog already ended (a fetch, Expires: 0) passes
   * uncounted.
   */
  admit(dialog: LiveDialog, source: { address: string }): SubscriptionRefusal | undefined {
    if (dialog.ended) return undefined;
    const address = source.address;
    // Ended subscriptions are dropped from the source's set here, and from every set now and then
    // and at the total cap (a scan of at most `total` flags, cheaper than the mailbox lookup that
    // came before): dead ones are never kept long, and the count never leaks.
    if (++this.admits % 64 === 0 || this.count >= this.total) this.pruneAll();
    let mine = this.bySource.get(address);
    if (mine) this.prune(address, mine);
    if (mine && mine.size >= this.perSource && !this.isTrusted(address)) {
      this.refusedPerSource++;
      this.o.budget?.warn("sip-subscriptions-per-source", "SIP: too many subscriptions from one address", {
        from: address,
        limit: this.perSource,
      });
      return refusal();
    }
    if (this.count >= this.total) {
      this.refusedTotal++;
      this.o.budget?.warn("sip-subscriptions-total", "SIP: subscription limit reached", { limit: this.total });
      return refusal();
    }
    mine = this.bySource.get(address);
    if (!mine) {
      mine = new Set();
      this.bySource.set(address, mine);
    }
    mine.add(dialog);
    this.count++;
    return undefined;
  }

  stats(): SubscriptionStats {
    this.pruneAll();
    return {
      live: this.count,
      limit: this.total,
      limitPerSource: this.perSource,
      refusedPerSource: this.refusedPerSource,
      refusedTotal: this.refusedTotal,
    };
  }

  private pruneAll(): void {
    for (const [address, set] of [...this.bySource]) this.prune(address, set);
  }

  private prune(address: string, set: Set<LiveDialog>): void {
    for (const d of set) {
      if (!d.ended) continue;
      set.delete(d);
      this.count--;
    }
    if (set.size === 0) this.bySource.delete(address);
  }

  private isTrusted(address: string): boolean {
    try {
      return this.o.trusted?.(address) === true;
    } catch {
      return false;
    }
  }
}

function refusal(): SubscriptionRefusal {
  return {
    status: 503,
    reason: "Too Many Subscriptions",
    headers: [["Retry-After", String(SUBSCRIPTION_RETRY_AFTER_SECONDS)]],
  };
}
