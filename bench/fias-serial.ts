/**
 * (o) A 2,000-room FIAS resync over a 9600-baud serial line: the PMS simulator writes DS, one GI per
 * guest and DE through a socat pty pair, every frame with its LRC and waiting for the appliance's
 * ACK, its writes paced at 9600 8N1 (a pty carries bytes at any speed, so the simulator plays the
 * wire: 10 bits a character). The clock runs from the resync's start until the appliance has
 * processed every record; the limit is the wire time of the bytes the simulator sent (frames, LRCs)
 * at 9600 8N1. Target ≤ 1.05× the limit: the appliance keeps up with the line, ACK round trips
 * included. BENCH_SERIAL_ROOMS and BENCH_SERIAL_BAUD change the size and speed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startAppliance } from "../src/app/appliance.ts";
import { parseConfig } from "../src/config/load.ts";
import { silentLogger } from "../src/lib/logger.ts";
import { generateHotel } from "../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../src/sim/pms/simulator.ts";
import { PtyPair } from "../test/helpers/socat-pty.ts";
import { peerPresent } from "../test/peers/available.ts";
import { fmt, line } from "./util.ts";

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export async function benchFiasSerial(): Promise<void> {
  if (!peerPresent("socat")) {
    line("fias serial resync", "skipped: socat missing (Debian: socat)");
    return;
  }
  const rooms = Number(process.env.BENCH_SERIAL_ROOMS ?? 2000);
  const baud = Number(process.env.BENCH_SERIAL_BAUD ?? 9600);
  const settings = { baud, dataBits: 8, parity: "none", stopBits: 1 } as const;
  const pty = new PtyPair();
  await pty.start();
  const dir = mkdtempSync(join(tmpdir(), "bellhop-bench-"));
  const hotel = generateHotel({ rooms, occupancy: 1 });
  const sim = new PmsSimulator({ hotel });
  const app = await startAppliance({
    config: parseConfig({
      pms: { transport: "serial", serial: { device: pty.a, ...settings } },
      pbx: { links: [{ type: "log", name: "bench", intervalSeconds: 0 }] },
    }),
    dataDir: dir,
    migrationsFolder: resolve(import.meta.dirname, "../migrations"),
    logger: silentLogger,
    version: "bench",
    link: { initWaitMs: 100 },
    synchronous: "NORMAL",
  });
  try {
    await sim.openSerial({ device: pty.b, ...settings, pace: true });
    await sim.whenLinked(30_000);
    await until("link", () => app.link.state === "linked", 30_000);
    await sim.drained();
    await new Promise((r) => setTimeout(r, 500));
    await app.ingest.idle();
    const stats = sim.serialStats;
    if (!stats) throw new Error("not serial");
    const bytes0 = stats.bytesOut;
    const processed = () => app.ingest.applied + app.ingest.failed;
    const mark = processed();
    const records = hotel.guests.length + 2;
    const t0 = performance.now();
    sim.resync();
    await until("the resync", () => processed() >= mark + records, 30 * 60_000);
    const ms = performance.now() - t0;
    const bytes = stats.bytesOut - bytes0;
    const limitMs = ((bytes * 10) / baud) * 1000;
    line("records (DS, GI×guests, DE)", fmt(records));
    line("bytes PMS → appliance (STX…ETX LRC)", fmt(bytes));
    line(`wire-time limit at ${baud} 8N1`, `${fmt(limitMs / 1000, 1)} s`);
    line("resync time (first byte → last record processed)", `${fmt(ms / 1000, 1)} s`);
    line("ratio to the wire time", fmt(ms / limitMs, 3), "≤ 1.05");
    line("NAKs / ENQs / resent", `${stats.naksReceived} / ${stats.enqsSent} / ${stats.resent}`);
  } finally {
    await app.stop();
    await sim.close();
    await pty.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchFiasSerial();
