/** GET /metrics: access, Prometheus text, the values read from the store and the live status, request counts. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inArray } from "drizzle-orm";
import { createApi } from "../../src/api/app.ts";
import type { ApiDeps } from "../../src/api/deps.ts";
import { apiMetrics } from "../../src/api/metrics.ts";
import { metricsOnlyApi } from "../../src/api/routes/metrics.ts";
import { insertJobs } from "../../src/store/pbx-jobs.ts";
import { enqueueOutbox, insertInbox, setOutboxState } from "../../src/store/pms-queue.ts";
import { pbxJobs, wakeups } from "../../src/store/schema/index.ts";
import { withApi } from "./fixture.ts";

async function scrape(app: { request: (p: string, i?: RequestInit) => Response | Promise<Response> }, token?: string) {
  const res = await app.request("/metrics", { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

/** The value of one sample line, e.g. `bellhop_wakeups{state="done"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("GET /metrics", () => {
  test("an admin or installer token; none is 401, another role 403", () =>
    withApi(async ({ app, tokens }) => {
      assert.equal((await scrape(app)).status, 401);
      assert.equal((await scrape(app, tokens.frontdesk)).status, 403);
      assert.equal((await scrape(app, tokens.housekeeping)).status, 403);
      assert.equal((await scrape(app, tokens.installer)).status, 200);
      const r = await scrape(app, tokens.admin);
      assert.equal(r.status, 200);
      assert.match(r.type ?? "", /^text\/plain; version=0\.0\.4/);
      for (const line of r.text.split("\n").filter((l) => l && !l.startsWith("#"))) {
        assert.match(line, /^bellhop_[a-z_]+(\{[^}]*\})? -?[0-9.e+-]+$/, line);
      }
      for (const token of Object.values(tokens)) assert.ok(!r.text.includes(token), "no token in the metrics");
    }));

  test("metrics.public: no token needed on the API listener", () =>
    withApi(async ({ deps }) => {
      const app = createApi({ ...deps, metrics: { public: true } });
      assert.equal((await scrape(app)).status, 200);
    }));

  test("metrics.listen's own app serves /metrics without a token and nothing else", () =>
    withApi(async ({ deps }) => {
      const only = metricsOnlyApi(deps);
      const r = await scrape(only);
      assert.equal(r.status, 200);
      assert.ok(r.text.includes("bellhop_pms_link_state"));
      assert.equal((await only.request("/api/v1/rooms")).status, 404);
    }));

  test("PMS, PBX jobs, MWI, wake-ups from the store; SIP ports, calls, links and lag from the live status", () =>
    withApi(async ({ store, ctx, deps, tokens }) => {
      const now = ctx.clock.now();
      await store.tx(async (tx) => {
        await insertInbox(
          tx,
          [1, 2, 3].map((i) => ({ type: "GI", raw: `GI|RN10${i}|`, receivedAt: now })),
        );
        for (const k of ["a", "b", "c"])
          await enqueueOutbox(tx, { type: "RE", record: `RE|RN1|${k}`, dedupeKey: k }, now);
        await setOutboxState(tx, 1, "sent", now);
        await insertJobs(
          tx,
          [
            { link: "zoom1", op: "dnd", room: "101", payload: {} },
            { link: "zoom1", op: "dnd", room: "102", payload: {} },
            { link: "sip-mwi", op: "lamp", room: "101", payload: {} },
            { link: "sip-mwi", op: "lamp", room: "102", payload: {} },
            { link: "sip-mwi", op: "lamp", room: "103", payload: {} },
          ],
          now,
        );
        await tx
          .update(pbxJobs)
          .set({ state: "done" })
          .where(inIds([3]));
        await tx
          .update(pbxJobs)
          .set({ state: "dead" })
          .where(inIds([4]));
        const w = (room: string, dueAt: number, state: "pending" | "done" | "failed") => ({
          room,
          dueAt,
          nextAttemptAt: dueAt,
          fiasDate: "261122",
          fiasTime: "070000",
          source: "api" as const,
          state,
          createdAt: now,
          updatedAt: now,
        });
        await tx
          .insert(wakeups)
          .values([
            w("101", now - 60_000, "pending"),
            w("102", now + 3_600_000, "pending"),
            w("103", now - 86_400_000, "done"),
            w("104", now - 86_400_000, "failed"),
          ]);
      });
      const live: ApiDeps = {
        ...deps,
        pbxStatus: async () => [
          { name: "zoom1", type: "zoom", state: "error" } as never,
          { name: "sip-mwi", type: "sip-mwi", state: "ok" } as never,
        ],
        sipPorts: () => ({
          ports: [
            { user: "w1", state: "registered" },
            { user: "w2", state: "registered" },
            { user: "w3", state: "auth-failed" },
          ] as never,
          traffic: {} as never,
          media: { callsSrtp: 0, callsRtp: 2, callsLive: 2, srtpAuthFailures: 0, srtpReplays: 0, srtpNotSrtp: 0 },
        }),
        loopLag: { lagMs: 12, takePeak: () => 250 },
      };
      deps.pms.onState("linked");
      const r = await scrape(createApi(live), tokens.admin);
      assert.equal(r.status, 200);
      const t = r.text;
      assert.equal(sample(t, 'bellhop_pms_link_state{state="linked"}'), 1);
      assert.equal(sample(t, 'bellhop_pms_link_state{state="down"}'), 0);
      assert.equal(sample(t, 'bellhop_pms_records{direction="in"}'), 3);
      assert.equal(sample(t, 'bellhop_pms_records{direction="out"}'), 1);
      assert.equal(sample(t, "bellhop_pms_outbox_depth"), 2);
      assert.equal(sample(t, 'bellhop_pbx_jobs{link="zoom1",state="pending"}'), 2);
      assert.equal(sample(t, 'bellhop_pbx_jobs{link="sip-mwi",state="done"}'), 1);
      assert.equal(sample(t, 'bellhop_mwi_notifies{result="sent"}'), 1);
      assert.equal(sample(t, 'bellhop_mwi_notifies{result="failed"}'), 1);
      assert.equal(sample(t, 'bellhop_mwi_notifies{result="pending"}'), 1);
      assert.equal(sample(t, 'bellhop_pbx_link_up{link="zoom1",type="zoom"}'), 0);
      assert.equal(sample(t, 'bellhop_pbx_link_up{link="sip-mwi",type="sip-mwi"}'), 1);
      assert.equal(sample(t, 'bellhop_sip_registrations{state="registered"}'), 2);
      assert.equal(sample(t, 'bellhop_sip_registrations{state="auth-failed"}'), 1);
      assert.equal(sample(t, 'bellhop_sip_registrations{state="failed"}'), 0);
      assert.equal(sample(t, "bellhop_calls_in_progress"), 2);
      assert.equal(sample(t, 'bellhop_wakeups{state="pending"}'), 2);
      assert.equal(sample(t, 'bellhop_wakeups{state="done"}'), 1);
      assert.equal(sample(t, 'bellhop_wakeups{state="failed"}'), 1);
      assert.equal(sample(t, 'bellhop_wakeups{state="cancelled"}'), 0);
      assert.equal(sample(t, "bellhop_wakeups_due"), 1);
      assert.equal(sample(t, "bellhop_event_loop_lag_seconds"), 0.012);
      assert.equal(sample(t, "bellhop_event_loop_lag_peak_seconds"), 0.25);
      assert.ok((sample(t, "bellhop_resident_memory_bytes") ?? 0) > 1_000_000);
      assert.equal(sample(t, 'bellhop_info{version="9.9.9-test"}'), 1);
    }));

  test("API requests by route pattern, method and status; unknown paths and methods share one label", () =>
    withApi(async ({ app, call, deps, tokens }) => {
      await call("GET", "/api/v1/rooms");
      await call("GET", "/api/v1/rooms");
      await call("GET", "/api/v1/rooms/101");
      await call("GET", "/api/v1/rooms", { as: null });
      await call("GET", "/no/such/path/1");
      await call("GET", "/no/such/path/2");
      // A method no route has (what the runtime lets through) must not grow the label set.
      apiMetrics(deps).countRequest(undefined, "BREW", 404);
      const t = (await scrape(app, tokens.admin)).text;
      assert.equal(sample(t, 'bellhop_api_requests_total{route="/api/v1/rooms",method="GET",status="200"}'), 2);
      assert.equal(sample(t, 'bellhop_api_requests_total{route="/api/v1/rooms",method="GET",status="401"}'), 1);
      assert.equal(sample(t, 'bellhop_api_requests_total{route="/api/v1/rooms/:room",method="GET",status="404"}'), 1);
      assert.equal(sample(t, 'bellhop_api_requests_total{route="other",method="GET",status="404"}'), 2);
      assert.equal(sample(t, 'bellhop_api_requests_total{route="other",method="other",status="404"}'), 1);
    }));
});

function inIds(ids: number[]) {
  return inArray(pbxJobs.id, ids);
}
