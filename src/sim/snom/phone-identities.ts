/**
 * @module sim/snom/phone-identities
 * A simulated SNOM phone's identities (SIP accounts 1…n) and whether each is registered: an identity
 * with a user_name<n> registers at boot; log-off and re-register fire its action URL.
 */
import type { ActionEvent } from "./model.ts";
import type { Settings } from "./settings.ts";

type Fire = (event: ActionEvent, identity: number) => void;

export class Identities {
  /** Which identities are registered, by number (1…count). */
  readonly registered = new Map<number, boolean>();

  constructor(
    private readonly count: number,
    private readonly settings: Settings,
    private readonly fire: Fire,
  ) {}

  /** A booted phone: every identity with a user registers. */
  registerAll(): void {
    for (let n = 1; n <= this.count; n++) this.registered.set(n, !!this.settings.get(`user_name${n}`));
  }

  any(): boolean {
    return [...this.registered.values()].some(Boolean);
  }

  /** action_log_on_url for each registered identity. */
  announce(): void {
    for (const [n, on] of this.registered) if (on) this.fire("log_on", n);
  }

  logOff(identity: number | "all"): string {
    const which = identity === "all" ? [...this.registered.keys()] : [identity];
    const done: number[] = [];
    for (const n of which) {
      if (!this.registered.has(n)) return `no identity ${n}`;
      if (!this.registered.get(n)) continue;
      this.registered.set(n, false);
      this.fire("log_off", n);
      done.push(n);
    }
    return done.length ? `logged off identity ${done.join(", ")}` : "nothing to log off";
  }

  reRegister(identity: number): string {
    if (!this.registered.has(identity)) return `no identity ${identity}`;
    this.registered.set(identity, true);
    this.fire("log_on", identity);
    return `identity ${identity} registered`;
  }
}
