/**
 * (g) The Zoom link against the Zoom simulator (src/sim/zoom), over real HTTP on 127.0.0.1:
 * (a) 500 check-outs at once with the simulator limited to 10 requests/s per category and the link
 *     paced at 10/s: the useful (2xx) request rate reached, and the 429s it drew on the way;
 * (b) the latency from a check-in entering ingest to the simulator logging the first request for
 *     that room's Zoom user, with no rate limit in the way.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Appliance, startAppliance } from "../src/app/appliance.ts";
import { parseConfig } from "../src/config/load.ts";
import { silentLogger } from "../src/lib/logger.ts";
import { recordFromText, serializeRecord } from "../src/pms/fias/record.ts";
import { DEFAULT_CLIENT, type SimRequest, ZoomSimulator } from "../src/sim/zoom/simulator.ts";
import { fmt, line } from "./util.ts";

const LINK = "zoom";
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

async function start(dir: string, zoomPort: number, link: { enabled: boolean; ratePerSecond: number }) {
  return startAppliance({
    config: parseConfig({
      pms: { port: await freePort() },
      pbx: {
        pollMs: 50,
        links: [
          {
            type: "zoom",
            name: LINK,
            url: `http://127.0.0.1:${zoomPort}`,
            accountId: DEFAULT_CLIENT.accountId,
            clientId: DEFAULT_CLIENT.clientId,
            clientSecret: DEFAULT_CLIENT.clientSecret,
            messageManagement: false,
            intervalSeconds: 1,
            ...link,
          },
        ],
      },
    }),
    dataDir: dir,
    migrationsFolder: MIGRATIONS,
    logger: silentLogger,
    version: "bench",
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

function countBy(xs: string[]): string {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m].map(([k, n]) => `${k} ×${n}`).join(", ");
}

const ok = (r: SimRequest) => r.status >= 200 && r.status < 300;

/** (a) 500 check-outs against a 10/s Zoom. */
async function checkouts(rooms: number, rate: number) {
  const dir = mkdtempSync(join(tmpdir(), "bellhop-bench-zoom-"));
  const first = 1000;
  const sim = new ZoomSimulator({
    users: rooms,
    firstExtension: first,
    rate: { light: rate, medium: rate, heavy: rate },
    now: wallNow,
  });
  const zoomPort = await sim.listen(0, "127.0.0.1");
  try {
    // Check the rooms in with the Zoom link disabled (no jobs for it), then restart with it on: the
    // check-outs then meet a quiet link, and the bench does not spend minutes on the check-ins.
    const setup = await start(dir, zoomPort, { enabled: false, ratePerSecond: rate });
    try {
      for (let i = 0; i < rooms; i++) {
        feed(setup, `GI|RN${first + i}|G#${i + 1}|GNGuest${i}|GFBench|GLEA|GA260101|GD261231|`);
      }
      await setup.ingest.idle();
    } finally {
      await setup.stop();
    }
    const app = await start(dir, zoomPort, { enabled: true, ratePerSecond: rate });
    try {
      // startAppliance awaited the link's probe (token, user and phone-user listings).
      await sleep(1100); // let the simulator's per-second windows of the probe pass
      const from = sim.requests.length;
      const t0 = wallNow();
      for (let i = 0; i < rooms; i++) feed(app, `GO|RN${first + i}|G#${i + 1}|`);
      await app.ingest.idle();
      let lastReport = t0;
      for (;;) {
        const s = await jobStates(app);
        if (!s.pending) break;
        if (wallNow() - lastReport > 15_000) {
          lastReport = wallNow();
          const done = sim.requests.slice(from).filter(ok).length;
          process.stderr.write(
            `  zoom bench: ${s.pending} jobs pending, ${done} requests answered 2xx, ${fmt((lastReport - t0) / 1000)} s\n`,
          );
        }
        await sleep(50);
      }
      const states = await jobStates(app);
      const byOp = await app.store.client.execute({
        sql: "select op, state, count(*) as n from pbx_jobs where link = ? group by op, state order by op, state",
        args: [LINK],
      });
      const ops = byOp.rows.map((r) => `${r.op} ${r.state} ${r.n}`).join(", ");
      const reqs = sim.requests.slice(from);
      const good = reqs.filter(ok);
      const last = Math.max(...reqs.map((r) => r.at));
      const seconds = (last - t0) / 1000;
      return {
        seconds,
        good: good.length,
        all: reqs.length,
        throttled: reqs.filter((r) => r.status === 429).length,
        otherErrors: reqs.filter((r) => !ok(r) && r.status !== 429).length,
        states,
        ops,
        methods: countBy(good.map((r) => `${r.method} ${r.path.replace(/\/users\/[^/?]+/, "/users/{id}")}`)),
      };
    } finally {
      await app.stop();
    }
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** (b) Check-in → first Zoom request, one check-in after another, no rate limit in the way. */
async function checkinLatency(rooms: number) {
  const dir = mkdtempSync(join(tmpdir(), "bellhop-bench-zoom-"));
  const first = 1000;
  const sim = new ZoomSimulator({
    users: rooms,
    firstExtension: first,
    rate: { light: 100_000, medium: 100_000, heavy: 100_000 },
    now: wallNow,
  });
  const zoomPort = await sim.listen(0, "127.0.0.1");
  const app = await start(dir, zoomPort, { enabled: true, ratePerSecond: 100_000 });
  try {
    const lat: number[] = [];
    for (let i = 0; i < rooms; i++) {
      const ext = first + i;
      const user = sim.userByExtension(ext);
      if (!user) throw new Error(`simulator has no user for ${ext}`);
      const from = sim.requests.length;
      const t0 = wallNow();
      feed(app, `GI|RN${ext}|G#${i + 1}|GNGuest${i}|GFBench|GA260101|GD261231|`);
      let hit: SimRequest | undefined;
      while (!hit) {
        for (let k = from; k < sim.requests.length; k++) {
          if (sim.requests[k].path.includes(user.id)) {
            hit = sim.requests[k];
            break;
          }
        }
        if (!hit) await sleep(1);
      }
      lat.push(hit.at - t0);
      // The room's remaining jobs settle before the next check-in, so each one meets an idle runner.
      await app.ingest.idle();
      while ((await jobStates(app)).pending) await sleep(2);
    }
    const s = [...lat].sort((a, b) => a - b);
    const pct = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
    return { p50: pct(50), p99: pct(99), max: s[s.length - 1], n: s.length, states: await jobStates(app) };
  } finally {
    await app.stop();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchZoom(): Promise<void> {
  const rooms = 500;
  const rate = 10;
  process.stderr.write(`  zoom bench: ${rooms} check-outs at ${rate}/s (about ${(rooms * 2) / rate} s)…\n`);
  const a = await checkouts(rooms, rate);
  line(`${rooms} check-outs, Zoom at ${rate}/s: wall time`, `${fmt(a.seconds, 1)} s`);
  line("  requests answered 2xx / s", fmt(a.good / a.seconds, 2), `≥ ${fmt(rate * 0.95, 1)}`);
  line("  check-outs / s", fmt(rooms / a.seconds, 2));
  line("  requests sent (2xx + 429 + other)", `${a.all} (${a.good}+${a.throttled}+${a.otherErrors})`);
  line("  429 answers", String(a.throttled), "0");
  line(
    "  jobs at the end (done/skipped/dead)",
    `${a.states.done ?? 0}/${a.states.skipped ?? 0}/${a.states.dead ?? 0}`,
    "0 dead",
  );
  console.log(`  jobs by op and state: ${a.ops}`);
  console.log(`  2xx requests: ${a.methods}`);
  const b = await checkinLatency(200);
  line(`check-in → first Zoom request, ${b.n} rooms: p50`, `${fmt(b.p50, 1)} ms`);
  line("  p99", `${fmt(b.p99, 1)} ms`, "≤ 20 ms");
  line("  max", `${fmt(b.max, 1)} ms`);
}

if (import.meta.main) await benchZoom();
