/**
 * (n) The VOIspeed link against the VOIspeed simulator (src/sim/voispeed), the whole appliance on
 * 127.0.0.1 (store, ingest, job runner, the real driver over HTTP, the staff API serving the
 * callbacks):
 *
 * (a) 500 check-outs through the driver and the job runner at the link's rate limit (`ratePerSecond`,
 *     default 10; `VOISPEED_RATE` to change it). The 500 rooms are checked in first with the link at
 *     10,000/s, so the driver itself makes the contacts the check-outs delete; then the appliance is
 *     restarted on the same data with the rate under test. A check-out is one `delete_phonebook`
 *     (vacantMode normal), so the floor is (500 − the bucket's burst) / rate. Figures: wall time from
 *     the first GO fed to the last delete answered, its ratio to the floor, requests refused or
 *     failed, dead or pending jobs, contacts left in the simulator's phonebook.
 *
 * (b) Event ingestion: 500 calls of room extensions (outgoing and incoming, answered and not; ~10
 *     events each, 4 of them end-of-call ones that write a row), every event sent twice, ~10,000 GETs
 *     to the events endpoint from 127.0.0.1 with the key:
 *     - one at a time: the simulator delivers 250 calls' events itself, in order, each awaited, as
 *       VOIspeed does;
 *     - 16 calls in flight: the simulator records 250 more calls without sending, and those exact
 *       queries are replayed, each event followed by its copy, 16 calls at a time (a call's own
 *       events in order);
 *     - a counted event (call_answered: no store write) 16 in flight, to tell the store's share.
 *     Baselines of the same run, on the same client: the same events (the simulator's GETs, then the
 *     replay) sent to `GET /api/v1/health` instead. Afterwards every call must be one row in
 *     `call_records`, completed from the simulator's `get_call_report` (the link at 1,000/s here, so
 *     the link's rate limit, which call-report reads share with the jobs, does not hold them up).
 *
 * `VOISPEED_RATE` changes (a)'s rate (default 10: ~1 minute in all).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Appliance, startAppliance } from "../src/app/appliance.ts";
import { parseConfig } from "../src/config/load.ts";
import { silentLogger } from "../src/lib/logger.ts";
import { recordFromText, serializeRecord } from "../src/pms/fias/record.ts";
import { serve } from "../src/runtime/serve.ts";
import { defineRoom } from "../src/services/rooms.ts";
import { eventQuery } from "../src/sim/voispeed/notify.ts";
import { type SimEvent, VoispeedSimulator } from "../src/sim/voispeed/simulator.ts";
import { fmt, line } from "./util.ts";

const LINK = "vs";
const KEY = "bench-notify-key-0123456789";
const MIGRATIONS = resolve(import.meta.dirname, "../migrations");
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Wall-clock time with sub-millisecond resolution (the simulator stamps its request log with it). */
const wallNow = () => performance.timeOrigin + performance.now();

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = a && typeof a === "object" ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

async function start(dir: string, simPort: number, ratePerSecond: number) {
  return startAppliance({
    config: parseConfig({
      api: { listen: "127.0.0.1:0" },
      pms: { port: await freePort() },
      pbx: {
        pollMs: 50,
        links: [
          {
            type: "voispeed",
            name: LINK,
            url: `http://127.0.0.1:${simPort}/PBX/seri_endpoint.php`,
            token: "sim-token",
            notifyKey: KEY,
            intervalSeconds: 1,
            ratePerSecond,
          },
        ],
      },
    }),
    dataDir: dir,
    migrationsFolder: MIGRATIONS,
    logger: silentLogger,
    version: "bench",
    serve,
  });
}

function feed(app: Appliance, text: string): void {
  const r = recordFromText(text);
  app.ingest.receive(r, serializeRecord(r));
}

async function jobStates(app: Appliance): Promise<Record<string, number>> {
  const rs = await app.store.client.execute({
    sql: "select state, count(*) as n from pbx_jobs where link = ? group by state",
    args: [LINK],
  });
  return Object.fromEntries(rs.rows.map((r) => [String(r.state), Number(r.n)]));
}

