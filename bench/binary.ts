/**
 * (c) The compiled binary: time from exec to the first 200 on /api/v1/health, and resident memory
 * after 3 s idle, each the median of 5 starts from an empty data folder.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fmt, line, median } from "./util.ts";

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

/** VmRSS, and its split into anonymous memory and pages of mapped files (mostly the executable). */
function memory(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8").split("\n");
  const kb = (key: string) => Number(status.find((l) => l.startsWith(key))?.replace(/\D+/g, "") ?? 0) / 1024;
  return { rss: kb("VmRSS:"), anon: kb("RssAnon:"), file: kb("RssFile:") };
}

async function once(binary: string): Promise<{ startMs: number; rss: number; anon: number; file: number }> {
  const dir = mkdtempSync(join(tmpdir(), "bellhop-bin-"));
  const port = await freePort();
  const pmsPort = await freePort();
  writeFileSync(
    join(dir, "config.json"),
    JSON.stringify({ api: { listen: `127.0.0.1:${port}` }, pms: { port: pmsPort }, log: { level: "warn" } }),
  );
  const t0 = performance.now();
  const child = spawn(binary, ["serve", "--config", "config.json", "--data", "data"], { cwd: dir, stdio: "ignore" });
  let startMs = Number.NaN;
  for (let i = 0; i < 2000; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
      if (r.status === 200) {
        startMs = performance.now() - t0;
        break;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise((r) => setTimeout(r, 3000));
  const mem = memory(child.pid as number);
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  rmSync(dir, { recursive: true, force: true });
  return { startMs, ...mem };
}

export async function benchBinary(): Promise<void> {
  const buildDir = mkdtempSync(join(tmpdir(), "bellhop-build-"));
  const out = join(buildDir, "bellhop");
  const build = spawnSync("bun", ["build.ts"], {
    cwd: resolve(import.meta.dirname, ".."),
    env: { ...process.env, OUT: out },
    stdio: "inherit",
  });
  if (build.status !== 0) throw new Error("build failed");
  const runs = [];
  try {
    for (let i = 0; i < 5; i++) runs.push(await once(out));
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
  line("compiled binary: exec → health 200, ms (median of 5)", fmt(median(runs.map((r) => r.startMs)), 0), "≤ 150");
  line("compiled binary: idle RSS after 3 s, MB (median of 5)", fmt(median(runs.map((r) => r.rss)), 1), "≤ 60");
  line("  of which anonymous (heap, stacks), MB", fmt(median(runs.map((r) => r.anon)), 1));
  line("  of which file-backed (executable, libsql addon), MB", fmt(median(runs.map((r) => r.file)), 1));
}

if (import.meta.main) await benchBinary();
