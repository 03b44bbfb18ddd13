/**
 * (b) End-to-end time of a 2,000-room resync: the simulator writes DS, 2,000 GI (SF) and DE over
 * real TCP; the clock stops when every record is stored, applied, and its PBX jobs are queued.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startAppliance } from "../src/app/appliance.ts";
import { parseConfig } from "../src/config/load.ts";
import { silentLogger } from "../src/lib/logger.ts";
import type { PbxDriver } from "../src/pbx/driver.ts";
import { generateHotel } from "../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../src/sim/pms/simulator.ts";
import { fmt, line, median } from "./util.ts";

/** Holds every op until released: the bench measures queueing, not delivery to a PBX. */
function gatedDriver(): PbxDriver & { release(): void } {
  let open: () => void = () => {};
  const gate = new Promise<void>((r) => {
    open = r;
  });
  return {
    type: "log",
    capabilities: ["names", "checkin-state", "dnd", "class-of-service", "guest-info", "voicemail-cleanup"],
    execute: () => gate,
    release: () => open(),
  };
}

async function once(
  rooms: number,
  synchronous: "FULL" | "NORMAL",
): Promise<{ ms: number; guests: number; jobs: number }> {
  const dir = mkdtempSync(join(tmpdir(), "bellhop-bench-"));
  const hotel = generateHotel({ rooms, occupancy: 1 });
  const sim = new PmsSimulator({ hotel });
  const port = await sim.listen(0);
  const config = parseConfig({
    pms: { mode: "client", host: "127.0.0.1", port },
    pbx: { links: [{ type: "log", name: "bench" }] },
  });
  const driver = gatedDriver();
  const app = await startAppliance({
    config,
    dataDir: dir,
    migrationsFolder: resolve(import.meta.dirname, "../migrations"),
    logger: silentLogger,
    version: "bench",
    drivers: { bench: driver },
    link: { initWaitMs: 100 },
    synchronous,
  });
  try {
    await sim.whenLinked();
    const want = hotel.guests.length + 2;
    const before = app.ingest.applied;
    const t0 = performance.now();
    sim.resync();
    while (app.ingest.applied - before < want) await new Promise((r) => setTimeout(r, 1));
    await app.ingest.idle();
    const ms = performance.now() - t0;
    const jobs = await app.store.client.execute("select count(*) as n from pbx_jobs");
    return { ms, guests: hotel.guests.length, jobs: Number(jobs.rows[0].n) };
  } finally {
    driver.release();
    await app.stop();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchResync(): Promise<void> {
  for (const sync of ["FULL", "NORMAL"] as const) {
    const runs: number[] = [];
    let last = { guests: 0, jobs: 0 };
    for (let i = 0; i < 5; i++) {
      const r = await once(2000, sync);
      runs.push(r.ms);
      last = r;
    }
    line(
      `2,000-room resync → stored + jobs queued (sync ${sync}), ms`,
      fmt(median(runs), 0),
      sync === "FULL" ? "≤ 500" : undefined,
    );
    if (sync === "FULL") line("  guests in resync / PBX jobs queued", `${last.guests} / ${last.jobs}`);
  }
}

if (import.meta.main) await benchResync();
