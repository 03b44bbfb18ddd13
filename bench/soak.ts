/**
 * (y) Soak: 8 hours of a 2,000-room hotel's traffic scaled down to 10 minutes (BELLHOP_SOAK_SECONDS)
 * against the compiled binary, its anonymous memory sampled every 5 s. Traffic, from the PMS
 * simulator over FIAS and from staff over the API: a full resync (DS, 2,000 GI, DE) every 2 minutes,
 * a check-out and check-in every second, message lamps (RE ML1/ML0, XL/XD) and DND (RE DN), wake-ups
 * set and cleared by WR/WC and by POST/DELETE /api/v1/wakeups (always for tomorrow: this measures
 * the appliance, not calls), and reads (health, one room, the PMS trace, metrics each second or so,
 * the 2,000-room list every 10 s). The verdict is the floor of anonymous RSS in each 2-minute
 * window (what the collector falls back to) and its slope after the warm-up (the first quarter): a
 * leak shows as a rising floor. BELLHOP_BIN=path soaks a binary already built;
 * BELLHOP_SOAK_SAMPLES=1 prints every sample.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toWallTime } from "../src/lib/zoned-time.ts";
import { fiasDate } from "../src/pms/fias/datetime.ts";
import { type Guest, generateHotel, guestFields } from "../src/sim/pms/hotel.ts";
import {
  buildBinary,
  freePort,
  HOST,
  memory,
  PmsSimulator,
  startBinary,
  stop,
  untilHealthy,
  writeConfig,
} from "./footprint-proc.ts";
import { fmt, line, median } from "./util.ts";

const SECONDS = Number(process.env.BELLHOP_SOAK_SECONDS ?? 600);
const SAMPLE_MS = 5000;
const RESYNC_EVERY_S = 120;
const TZ = "Europe/Rome";

interface Sample {
  s: number;
  anon: number;
  rss: number;
}

/** Least-squares slope of anon over time, MB per minute. */
function slope(samples: Sample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mx = samples.reduce((a, p) => a + p.s, 0) / n;
  const my = samples.reduce((a, p) => a + p.anon, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of samples) {
    num += (p.s - mx) * (p.anon - my);
    den += (p.s - mx) ** 2;
  }
  return den ? (num / den) * 60 : 0;
}

