/**
 * @module pbx/zoom/cache
 * Extension number → Zoom object. Phone users (their `id` is the Zoom user id, used by the Users
 * API for names and presence) and, when the scope allows, common areas. Loaded at start, again
 * when older than `refreshCacheMinutes`, and after a 404.
 */
import type { Clock } from "../../lib/clock.ts";
import type { ZoomClient } from "./client.ts";
import {
  listCommonAreas,
  listPhoneUsers,
  type Page,
  parseCommonAreas,
  parsePhoneUsers,
  type WireRequest,
} from "./wire.ts";

export type ZoomTargetKind = "user" | "phone-user" | "common-area";

export interface ZoomTarget {
  kind: ZoomTargetKind;
  id: string;
  name: string;
  /** Zoom site name ("" when unknown). */
  site: string;
}

/** Safety net against a server that never ends its paging. */
const MAX_PAGES = 1000;

export class ExtensionCache {
  private map = new Map<string, ZoomTarget>();
  private loadedAt: number | undefined;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly client: ZoomClient,
    private readonly clock: Clock,
    private readonly refreshMs: number,
    /** Whether common areas may be listed (scope phone:read:common_area:admin). */
    private readonly commonAreas: () => boolean,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get lastRefresh(): number | undefined {
    return this.loadedAt;
  }

  /** The target of an extension, refreshing first when the cache is stale. */
  async lookup(extension: string): Promise<ZoomTarget | undefined> {
    if (this.loadedAt === undefined || this.clock.now() - this.loadedAt >= this.refreshMs) await this.refresh();
    return this.map.get(normalize(extension));
  }

  /** Reloads everything (concurrent callers share one reload). */
  refresh(): Promise<void> {
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const next = new Map<string, ZoomTarget>();
    for (const u of await this.all(listPhoneUsers, parsePhoneUsers)) {
      next.set(normalize(u.extension), { kind: "phone-user", id: u.id, name: u.name, site: u.site });
    }
    if (this.commonAreas()) {
      for (const c of await this.all(listCommonAreas, parseCommonAreas)) {
        // A user and a common area never share an extension on one account; users win if they do.
        if (!next.has(normalize(c.extension))) {
          next.set(normalize(c.extension), { kind: "common-area", id: c.id, name: c.name, site: c.site });
        }
      }
    }
    this.map = next;
    this.loadedAt = this.clock.now();
  }

  private async all<T>(req: (token?: string) => WireRequest, parse: (json: unknown) => Page<T>): Promise<T[]> {
    const out: T[] = [];
    let token: string | undefined;
    for (let i = 0; i < MAX_PAGES; i++) {
      const page = parse(await this.client.call(req(token)));
      out.push(...page.items);
      if (!page.next) break;
      token = page.next;
    }
    return out;
  }
}

/** Extensions are numbers on the wire: "0101" and "101" are the same extension. */
function normalize(extension: string): string {
  const t = extension.trim();
  return /^\d+$/.test(t) ? String(Number.parseInt(t, 10)) : t;
}
