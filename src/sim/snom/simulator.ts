/**
 * @module sim/snom/simulator
 * N simulated SNOM phones (§2.9: one HTTP server per phone). Two layouts:
 * - `addresses` (default): phone n listens on the n-th address from `host` (127.0.0.2, 127.0.0.3, …)
 *   with one common port. This is how the appliance reaches room phones (each room's IP plus the
 *   link's httpPort), so a SNOM link can be pointed at the simulator unchanged. Linux answers on all
 *   of 127.0.0.0/8; other systems need the addresses added to the loopback interface first.
 * - `ports`: every phone on `host`, on consecutive ports from `port` (or any free ones for port 0).
 * Phone n has extension firstExtension + n − 1 (user_name1) and MAC 000413 + n in hex (SNOM's OUI).
 */
import type { SnomPhoneOptions, SnomRequest } from "./model.ts";
import { SnomPhone } from "./phone.ts";

export type Layout = "addresses" | "ports";

export interface SnomSimOptions extends Omit<SnomPhoneOptions, "extension" | "mac" | "phoneIp"> {
  /** How many phones. Default 1. */
  phones?: number;
  layout?: Layout;
  /** Phone 1's extension. Default 101. */
  firstExtension?: number;
  /** Per-phone options over the common ones (n from 1). */
  perPhone?: (n: number) => SnomPhoneOptions;
}

/** The IPv4 address `n` after `ip`; null when `ip` is not dotted IPv4 or the result leaves 127/8 or 0–255. */
export function nthAddress(ip: string, n: number): string | null {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return null;
  const v = ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3] + n;
  if (v > 0xffffffff) return null;
  const out = [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  if (parts[0] === 127 && out[0] !== 127) return null;
  return out.join(".");
}

export class SnomSimulator {
  readonly phones: SnomPhone[] = [];
  /** Every request to any phone, in arrival order. */
  readonly requests: SnomRequest[] = [];
  onRequest?: (r: SnomRequest) => void;
  readonly layout: Layout;
  private readonly announce: boolean;

  constructor(opts: SnomSimOptions = {}) {
    const { phones = 1, layout = "addresses", firstExtension = 101, perPhone, ...common } = opts;
    if (!Number.isInteger(phones) || phones < 1) throw new Error("phones: at least 1");
    this.layout = layout;
    // The phones announce themselves (setup, log-on) once all are listening, not per attempt.
    this.announce = common.announce ?? true;
    for (let n = 1; n <= phones; n++) {
      const phone = new SnomPhone(
        {
          extension: String(firstExtension + n - 1),
          mac: `000413${n.toString(16).padStart(6, "0")}`,
          ...common,
          ...perPhone?.(n),
          announce: false,
        },
        n,
      );
      phone.onRequest = (r) => {
        this.requests.push(r);
        this.onRequest?.(r);
      };
      this.phones.push(phone);
    }
  }

  /** Phone n (from 1). */
  phone(n: number): SnomPhone {
    const p = this.phones[n - 1];
    if (!p) throw new Error(`no phone ${n}`);
    return p;
  }

  byIp(ip: string): SnomPhone | undefined {
    return this.phones.find((p) => p.ip === ip);
  }

  byExtension(ext: string): SnomPhone | undefined {
    return this.phones.find((p) => p.extension === ext);
  }

  /**
   * Starts every phone; resolves to their addresses. With the addresses layout and port 0, phone 1
   * picks a free port and the others take the same one (tried again on a clash, up to 5 times).
   */
  async listen(port = 0, host = "127.0.0.1"): Promise<{ ip: string; port: number }[]> {
    if (this.layout === "ports") {
      for (const [i, p] of this.phones.entries()) await this.start(p, port === 0 ? 0 : port + i, host);
      return this.started();
    }
    const hosts = this.phones.map((_, i) => nthAddress(host, i));
    if (hosts.includes(null)) {
      throw new Error(`${host}: the addresses layout needs an IPv4 address followed by ${this.phones.length - 1} more`);
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const first = await this.start(this.phones[0], port, host);
        for (let i = 1; i < this.phones.length; i++) await this.start(this.phones[i], first, hosts[i] as string);
        return this.started();
      } catch (err) {
        await this.close();
        const clash = (err as { code?: string }).code === "EADDRINUSE";
        if (port !== 0 || !clash || attempt >= 4) throw err;
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.phones.map((p) => p.close()));
  }

  /** Every phone's action URLs and minibrowser fetches so far have finished. */
  async idle(): Promise<void> {
    await Promise.all(this.phones.map((p) => p.idle()));
  }

  addresses(): { ip: string; port: number }[] {
    return this.phones.map((p) => ({ ip: p.ip, port: p.port }));
  }

  private start(p: SnomPhone, port: number, host: string): Promise<number> {
    return p.listen(port, host);
  }

  private started(): { ip: string; port: number }[] {
    if (this.announce) for (const p of this.phones) p.announce();
    return this.addresses();
  }
}
