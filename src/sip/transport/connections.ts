/**
 * @module sip/transport/connections
 * The table of open TCP/TLS connections: looked up by remote (transport, address, port) for reuse,
 * and by id (the connection a request came on). It closes connections idle too long and, when full,
 * the one idle longest to make room.
 */
import type { Clock, TimerHandle } from "../../lib/clock.ts";
import { endpointKey } from "./address.ts";
import type { Remote } from "./types.ts";

/** What the table needs of a connection. */
export interface TableEntry {
  readonly id: string;
  readonly remote: Remote;
  /** clock.now() of the last byte in or out. */
  lastActivity: number;
  close(reason: string): void;
}

export interface ConnectionTableOptions {
  clock: Clock;
  /** Close a connection with no traffic for this long; 0 never. */
  idleTimeoutMs: number;
  maxConnections: number;
  onIdle?: (entry: TableEntry) => void;
  onEvict?: (entry: TableEntry) => void;
}

export class ConnectionTable<T extends TableEntry> {
  private readonly byId = new Map<string, T>();
  private readonly byKey = new Map<string, T>();
  private readonly idleTimers = new Map<string, TimerHandle>();

  constructor(private readonly opts: ConnectionTableOptions) {}

  get size(): number {
    return this.byId.size;
  }

  all(): T[] {
    return [...this.byId.values()];
  }

  get(id: string): T | undefined {
    return this.byId.get(id);
  }

  /** The newest open connection to this remote. */
  find(remote: Remote): T | undefined {
    return this.byKey.get(endpointKey(remote));
  }

  /** Closes the connections idle longest until one more fits under `maxConnections`. */
  makeRoom(): void {
    while (this.byId.size >= this.opts.maxConnections && this.byId.size > 0) {
      let oldest: T | undefined;
      for (const c of this.byId.values()) if (!oldest || c.lastActivity < oldest.lastActivity) oldest = c;
      if (!oldest) return;
      this.remove(oldest);
      this.opts.onEvict?.(oldest);
      oldest.close("evicted: connection limit");
    }
  }

  add(entry: T): void {
    this.byId.set(entry.id, entry);
    this.byKey.set(endpointKey(entry.remote), entry);
    this.armIdle(entry, this.opts.idleTimeoutMs);
  }

  remove(entry: T): boolean {
    if (this.byId.get(entry.id) !== entry) return false;
    this.byId.delete(entry.id);
    const key = endpointKey(entry.remote);
    if (this.byKey.get(key) === entry) {
      this.byKey.delete(key);
      // An older connection to the same remote takes over the key.
      for (const other of this.byId.values()) if (endpointKey(other.remote) === key) this.byKey.set(key, other);
    }
    this.opts.clock.clearTimeout(this.idleTimers.get(entry.id));
    this.idleTimers.delete(entry.id);
    return true;
  }

  /** One timer per connection, re-armed for the remainder when it fires early (no re-arm per packet). */
  private armIdle(entry: T, ms: number): void {
    if (this.opts.idleTimeoutMs <= 0) return;
    const handle = this.opts.clock.setTimeout(() => {
      if (this.byId.get(entry.id) !== entry) return;
      const idleFor = this.opts.clock.now() - entry.lastActivity;
      if (idleFor < this.opts.idleTimeoutMs) {
        this.armIdle(entry, this.opts.idleTimeoutMs - idleFor);
        return;
      }
      this.remove(entry);
      this.opts.onIdle?.(entry);
      entry.close("idle timeout");
    }, ms);
    this.idleTimers.set(entry.id, handle);
  }
}
