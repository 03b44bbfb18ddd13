/**
 * @module jobs/backup-nightly
 * The nightly backup: at `backup.nightlyAt` hotel time, an archive of the data folder
 * (services/backup.ts) into `<dataDir>/backups/bellhop-<UTC time>.tar.gz`, then every nightly archive
 * older than `backup.keepDays` days is deleted. Timers come from the injected clock, placed by
 * `nextTimeOfDay` like the voicemail purge, so both follow the same DST rule (croner would keep its
 * own timers, which a test clock cannot drive: README "Dependencies").
 *
 * Age is read from the file name, not the file's mtime (a copy or a `touch` does not make an old
 * backup young), and only names this job writes are ever deleted: an installer's own files in
 * `backups/` are left alone. The newest archive is never deleted, whatever the clock says, so a clock
 * set years ahead cannot leave the box with no backup. A failed run (disk full) is logged and the
 * partial file removed; the next night tries again.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { BackupConfig } from "../config/backup-schema.ts";
import type { Clock, TimerHandle } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { nextTimeOfDay } from "../lib/time-of-day.ts";
import { type BackupResult, createBackup } from "../services/backup.ts";
import { DB_FILE } from "../store/db.ts";
import { snapshotDatabaseFile } from "../store/snapshot.ts";

export const BACKUPS_DIR = "backups";
const DAY_MS = 86_400_000;
const NAME = /^bellhop-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.tar\.gz$/;

export interface NightlyBackupOptions {
  dataDir: string;
  backup: BackupConfig;
  /** IANA zone `nightlyAt` is read in (the hotel's). */
  timezone: string;
  clock: Clock;
  logger: Logger;
  /**
   * Writes a consistent copy of the live database to the given path. Default: a connection of its
   * own (`VACUUM INTO` in one read transaction), so the appliance's store is not held while it runs.
   */
  snapshot?: (target: string) => Promise<void>;
  appVersion?: string;
}

export interface NightlyBackup {
  /** Makes a backup and applies the retention now; resolves with the archive (undefined if it failed). */
  runNow(): Promise<BackupResult | undefined>;
  /** Resolves once no run is in progress (shutdown, tests). */
  idle(): Promise<void>;
  stop(): void;
}

/** The archive name for a backup taken at `ms`. */
export function backupFileName(ms: number): string {
  return `bellhop-${new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}.tar.gz`;
}

/** When a nightly archive was taken, from its name; undefined for any other file. */
export function backupTakenAt(name: string): number | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

/** Deletes nightly archives in `dir` taken `keepDays` or more days before `now`, except the newest. */
export function pruneBackups(dir: string, keepDays: number, now: number): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const dated = names
    .map((name) => ({ name, at: backupTakenAt(name) }))
    .filter((e): e is { name: string; at: number } => e.at !== undefined)
    .sort((a, b) => b.at - a.at);
  const removed: string[] = [];
  for (const e of dated.slice(1)) {
    if (now - e.at < keepDays * DAY_MS) continue;
    rmSync(join(dir, e.name), { force: true });
    removed.push(e.name);
  }
  return removed;
}

export function startNightlyBackup(opts: NightlyBackupOptions): NightlyBackup {
  const { clock, backup } = opts;
  const log = opts.logger.child({ component: "backup" });
  const dir = join(opts.dataDir, BACKUPS_DIR);
  let timer: TimerHandle | undefined;
  let stopped = false;
  let running: Promise<BackupResult | undefined> | undefined;

  const run = (): Promise<BackupResult | undefined> => {
    if (running) return running;
    running = (async () => {
      const now = clock.now();
      try {
        mkdirSync(dir, { recursive: true });
        const result = await createBackup({
          dataDir: opts.dataDir,
          out: join(dir, backupFileName(now)),
          snapshot: opts.snapshot ?? ((target) => snapshotDatabaseFile(join(opts.dataDir, DB_FILE), target)),
          appVersion: opts.appVersion,
          now: () => now,
        });
        const removed = pruneBackups(dir, backup.keepDays, now);
        log.info("backup written", { file: result.file, bytes: result.bytes, files: result.files, removed });
        return result;
      } catch (err) {
        log.error("nightly backup failed", { error: errorMessage(err) });
        return undefined;
      }
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const schedule = () => {
    if (stopped || backup.nightlyAt === null) return;
    const [hh, mm] = backup.nightlyAt.split(":").map(Number);
    const at = nextTimeOfDay(clock.now(), hh, mm, opts.timezone);
    timer = clock.setTimeout(() => {
      void run().finally(schedule);
    }, at - clock.now());
  };
  schedule();

  return {
    runNow: run,
    async idle() {
      while (running) await running;
    },
    stop() {
      stopped = true;
      clock.clearTimeout(timer);
    },
  };
}
