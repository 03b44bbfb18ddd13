/**
 * (x) Start after a crash: the binary holds a 2,000-room hotel (resync applied), is killed with
 * SIGKILL, and the time from exec to the first 200 on /api/v1/health is taken, 7 times (median and
 * worst). Each restart is killed again right after its 200, so every start is an unclean one.
 * Timing: on a loaded machine (other engineers' runs on the 2 cores) expect it high and noisy.
 * BELLHOP_BIN=path benches a binary already built.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateHotel } from "../src/sim/pms/hotel.ts";
import {
  buildBinary,
  freePort,
  HOST,
  openDb,
  PmsSimulator,
  resyncAndWait,
  startBinary,
  stop,
  untilHealthy,
  writeConfig,
} from "./footprint-proc.ts";
import { fmt, line, median } from "./util.ts";

const RUNS = Number(process.env.BELLHOP_START_RUNS ?? 7);

export async function benchStart(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bellhop-start-"));
  const bin = process.env.BELLHOP_BIN ?? join(dir, "bellhop");
  if (!process.env.BELLHOP_BIN) buildBinary(bin);
  const sim = new PmsSimulator({ hotel: generateHotel({ rooms: 2000, occupancy: 1 }) });
  const pmsPort = await sim.listen(0, HOST);
  const apiPort = await freePort();
  writeConfig(dir, apiPort, pmsPort);
  try {
    let app = startBinary(bin, dir, apiPort);
    const coldMs = await untilHealthy(apiPort, performance.now());
    await sim.whenLinked();
    const db = openDb(app.dataDir);
    try {
      await resyncAndWait(sim, db);
    } finally {
      db.close();
    }
    await stop(app, "SIGKILL");
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      app = startBinary(bin, dir, apiPort);
      times.push(await untilHealthy(apiPort, t0));
      await stop(app, "SIGKILL");
    }
    line("first start, empty data folder: exec → health 200, ms", fmt(coldMs, 0));
    line(`after kill -9, 2,000 rooms: exec → health 200, ms (median of ${RUNS})`, fmt(median(times), 0), "≤ 150");
    line("  worst, ms", fmt(Math.max(...times), 0));
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchStart();
