/**
 * (x) Start after a crash: the binary holds a 2,000-room hotel (resync applied), is killed with
 * SIGKILL, and the time from exec to the first 200 on /api/v1/health is taken, 7 times (median and
 * worst). Each restart is killed again right after its 200, so every start is an unclean one.
 * Timing: on a loaded machine (other engineers' runs on the 2 cores) expect it high and noisy.
 * BELLHOP_BIN=path benches a binary already built; RECORD_ORDER=build/serve.order then records the
 * bytecode order of a start for build.ts; PROFILE_START=dir writes a CPU profile of one more start there.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
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
    if (process.env.RECORD_ORDER) {
      // One more start, stopped cleanly (the profile is written at exit) once the DR it sends after the
      // crash was answered with a resync and applied: build.ts lays out the bytecode in this order.
      app = startBinary(bin, dir, apiPort, { BUN_BYTECODE_ORDER_OUT: resolve(process.env.RECORD_ORDER) });
      await untilHealthy(apiPort, performance.now());
      await sim.whenLinked();
      await new Promise((r) => setTimeout(r, 5000));
      await stop(app);
      console.log(`bytecode order recorded in ${process.env.RECORD_ORDER}`);
    }
    if (process.env.PROFILE_START) {
      // One more start after a kill -9 under Bun's sampling profiler (a Markdown report, written at
      // exit): stopped cleanly at its first 200, so the report is the start and a stop.
      await stop(app, "SIGKILL");
      const out = resolve(process.env.PROFILE_START);
      app = startBinary(bin, dir, apiPort, {
        BUN_OPTIONS: `--cpu-prof-md --cpu-prof-interval=100 --cpu-prof-dir=${out}`,
      });
      await untilHealthy(apiPort, performance.now());
      await stop(app);
      console.log(`start profile written under ${out}`);
    }
    line("first start, empty data folder: → health 200, ms", fmt(coldMs, 0));
    line(`after kill -9, 2,000 rooms: → health 200, ms (median of ${RUNS})`, fmt(median(times), 0), "≤ 150");
    line("  worst, ms", fmt(Math.max(...times), 0));
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchStart();