export async function benchSoak(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bellhop-soak-"));
  const bin = process.env.BELLHOP_BIN ?? join(dir, "bellhop");
  if (!process.env.BELLHOP_BIN) buildBinary(bin);
  const hotel = generateHotel({ rooms: 2000, occupancy: 0.85 });
  const sim = new PmsSimulator({ hotel });
  const pmsPort = await sim.listen(0, HOST);
  const apiPort = await freePort();
  writeConfig(dir, apiPort, pmsPort);
  const dataDir = join(dir, "data");
  const tok = spawnSync(bin, ["token", "create", "--data", dataDir, "--role", "admin", "--name", "soak"], {
    encoding: "utf8",
  });
  if (tok.status !== 0) throw new Error(`token create: ${tok.stderr}`);
  const auth = { Authorization: `Bearer ${tok.stdout.trim().split("\n").pop()}` };
  const api = `http://${HOST}:${apiPort}`;

  const app = startBinary(bin, dir, apiPort);
  const counts = { records: 0, requests: 0, errors: 0, refused: 0, resyncs: 0 };
  const samples: Sample[] = [];
  const refusals: string[] = [];
  try {
    await untilHealthy(apiPort, performance.now());
    await sim.whenLinked();
    sim.resync();
    counts.resyncs++;

    const request = async (path: string, init: RequestInit = {}): Promise<unknown> => {
      counts.requests++;
      try {
        const r = await fetch(`${api}${path}`, { ...init, headers: { ...auth, ...init.headers } });
        const body = r.headers.get("content-type")?.includes("json") ? await r.json() : await r.text();
        if (r.status >= 500) counts.errors++;
        else if (r.status >= 400 && ++counts.refused <= 3) refusals.push(`${init.method ?? "GET"} ${path} ${r.status}`);
        return body;
      } catch {
        counts.errors++;
        return undefined;
      }
    };
    const send = (rec: string) => {
      counts.records++;
      sim.send(rec);
    };
    const pick = <T>(xs: T[], i: number): T => xs[(i * 7919) % xs.length] as T;
    const tomorrow = () => toWallTime(Date.now() + 86_400_000, TZ);
    const apiWakeups: string[] = [];
    const messages: { g: Guest; mi: number }[] = [];

    const t0 = performance.now();
    let tick = 0;
    let nextSample = 0;
    let nextResync = RESYNC_EVERY_S;
    while (true) {
      const s = (performance.now() - t0) / 1000;
      if (s >= SECONDS) break;
      if (app.child.exitCode !== null || app.child.signalCode !== null) throw new Error("the appliance exited");
      if (s >= nextSample) {
        const m = memory(app.pid);
        samples.push({ s, anon: m.anon, rss: m.rss });
        nextSample += SAMPLE_MS / 1000;
      }
      if (s >= nextResync) {
        sim.resync();
        counts.resyncs++;
        nextResync += RESYNC_EVERY_S;
      }
      // Every 250 ms a quarter of the second's traffic. What is set is taken back a little later
      // (check-out → check-in of the same guest, XL → XD of the same message, WR → WC of the same
      // room, POST → DELETE of the same wake-up), so the hotel's state stays level and a growth of
      // memory is the appliance's, not more data.
      const second = Math.floor(tick / 4);
      const g = pick(hotel.guests, second) as Guest;
      // Another guest's room: one the appliance knows (vacant rooms are never sent, so unknown: 404).
      const room = (pick(hotel.guests, second + 1) as Guest).room;
      const day = fiasDate(tomorrow());
      switch (tick % 4) {
        case 0:
          send(`GO|RN${g.room}|G#${g.reservation}|`);
          await request("/api/v1/health");
          break;
        case 1:
          send(
            `GI|${Object.entries(guestFields(g))
              .map(([k, v]) => `${k}${v}`)
              .join("|")}|`,
          );
          send(`RE|RN${room}|ML${second % 2}|`);
          await request(`/api/v1/rooms/${room}`);
          break;
        case 2: {
          send(`WR|RN${g.room}|DA${day}|TI0${5 + (second % 4)}${String(second % 60).padStart(2, "0")}|`);
          if (second % 2 === 0) {
            send(`XL|RN${g.room}|G#${g.reservation}|MI${second}|MTPlease call the front desk|`);
            messages.push({ g, mi: second });
          } else {
            const m = messages.shift();
            if (m) send(`XD|RN${m.g.room}|G#${m.g.reservation}|MI${m.mi}|`);
          }
          if (second % 10 === 0) await request("/metrics");
          if (second % 10 === 5) await request("/api/v1/pms");
          break;
        }
        case 3: {
          send(`WC|RN${g.room}|DA${day}|`);
          send(`RE|RN${room}|DN${second % 4 < 2 ? "Y" : "N"}|`);
          const w = tomorrow();
          const date = `${2000 + (w.year % 100)}-${String(w.month).padStart(2, "0")}-${String(w.day).padStart(2, "0")}`;
          const made = (await request("/api/v1/wakeups", {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ room: g.room, at: `${date}T06:${String(second % 60).padStart(2, "0")}:00+01:00` }),
          })) as { id?: string } | undefined;
          if (made?.id) apiWakeups.push(made.id);
          if (apiWakeups.length > 20) await request(`/api/v1/wakeups/${apiWakeups.shift()}`, { method: "DELETE" });
          if (second % 10 === 3) await request("/api/v1/rooms");
          break;
        }
      }
      tick++;
      await new Promise((r) => setTimeout(r, Math.max(0, t0 + tick * 250 - performance.now())));
    }
  } finally {
    await stop(app);
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }

  // Anonymous memory saws up between collections (the resyncs every 2 minutes most); a leak shows in
  // the floor it falls back to. Floors: the lowest sample of each window of a resync period.
  const floors: Sample[] = [];
  for (let from = 0; from < SECONDS; from += RESYNC_EVERY_S) {
    const w = samples.filter((p) => p.s >= from && p.s < from + RESYNC_EVERY_S);
    if (w.length) floors.push(w.reduce((a, b) => (b.anon < a.anon ? b : a)));
  }
  const warm = floors.filter((p) => p.s >= SECONDS / 4);
  line(
    `soak ${fmt(SECONDS / 60, 1)} min: records / API requests / resyncs`,
    `${counts.records} / ${counts.requests} / ${counts.resyncs}`,
  );
  line("  API errors (5xx or no answer) / 4xx", `${counts.errors} / ${counts.refused}`, "0 / 0");
  if (refusals.length) console.log(`    first 4xx: ${refusals.join(", ")}`);
  line("  anonymous RSS floor per 2 min, MB", floors.map((p) => fmt(p.anon, 1)).join(" "));
  line("  floor slope after warm-up, MB/min", fmt(slope(warm), 2), "≈ 0");
  line(
    "  anonymous RSS median / peak, MB",
    `${fmt(median(samples.map((p) => p.anon)), 1)} / ${fmt(Math.max(...samples.map((p) => p.anon)), 1)}`,
  );
  line("  RSS at the end, MB", fmt(samples[samples.length - 1]?.rss ?? 0, 1));
  if (process.env.BELLHOP_SOAK_SAMPLES) {
    for (const p of samples) console.log(`    ${fmt(p.s, 0)} s  anon ${fmt(p.anon, 1)}  rss ${fmt(p.rss, 1)}`);
  }
}

if (import.meta.main) await benchSoak();
