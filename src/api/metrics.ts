/**
 * @module api/metrics
 * GET /metrics in the Prometheus text format, with prom-client (it runs unchanged under Bun, Deno
 * and in the compiled binary). One registry per API, not prom-client's global one, so two
 * appliances in one process (tests) never mix. Every value is read when scraped: the PMS link from
 * its monitor, PBX links and SIP ports from their live status, counts from the store; only the API
 * request counter is kept here (middleware/metrics.ts). No label carries a guest name, a token or a
 * password; label values come from closed sets or the configuration (link names).
 */
import { memoryUsage } from "node:process";
import type * as Prom from "prom-client";
import counterJs from "prom-client/lib/counter.js";
import gaugeJs from "prom-client/lib/gauge.js";
import registryJs from "prom-client/lib/registry.js";
import { Mutex } from "../lib/mutex.ts";
import type { PmsState } from "../pms/port.ts";
import { readStoreCounts } from "../services/metrics-counts.ts";
import type { PortState } from "../sip/ua/registration.ts";
import type { ApiDeps } from "./deps.ts";

const PMS_STATES: readonly PmsState[] = ["down", "connecting", "linked", "resync"];
const PORT_STATES: readonly PortState[] = [
  "idle",
  "registering",
  "registered",
  "failed",
  "auth-failed",
  "unregistered",
];
const WAKEUP_STATES = ["pending", "calling", "done", "failed", "cancelled"];
/** The built-in message-lamp link (services/mwi-link.ts MWI_LINK); its jobs are the NOTIFYs. */
const MWI_LINK = "sip-mwi";
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

// The three classes from their own files (each is its file's module.exports): prom-client's index
// also loads its Pushgateway and cluster aggregator, and with them node:http, node:https, node:zlib
// and node:cluster, resident in the binary from its start for code the appliance never runs. The
// index's types are theirs (it re-exports these very classes).
const Counter = counterJs as unknown as typeof Prom.Counter;
const Gauge = gaugeJs as unknown as typeof Prom.Gauge;
const Registry = registryJs as unknown as typeof Prom.Registry;

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests: Prom.Counter<"route" | "method" | "status">;
  private readonly gauges: Record<string, Prom.Gauge<string>>;
  /** Scrapes one at a time: each resets and refills the gauges. */
  private readonly mutex = new Mutex();

  constructor(private readonly deps: ApiDeps) {
    const registers = [this.registry];
    const gauge = (name: string, help: string, labelNames: string[] = []) =>
      new Gauge({ name: `bellhop_${name}`, help, labelNames, registers });
    this.requests = new Counter({
      name: "bellhop_api_requests_total",
      help: "API requests answered since start, by route (its pattern; `other` for no route) and status",
      labelNames: ["route", "method", "status"],
      registers,
    });
    this.gauges = {
      info: gauge("info", "Always 1; the version is a label", ["version"]),
      uptime: gauge("uptime_seconds", "Seconds since the appliance started"),
      pmsLink: gauge("pms_link_state", "1 for the PMS link's current state, 0 for the others", ["state"]),
      pmsRecords: gauge("pms_records", "Records received from (in) and sent to (out) the PMS, ever", ["direction"]),
      pmsOutbox: gauge("pms_outbox_depth", "Records waiting to be sent to the PMS"),
      pbxJobs: gauge("pbx_jobs", "PBX link jobs in the database by link and state", ["link", "state"]),
      pbxLinkUp: gauge("pbx_link_up", "1 while a PBX link is ok, 0 in error or not yet probed", ["link", "type"]),
      sipRegistrations: gauge("sip_registrations", "SIP ports by registration state", ["state"]),
      calls: gauge("calls_in_progress", "Calls on the SIP ports now (wake-ups, IVR, voicemail)"),
      wakeups: gauge("wakeups", "Wake-ups in the database by state", ["state"]),
      wakeupsDue: gauge("wakeups_due", "Open wake-ups whose call is due now or overdue"),
      mwi: gauge("mwi_notifies", "Message-lamp NOTIFYs by outcome: sent, failed (dead letters), pending", ["result"]),
      lag: gauge("event_loop_lag_seconds", "Event-loop lag: the last sample"),
      lagPeak: gauge("event_loop_lag_peak_seconds", "Event-loop lag: the largest sample since the last scrape"),
      rss: gauge("resident_memory_bytes", "Resident set size of the process"),
    };
  }

  /** Counts one answered request; the route is Hono's pattern, so the label set stays small. */
  countRequest(routePattern: string | undefined, method: string, status: number): void {
    const matched = routePattern && routePattern !== "/*" && routePattern !== "*";
    this.requests.inc({
      route: matched ? routePattern : "other",
      method: METHODS.has(method) ? method : "other",
      status: String(status),
    });
  }

  render(): Promise<string> {
    return this.mutex.run(async () => {
      await this.refresh();
      return this.registry.metrics();
    });
  }

  private async refresh(): Promise<void> {
    const { deps, gauges: g } = this;
    for (const m of Object.values(g)) m.reset();
    g.info.set({ version: deps.version }, 1);
    g.uptime.set(Math.max(0, (deps.ctx.clock.now() - deps.startedAt) / 1000));

    for (const s of PMS_STATES) g.pmsLink.set({ state: s }, deps.pms.state === s ? 1 : 0);
    const counts = await readStoreCounts(deps.ctx);
    g.pmsRecords.set({ direction: "in" }, counts.pmsRecordsIn);
    g.pmsRecords.set({ direction: "out" }, counts.pmsRecordsOut);
    g.pmsOutbox.set(counts.pmsOutboxDepth);
    for (const j of counts.pbxJobs) g.pbxJobs.set({ link: j.link, state: j.state }, j.count);
    const mwi = (state: string) =>
      counts.pbxJobs.filter((j) => j.link === MWI_LINK && j.state === state).reduce((n, j) => n + j.count, 0);
    g.mwi.set({ result: "sent" }, mwi("done"));
    g.mwi.set({ result: "failed" }, mwi("dead"));
    g.mwi.set({ result: "pending" }, mwi("pending"));
    for (const s of WAKEUP_STATES) g.wakeups.set({ state: s }, counts.wakeups.find((w) => w.state === s)?.count ?? 0);
    g.wakeupsDue.set(counts.wakeupsDue);

    for (const l of await deps.pbxStatus()) g.pbxLinkUp.set({ link: l.name, type: l.type }, l.state === "ok" ? 1 : 0);

    const sip = deps.sipPorts();
    for (const s of PORT_STATES)
      g.sipRegistrations.set({ state: s }, sip?.ports.filter((p) => p.state === s).length ?? 0);
    g.calls.set(sip?.media?.callsLive ?? 0);

    if (deps.loopLag) {
      g.lag.set(deps.loopLag.lagMs / 1000);
      g.lagPeak.set(deps.loopLag.takePeak() / 1000);
    }
    g.rss.set(memoryUsage.rss());
  }
}

const byDeps = new WeakMap<ApiDeps, ApiMetrics>();

/** The API's metrics, one per ApiDeps (the request counter and the route share it). */
export function apiMetrics(deps: ApiDeps): ApiMetrics {
  const known = byDeps.get(deps);
  if (known) return known;
  const m = new ApiMetrics(deps);
  byDeps.set(deps, m);
  return m;
}