async function settle(app: Appliance, label: string, t0: number): Promise<void> {
  let lastReport = t0;
  for (;;) {
    const s = await jobStates(app);
    if (!s.pending) return;
    if (wallNow() - lastReport > 15_000) {
      lastReport = wallNow();
      process.stderr.write(
        `  voispeed bench: ${label}: ${s.pending} jobs pending, ${fmt((lastReport - t0) / 1000)} s\n`,
      );
    }
    await sleep(50);
  }
}

const ours = (sim: VoispeedSimulator) => sim.contacts().filter((c) => c.uc_app_name === "bellhop");

/** (a) */
async function checkouts(rooms: number, rate: number) {
  const dir = mkdtempSync(join(tmpdir(), "bellhop-bench-voispeed-"));
  const first = 1000;
  const sim = new VoispeedSimulator({ users: rooms, firstExtension: first, now: wallNow });
  const simPort = await sim.listen(0, "127.0.0.1");
  try {
    const setup = await start(dir, simPort, 10_000);
    const ts = wallNow();
    try {
      for (let i = 0; i < rooms; i++) {
        feed(setup, `GI|RN${first + i}|G#${i + 1}|GNGuest${i}|GFBench|GLEA|GA260101|GD261231|`);
      }
      await setup.ingest.idle();
      await settle(setup, "check-ins", ts);
      process.stderr.write(
        `  voispeed bench: ${rooms} check-ins (contacts made) in ${fmt((wallNow() - ts) / 1000, 1)} s\n`,
      );
    } finally {
      await setup.stop();
    }
    const contactsBefore = ours(sim).length;
    const app = await start(dir, simPort, rate);
    try {
      // startAppliance awaited the probe (get_entities), which took the bucket's token: let it refill.
      await sleep(1000 + 1000 / rate);
      const from = sim.requests.length;
      const t0 = wallNow();
      for (let i = 0; i < rooms; i++) feed(app, `GO|RN${first + i}|G#${i + 1}|`);
      await app.ingest.idle();
      await settle(app, "check-outs", t0);
      const reqs = sim.requests.slice(from);
      const deletes = reqs.filter((r) => r.service === "delete_phonebook");
      const last = Math.max(...reqs.map((r) => r.at));
      const firstAt = Math.min(...deletes.map((r) => r.at));
      const byOp = await app.store.client.execute({
        sql: "select op, state, count(*) as n from pbx_jobs where link = ? and op = 'checkout' group by state",
        args: [LINK],
      });
      return {
        seconds: (last - t0) / 1000,
        firstMs: firstAt - t0,
        requests: reqs.length,
        deletes: deletes.length,
        refused: reqs.filter((r) => r.status !== 200 || r.outcome !== "0").length,
        states: await jobStates(app),
        checkoutsDone: Number(byOp.rows.find((r) => r.state === "done")?.n ?? 0),
        contactsBefore,
        contactsAfter: ours(sim).length,
        // The bucket starts full: its burst goes without waiting.
        burst: Math.max(1, rate / 10),
      };
    } finally {
      await app.stop();
    }
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

interface Run {
  n: number;
  seconds: number;
  lat: number[];
  failed: number;
}

const perSecond = (r: Pick<Run, "n" | "seconds">) => r.n / r.seconds;

/** GETs of `url(i)` for i < n, `width` in flight; the latency of each. */
async function hammer(n: number, width: number, url: (i: number) => string): Promise<Run> {
  const lat: number[] = [];
  let failed = 0;
  let next = 0;
  const t0 = wallNow();
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) {
        const i = next++;
        const t = wallNow();
        const res = await fetch(url(i));
        await res.arrayBuffer();
        lat.push(wallNow() - t);
        if (res.status !== 200) failed++;
      }
    }),
  );
  return { n, seconds: (wallNow() - t0) / 1000, lat, failed };
}

