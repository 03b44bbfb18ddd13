/**
 * Helpers of the footprint, start and soak benches (w, x, y): build the binary, run it from a temp
 * folder against the PMS simulator, read its memory from /proc. Linux only (/proc/PID/smaps).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Client, createClient } from "@libsql/client";
import { PmsSimulator } from "../src/sim/pms/simulator.ts";
import { DB_FILE } from "../src/store/db.ts";

export const ROOT = resolve(import.meta.dirname, "..");
export const HOST = "127.0.0.1";
export const MB = 1024 * 1024;

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, HOST, () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

/** `bun build.ts` into `out`; returns what build.ts printed (its breakdown of the embedded files). */
export function buildBinary(out: string, env: Record<string, string> = {}): string {
  const res = spawnSync(process.execPath, ["build.ts"], {
    cwd: ROOT,
    env: { ...process.env, ...env, OUT: out },
    encoding: "utf8",
  });
  if (res.status !== 0) throw new Error(`build failed: ${res.stderr}${res.stdout}`);
  return res.stdout;
}

/** Bun's own executable, the one the binary is made from (the npm package's). */
export function bunExecutable(): string {
  return process.execPath;
}

export interface Memory {
  /** VmRSS, MB. */
  rss: number;
  /** Anonymous pages (heap, JIT, stacks, and copy-on-write copies of file pages), MB. */
  anon: number;
  /** Pages of mapped files (the executable, the libsql addon, libc), MB. */
  file: number;
}

/** RSS and its anonymous / file-backed split (`/proc/PID/status`, the kernel's own split). */
export function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, "utf8").split("\n");
  const kb = (key: string) => Number(status.find((l) => l.startsWith(key))?.replace(/\D+/g, "") ?? 0) / 1024;
  return { rss: kb("VmRSS:"), anon: kb("RssAnon:"), file: kb("RssFile:") + kb("RssShmem:") };
}

export interface MappingUse {
  /** The mapped file (the binary's own ELF segments told apart by permissions), or [anon], [heap]… */
  name: string;
  rssMB: number;
  anonMB: number;
}

/** Resident pages per mapped file, largest first, from /proc/PID/smaps. */
export function mappings(pid: number, binary?: string): MappingUse[] {
  const by = new Map<string, MappingUse>();
  let cur: MappingUse | undefined;
  for (const l of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/.exec(l);
    if (head) {
      const perms = head[1];
      let name = head[2] || "[anon]";
      if (binary && name === binary) name = `binary ${perms}`;
      else if (name.endsWith(".node")) name = `${name.replace(/^.*\//, "…/")} (native addon)`;
      cur = by.get(name);
      if (!cur) {
        cur = { name, rssMB: 0, anonMB: 0 };
        by.set(name, cur);
      }
      continue;
    }
    const m = /^(Rss|Anonymous):\s+(\d+) kB/.exec(l);
    if (m && cur) {
      if (m[1] === "Rss") cur.rssMB += Number(m[2]) / 1024;
      else cur.anonMB += Number(m[2]) / 1024;
    }
  }
  return [...by.values()].sort((a, b) => b.rssMB - a.rssMB);
}

export interface Appliance {
  child: ChildProcess;
  pid: number;
  dir: string;
  dataDir: string;
  apiPort: number;
  /** Resolves with the exit code or signal once the process ended. */
  exited: Promise<number | string>;
}

/**
 * Config of a benched appliance: API on a free port, PMS link as client of the simulator on
 * `pmsPort`, a log PBX link (jobs queued and "delivered" to the log), warnings only.
 */
export function writeConfig(
  dir: string,
  apiPort: number,
  pmsPort: number,
  extra: Record<string, unknown> = {},
): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "config.json");
  writeFileSync(
    file,
    JSON.stringify({
      site: { timezone: "Europe/Rome" },
      api: { listen: `${HOST}:${apiPort}` },
      pms: { mode: "client", host: HOST, port: pmsPort },
      pbx: { links: [{ type: "log", name: "log" }] },
      log: { level: "warn" },
      ...extra,
    }),
  );
  return file;
}

/** Starts `bellhop serve`; resolves once it runs (not yet healthy: see `untilHealthy`). */
export function startBinary(bin: string, dir: string, apiPort: number, env: Record<string, string> = {}): Appliance {
  const dataDir = join(dir, "data");
  const child = spawn(bin, ["serve", "--config", join(dir, "config.json"), "--data", dataDir], {
    cwd: dir,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, ...env },
  });
  const exited = new Promise<number | string>((r) => child.once("exit", (code, sig) => r(sig ?? code ?? -1)));
  return { child, pid: child.pid as number, dir, dataDir, apiPort, exited };
}

/** Polls GET /api/v1/health every ms until a 200; the ms from `t0`. */
export async function untilHealthy(port: number, t0: number, timeoutMs = 20_000): Promise<number> {
  while (performance.now() - t0 < timeoutMs) {
    try {
      const r = await fetch(`http://${HOST}:${port}/api/v1/health`);
      await r.arrayBuffer();
      if (r.status === 200) return performance.now() - t0;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`no health 200 on :${port} within ${timeoutMs} ms`);
}

export async function stop(app: Appliance, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (app.child.exitCode !== null || app.child.signalCode !== null) return;
  app.child.kill(signal);
  await app.exited;
}

/** A read-only view of the appliance's database (opened once the appliance created it). */
export function openDb(dataDir: string): Client {
  return createClient({ url: pathToFileURL(join(dataDir, DB_FILE)).href });
}

export async function scalar(db: Client, sql: string): Promise<number> {
  const rs = await db.execute(sql);
  return Number(rs.rows[0]?.[0] ?? 0);
}

/** Sends DS, every guest, DE; resolves once every guest has an active stay and the inbox is applied. */
export async function resyncAndWait(sim: PmsSimulator, db: Client, timeoutMs = 60_000): Promise<number> {
  const t0 = performance.now();
  sim.resync();
  const want = sim.hotel.guests.length;
  while (performance.now() - t0 < timeoutMs) {
    await new Promise((r) => setTimeout(r, 20));
    try {
      const stays = await scalar(db, "select count(*) from stays where active = 1");
      const open = await scalar(db, "select count(*) from pms_inbox where applied_at is null");
      if (stays >= want && open === 0) return performance.now() - t0;
    } catch {
      // the appliance holds the write lock: ask again
    }
  }
  throw new Error(`resync of ${want} guests not applied within ${timeoutMs} ms`);
}

export { PmsSimulator };
