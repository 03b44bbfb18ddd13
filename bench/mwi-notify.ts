/**
 * (f) 2,000 message-lamp NOTIFYs to a sipp UAS (the guest-phone scenario of test/peers/fixtures, which answers each
 * with 200 and logs it): 2,000 rooms whose phone is that UAS, a refresh, and the time until every
 * `sip-mwi` job is done. None may be lost: sipp's log must count 2,000 NOTIFYs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startAppliance } from "../src/app/appliance.ts";
import { parseConfig } from "../src/config/load.ts";
import { silentLogger } from "../src/lib/logger.ts";
import { refreshMwi } from "../src/services/mwi.ts";
import { bulkInsert } from "../src/store/bulk.ts";
import { rooms } from "../src/store/schema/index.ts";
import { freePort } from "../test/integration/support.ts";
import { PEER_FIXTURES, peerCommand, peerSkip } from "../test/peers/available.ts";
import { fmt, line } from "./util.ts";

const N = 2000;

export async function benchMwiNotify(): Promise<void> {
  const skip = peerSkip("sipp");
  if (skip) {
    line("2,000 MWI NOTIFYs", `skipped: ${skip}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "bellhop-mwi-"));
  const phonePort = await freePort();
  const log = join(dir, "phone.log");
  const sipp: ChildProcess = spawn(
    peerCommand("sipp"),
    [
      "-sf",
      join(PEER_FIXTURES, "sipp/uas-guest-phone.xml"),
      "-i",
      "127.0.0.1",
      "-p",
      String(phonePort),
      "-trace_logs",
      "-log_file",
      log,
      "-nostdin",
      "-m",
      String(N),
    ],
    { cwd: dir, stdio: "ignore" },
  );
  const app = await startAppliance({
    config: parseConfig({
      pms: { port: await freePort() },
      sip: {
        local: { port: await freePort() },
        pbx: { address: "127.0.0.1", port: await freePort() },
        mwi: { ratePerSecond: 5000, concurrency: 200 },
      },
    }),
    dataDir: join(dir, "data"),
    migrationsFolder: resolve(import.meta.dirname, "../migrations"),
    logger: silentLogger,
    version: "bench",
  });
  try {
    const now = Date.now();
    await app.store.tx((tx) =>
      bulkInsert(
        tx,
        rooms,
        Array.from({ length: N }, (_, i) => ({
          number: String(1000 + i),
          extension: String(1000 + i),
          phoneAddress: `127.0.0.1:${phonePort}`,
          messageLamp: i % 3,
          createdAt: now,
          updatedAt: now,
        })),
      ),
    );
    await new Promise((r) => setTimeout(r, 300)); // sipp up
    const t0 = performance.now();
    const { queued } = await refreshMwi(app.ctx, "bench");
    let done = 0;
    for (;;) {
      const r = await app.store.client.execute(
        "select state, count(*) as n from pbx_jobs where link = 'sip-mwi' group by state",
      );
      const by = Object.fromEntries(r.rows.map((row) => [String(row.state), Number(row.n)]));
      done = by.done ?? 0;
      if (done + (by.dead ?? 0) >= queued || performance.now() - t0 > 30_000) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const ms = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 200));
    const seen = existsSync(log) ? readFileSync(log, "utf8").split("event=message-summary").length - 1 : 0;
    line("2,000 MWI NOTIFYs → all 200 OK, ms", fmt(ms, 0), "≤ 2,000");
    line("  jobs done / NOTIFYs logged by the phone", `${done} / ${seen}`, "none lost");
  } finally {
    sipp.kill();
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchMwiNotify();