/** Each call's events in order, each followed by its copy, `width` calls in flight, to `base` + query. */
async function replay(calls: SimEvent[][], width: number, base: string): Promise<Run> {
  const queue = [...calls];
  const lat: number[] = [];
  let failed = 0;
  const t0 = wallNow();
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let evs = queue.shift(); evs; evs = queue.shift()) {
        for (const e of evs) {
          for (let copy = 0; copy < 2; copy++) {
            const t = wallNow();
            const res = await fetch(`${base}&${eventQuery(e.params)}`);
            await res.arrayBuffer();
            lat.push(wallNow() - t);
            if (res.status !== 200) failed++;
          }
        }
      }
    }),
  );
  return { n: lat.length, seconds: (wallNow() - t0) / 1000, lat, failed };
}

type CallPlan = { from: string; to: string; answer: true | "no-answer" };

/** Outgoing and incoming, answered and not, over the room extensions. */
function plan(i: number, first: number, extensions: number): CallPlan {
  const ext = String(first + (i % extensions));
  const outside = `06${String(1_000_000 + i).slice(1)}`;
  switch (i % 4) {
    case 0:
      return { from: ext, to: outside, answer: true };
    case 1:
      return { from: outside, to: ext, answer: true };
    case 2:
      return { from: ext, to: outside, answer: "no-answer" };
    default:
      return { from: outside, to: ext, answer: "no-answer" };
  }
}

