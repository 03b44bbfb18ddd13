/** Test fixture for the staff API: a real store, a real PmsMonitor, real tokens; requests via app.request. */
import type { Hono } from "hono";
import { createApi } from "../../src/api/app.ts";
import type { ApiDeps } from "../../src/api/deps.ts";
import type { Logger } from "../../src/lib/logger.ts";
import { networkSet } from "../../src/lib/networks.ts";
import { PmsMonitor } from "../../src/services/pms-monitor.ts";
import type { Store } from "../../src/store/db.ts";
import { createToken, findToken, type Role } from "../../src/store/tokens.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";

export interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test code reads arbitrary JSON shapes
  body: any;
  headers: Headers;
}

export interface CallOptions {
  /** A role name (its fixture token), a literal token, or null for no Authorization header. */
  as?: Role | null;
  token?: string;
  /** JSON-encoded unless `raw` is given. */
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  /** The client's address, as the runtime would pass it. */
  from?: string;
}

export interface ApiFixture {
  store: Store;
  ctx: TestContext;
  pms: PmsMonitor;
  deps: ApiDeps;
  app: Hono;
  tokens: Record<Role, string>;
  /** Token holder names: `api:<name>` is the actor the services record. */
  names: Record<Role, string>;
  call(method: string, path: string, opts?: CallOptions): Promise<Reply>;
}

export const NAMES: Record<Role, string> = {
  admin: "root",
  installer: "tech",
  frontdesk: "desk",
  housekeeping: "maids",
};

export async function withApi(
  fn: (f: ApiFixture) => Promise<void>,
  opts: {
    links?: string[];
    logger?: Logger;
    pbxStatus?: ApiDeps["pbxStatus"];
    setLinkDebug?: ApiDeps["setLinkDebug"];
    config?: unknown;
    /** api.allow */
    allow?: string[];
  } = {},
): Promise<void> {
  const t = await tempStore();
  try {
    const ctx = testContext(t.store, { links: opts.links ?? ["pbx1"], config: opts.config });
    if (opts.logger) ctx.logger = opts.logger;
    const pms = new PmsMonitor(ctx, 500);
    const deps: ApiDeps = {
      ctx,
      version: "9.9.9-test",
      startedAt: ctx.clock.now(),
      pms,
      pbxStatus: opts.pbxStatus ?? (async () => []),
      setLinkDebug: opts.setLinkDebug ?? (() => false),
      sipPorts: () => undefined,
      authenticate: (token) => t.store.read((db) => findToken(db, token)),
      counters: { requestsRefused: 0 },
      ...(opts.allow ? { allow: networkSet(opts.allow) } : {}),
    };
    const app = createApi(deps);
    const tokens = {} as Record<Role, string>;
    for (const role of Object.keys(NAMES) as Role[]) {
      tokens[role] = await t.store.tx((tx) => createToken(tx, NAMES[role], role, ctx.clock.now()));
    }
    const call = async (method: string, path: string, o: CallOptions = {}): Promise<Reply> => {
      const headers: Record<string, string> = { ...o.headers };
      const token = o.token ?? (o.as === null ? undefined : tokens[o.as ?? "admin"]);
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      let body: string | undefined = o.raw;
      if (body === undefined && o.body !== undefined) body = JSON.stringify(o.body);
      if (body !== undefined) headers["content-type"] ??= "application/json";
      const env = o.from === undefined ? undefined : { remoteAddress: o.from };
      const res = await app.request(path, { method, headers, body }, env);
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
    };
    await fn({ store: t.store, ctx, pms, deps, app, tokens, names: NAMES, call });
  } finally {
    t.cleanup();
  }
}
