/**
 * The compiled binary as the crash tests run it (test/integration/crash*.test.ts): built once per
 * file into a temp folder, started with `serve`, watched through its staff API and read through its
 * own database file. Killed with SIGKILL and cleaned up after the file whatever the tests did.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after } from "node:test";
import { pathToFileURL } from "node:url";
import { type Client, createClient } from "@libsql/client";
import { wrapFrame } from "../../src/pms/fias/frame.ts";
import { type FiasRecord, serializeRecord } from "../../src/pms/fias/record.ts";
import { DB_FILE } from "../../src/store/db.ts";
import { eventually, freePort, HOST } from "../integration/support.ts";
import { tempDir } from "./store.ts";

const ROOT = resolve(import.meta.dirname ?? ".", "../..");

export interface Run {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  /** stderr (JSON log lines at warn and above), complete once the process exited. */
  log: Promise<string>;
}

/** `bun build.ts` into `dir/bellhop` (about a second); fails the test with the build's output. */
export function buildBinary(dir: string): string {
  const out = join(dir, "bellhop");
  const res = Bun.spawnSync([process.execPath, "build.ts"], {
    cwd: ROOT,
    env: { ...process.env, OUT: out },
    stdout: "pipe",
    stderr: "pipe",
  });
  assert.equal(res.exitCode, 0, `build failed: ${res.stderr.toString()}${res.stdout.toString()}`);
  return out;
}

export interface BinaryHarness {
  /** The file's temp folder (the binary and the runs' working directory). */
  readonly dir: string;
  /** Builds the binary on first use, then returns the same path. */
  binary(): string;
  start(config: string, data: string): Run;
  /** A read-only view of the binary's database, once the binary created it; closed after the file. */
  openDb(dataDir: string): Client;
  /** Runs after the file, last registered first, after every binary exited. */
  defer(close: () => unknown): void;
  /**
   * A run's folder: `config.json` (the hotel's time zone, the API on a free port of 127.0.0.1, a log
   * link, warnings only, then `config`) and the data folder beside it; removed after the file.
   */
  site(
    prefix: string,
    config: Record<string, unknown>,
  ): Promise<{ apiPort: number; dataDir: string; configFile: string }>;
}

/** Call at a test file's top level: registers the file's `after` that kills and cleans up. */
export function binaryHarness(prefix: string): BinaryHarness {
  const tmp = tempDir(prefix);
  const running: Run[] = [];
  const closers: (() => unknown)[] = [];
  let bin: string | undefined;
  after(async () => {
    for (const r of running) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill("SIGKILL");
    await Promise.all(running.map((r) => r.proc.exited));
    for (const close of closers.splice(0).reverse()) await close();
    tmp.cleanup();
  });
  return {
    dir: tmp.dir,
    binary() {
      bin ??= buildBinary(tmp.dir);
      return bin;
    },
    start(config, data) {
      const proc = Bun.spawn([this.binary(), "serve", "--config", config, "--data", data], {
        cwd: tmp.dir,
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      });
      const run = { proc, log: new Response(proc.stderr).text() };
      running.push(run);
      return run;
    },
    openDb(dataDir) {
      const db = createClient({ url: pathToFileURL(join(dataDir, DB_FILE)).href });
      closers.push(() => db.close());
      return db;
    },
    defer(close) {
      closers.push(close);
    },
    async site(prefix, config) {
      const apiPort = await freePort();
      const base = tempDir(prefix);
      closers.push(() => base.cleanup());
      const configFile = join(base.dir, "config.json");
      writeFileSync(
        configFile,
        JSON.stringify({
          site: { timezone: "Europe/Rome" },
          api: { listen: `${HOST}:${apiPort}` },
          pbx: { links: [{ type: "log", name: "log" }] },
          log: { level: "warn" },
          ...config,
        }),
      );
      return { apiPort, dataDir: join(base.dir, "data"), configFile };
    },
  };
}

/**
 * The staff API answers; if it already reports the PMS state (GET /api/v1/health), wait until that
 * is one of `states`. While the API is still a placeholder the simulator's link state is the signal.
 */
export async function apiReady(port: number, states: string[]): Promise<void> {
  await eventually(
    "the staff API",
    async () => {
      try {
        const res = await fetch(`http://${HOST}:${port}/api/v1/health`);
        if (res.status !== 200) return true;
        const body = (await res.json()) as { pms?: { state?: string } };
        return body.pms?.state === undefined || states.includes(body.pms.state);
      } catch {
        return false;
      }
    },
    10_000,
    20,
  );
}

/** STX/ETX frames of the records, back to back. */
export function frames(records: FiasRecord[]): Uint8Array {
  const parts = records.map((r) => wrapFrame(serializeRecord(r, "latin1")));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export async function scalar(db: Client, sql: string): Promise<number> {
  const rs = await db.execute(sql);
  return Number(rs.rows[0]?.[0] ?? 0);
}

export interface KillPoint {
  name: string;
  reached(db: Client): Promise<boolean>;
}

/** When run 1 is killed, in terms of what the binary has committed of the resync so far. */
export const killPoints: KillPoint[] = [
  // The first batch is stored in the inbox but its apply has not committed: replayed at start-up.
  {
    name: "stored, not yet applied",
    // Polled every millisecond, the window between the two commits is normally caught; should a much
    // faster apply slip through it, the kill still lands mid-resync, just after an applied batch.
    reached: async (db) =>
      (await scalar(db, "select count(*) from pms_inbox where applied_at is null")) > 0 ||
      (await scalar(db, "select count(*) from stays where active = 1")) > 3,
  },
  // Part of the resync is applied (resync open in the DB, some stays marked, some not).
  {
    name: "partly applied",
    reached: async (db) => (await scalar(db, "select count(*) from stays where active = 1")) > 3,
  },
];