/** (b) */
async function ingestion(callsEach: number, width: number) {
  const dir = mkdtempSync(join(tmpdir(), "bellhop-bench-voispeed-"));
  const first = 1000;
  const extensions = 50;
  const sim = new VoispeedSimulator({ users: extensions, firstExtension: first, now: wallNow });
  const simPort = await sim.listen(0, "127.0.0.1");
  const app = await start(dir, simPort, 1000);
  try {
    for (let i = 0; i < extensions; i++) {
      const n = String(first + i);
      await defineRoom(app.ctx, "api:installer", n, { extension: n });
    }
    const api = `http://127.0.0.1:${app.apiPort}/api/v1`;
    const events = `${api}/pbx/voispeed/${LINK}/events?key=${KEY}`;
    const health = `${api}/health?x=1`;
    let planned = 0;
    /** `count` more calls; the simulator sends their events (every one twice) to `url`, or to no one. */
    const place = async (count: number, url: string | null) => {
      sim.notifyUrl = url;
      sim.notifier.duplicateAll = url !== null;
      const from = sim.events.length;
      const t0 = wallNow();
      for (let k = 0; k < count; k++, planned++) {
        const p = plan(planned, first, extensions);
        await sim.placeCall(p.from, p.to, { answer: p.answer, talkSeconds: 30 + (planned % 90), hangupBy: "caller" });
      }
      await sim.idle();
      const sent = sim.events.slice(from);
      return { n: sent.length, seconds: (wallNow() - t0) / 1000, failed: sent.filter((e) => e.status !== 200).length };
    };
    // Warm-up: the routes, the store's statements, the client's connections.
    await hammer(200, 1, () => health);
    await hammer(50, 1, (i) => `${events}&event_type=2&event=14&event_name=call_answered&ext=${first}&call_id=w${i}`);

    // One at a time, as VOIspeed sends: the simulator itself. Baseline: the same events to the health route.
    const seqBase = await place(callsEach, health);
    const seq = await place(callsEach, events);

    // 16 calls in flight: the simulator's own queries for more calls, replayed. Baseline: the same to health.
    const recFrom = sim.events.length;
    await place(callsEach, null);
    const byCall = new Map<string, SimEvent[]>();
    for (const e of sim.events.slice(recFrom)) {
      const id = e.params.call_id ?? "";
      byCall.set(id, [...(byCall.get(id) ?? []), e]);
    }
    const recorded = [...byCall.values()];
    const parBase = await replay(recorded, width, health);
    const par = await replay(recorded, width, events);
    // The endpoint without a store write: a counted event (call_answered), 16 in flight.
    const counted = await hammer(
      par.n,
      width,
      (i) => `${events}&event_type=2&event=14&event_name=call_answered&ext=${first + (i % extensions)}&call_id=c${i}`,
    );

    // Every call completed from get_call_report, once.
    const t2 = wallNow();
    for (;;) {
      await app.callRecords?.idle();
      if (!(await app.callRecords?.pendingCount())) break;
      await sleep(20);
    }
    const completeSeconds = (wallNow() - t2) / 1000;
    const rows = await app.store.client.execute({
      sql: "select state, count(*) as n, count(distinct call_id) as calls from call_records where link = ? group by state",
      args: [LINK],
    });
    const states = Object.fromEntries(rows.rows.map((r) => [String(r.state), Number(r.n)]));
    return {
      calls: 2 * callsEach,
      seq,
      seqBase,
      par,
      parBase,
      counted,
      states,
      rows: Object.values(states).reduce((a, b) => a + b, 0),
      distinct: rows.rows.reduce((a, r) => a + Number(r.calls), 0),
      completeSeconds,
      counters: app.callRecords?.counters,
    };
  } finally {
    await app.stop();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchVoispeed(): Promise<void> {
  const rooms = 500;
  const rate = Number(process.env.VOISPEED_RATE ?? 10);
  process.stderr.write(`  voispeed bench: ${rooms} check-outs at ${rate}/s (about ${fmt(rooms / rate)} s)…\n`);
  const a = await checkouts(rooms, rate);
  const floor = (a.deletes - a.burst) / rate;
  line(`${rooms} check-outs, link at ${rate}/s: wall time`, `${fmt(a.seconds, 1)} s`);
  line(`  floor (${a.deletes} deletes − burst ${a.burst}) / rate`, `${fmt(floor, 1)} s`);
  line("  wall time / floor", `${fmt(a.seconds / floor, 3)}×`, "≤ 1.05×");
  line("  first GO fed → first delete answered", `${fmt(a.firstMs, 1)} ms`);
  line("  requests / s", fmt(a.requests / a.seconds, 2), `≤ ${rate}`);
  line("  requests refused or failed", String(a.refused), "0");
  line("  check-out jobs done / dead / pending", `${a.checkoutsDone}/${a.states.dead ?? 0}/${a.states.pending ?? 0}`);
  line("  our contacts before → after", `${a.contactsBefore} → ${a.contactsAfter}`, `${rooms} → 0`);

  const b = await ingestion(250, 16);
  const ratio = (x: number, base: number) => `${fmt(x / base, 2)}×`;
  line(`${b.calls / 2} calls' events, each sent twice, one at a time`, `${fmt(perSecond(b.seq))} /s`);
  line("  the same events to GET /api/v1/health (baseline)", `${fmt(perSecond(b.seqBase))} /s`, undefined);
  line("  per event: events endpoint / baseline", ratio(b.seqBase.n / b.seqBase.seconds, perSecond(b.seq)));
  line(`${b.calls / 2} more calls' events, ×2, 16 calls in flight`, `${fmt(perSecond(b.par))} /s`);
  line("  the same to GET /api/v1/health (baseline)", `${fmt(perSecond(b.parBase))} /s`);
  line("  throughput: events endpoint / baseline", ratio(perSecond(b.par), perSecond(b.parBase)));
  line(
    "  latency p50 / p99 (baseline)",
    `${fmt(percentile(b.par.lat, 50), 2)}/${fmt(percentile(b.par.lat, 99), 2)} ms (${fmt(percentile(b.parBase.lat, 50), 2)}/${fmt(percentile(b.parBase.lat, 99), 2)})`,
  );
  line("  call_answered alone (no store write), 16 in flight", `${fmt(perSecond(b.counted))} /s`);
  line(
    "  events not answered 200 (baselines)",
    `${b.seq.failed + b.par.failed + b.counted.failed} (${b.seqBase.failed + b.parBase.failed})`,
    "0",
  );
  line(
    "calls → call_records rows (distinct call ids)",
    `${b.calls} → ${b.rows} (${b.distinct})`,
    `${b.calls} → ${b.calls}`,
  );
  line("  rows done / pending / failed", `${b.states.done ?? 0}/${b.states.pending ?? 0}/${b.states.failed ?? 0}`);
  line("  completion after the last event (get_call_report)", `${fmt(b.completeSeconds * 1000)} ms`);
  console.log(
    `  recorder: ${b.counters?.events} end-of-call events, ${b.counters?.duplicates} duplicates, ${b.counters?.recorded} recorded`,
  );
}

if (import.meta.main) await benchVoispeed();
