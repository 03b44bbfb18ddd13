/**
 * @module store/update-snapshot
 * A consistent copy of the database for an update to fall back to, and putting it back.
 *
 * The copy is made with `VACUUM INTO` (one read transaction: consistent whatever the WAL holds), not
 * by copying files, and is marked "resync wanted": whatever the PMS sent while the failed version ran
 * was applied to the database that is being thrown away, so the version put back asks the PMS for a
 * resync at its first link-up (the same flag an unclean stop sets).
 *
 * The database is opened without migrating: the update runs beside the service, which owns the schema.
 */
import {
  chownSync,
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { createClient } from "@libsql/client/sqlite3";
import { DB_FILE } from "./db.ts";

/** Copies `<dataDir>/bellhop.db` to `target` (which must not exist); false when there is no database yet. */
export async function snapshotDatabase(dataDir: string, target: string): Promise<boolean> {
  const file = join(dataDir, DB_FILE);
  if (!existsSync(file)) return false;
  rmSync(target, { force: true });
  const client = createClient({ url: pathToFileURL(file).href, concurrency: 1 });
  try {
    await client.execute("PRAGMA busy_timeout=10000");
    await client.execute({ sql: "VACUUM INTO ?", args: [target] });
  } finally {
    client.close();
  }
  const copy = createClient({ url: pathToFileURL(target).href, concurrency: 1 });
  try {
    const hasMeta = await copy.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
    if (hasMeta.rows.length > 0) {
      await copy.execute(
        "INSERT INTO meta (key, value) VALUES ('pms.resyncWanted', '1') ON CONFLICT(key) DO UPDATE SET value = '1'",
      );
    }
  } finally {
    copy.close();
  }
  syncFile(target);
  ownLikeFolder(target, dataDir);
  return true;
}

/**
 * Puts a snapshot back as `<dataDir>/bellhop.db` while nothing has the database open. The old WAL and
 * shared-memory files go first: left beside the restored file, SQLite would replay the failed
 * version's pages onto it. `snapshot` null means there was no database before: it is removed.
 */
export function restoreDatabase(dataDir: string, snapshot: string | null): void {
  const file = join(dataDir, DB_FILE);
  for (const f of [`${file}-wal`, `${file}-shm`, `${file}-journal`]) rmSync(f, { force: true });
  if (snapshot === null) {
    rmSync(file, { force: true });
    return;
  }
  const tmp = `${file}.restoring`;
  copyFileSync(snapshot, tmp);
  syncFile(tmp);
  ownLikeFolder(tmp, dataDir);
  renameSync(tmp, file);
  syncFile(dirname(file));
}

/** Files root makes in the service's folder must stay usable by the service's user. */
export function ownLikeFolder(path: string, folder: string): void {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return;
  const st = statSync(folder);
  chownSync(path, st.uid, st.gid);
}

function syncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
