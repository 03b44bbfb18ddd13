/**
 * @module store/snapshot
 * The database side of backup and restore: a consistent copy of the libSQL file, the check that no
 * process has the database open, and the checks and marks on a restored copy.
 *
 * The copy is `VACUUM INTO`: it reads the database inside one read transaction, so it is consistent
 * while the appliance keeps writing (WAL lets the reader and the writer run together), and it writes
 * a compact file with no WAL beside it, ready to be archived. Copying the file with `cp` would not
 * be: pages still in the WAL would be missing, or half of a transaction present.
 *
 * "In use" is asked of SQLite's own locks rather than a pid file the appliance would have to write and
 * a crash would leave behind: every open WAL connection holds a shared lock on the database file, and
 * a connection in EXCLUSIVE locking mode cannot read while such a lock exists (SQLITE_BUSY at once
 * with busy_timeout 0). The lock goes with the process, so a crashed appliance never blocks a restore,
 * and the restore keeps its own exclusive lock until it is done, so none starts in the middle.
 */
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { type Client, createClient } from "@libsql/client/sqlite3";
import { errorMessage } from "../lib/errors.ts";

function open(file: string): Client {
  return createClient({ url: pathToFileURL(file).href, concurrency: 1 });
}

/** Writes a consistent copy of the database behind `client` to `target` (which must not exist). */
export async function snapshotDatabase(client: Client, target: string): Promise<void> {
  await client.execute({ sql: "VACUUM INTO ?", args: [target] });
}

/** The same from a database file another process (the running appliance) may be writing. */
export async function snapshotDatabaseFile(file: string, target: string): Promise<void> {
  if (!existsSync(file)) throw new Error(`no database at ${file}`);
  const client = open(file);
  try {
    // The appliance's checkpoints and commits may hold the lock briefly: wait for them.
    await client.execute("PRAGMA busy_timeout=10000");
    await snapshotDatabase(client, target);
  } finally {
    client.close();
  }
}

export interface DatabaseClaim {
  /** Gives the database back (the process's exit does too). */
  close(): void;
}

/**
 * Takes `file` for this process alone: SQLite's exclusive lock, held until `close()`, so an appliance
 * starting meanwhile cannot open it. "in-use" when another process has it open (the appliance is
 * running), "absent" when there is no such file.
 *
 * One claim per file and process: a closed libSQL connection lingers until its statements are
 * garbage-collected and keeps its lock till then, so a second claim in the same process would find
 * the first one's lock and answer "in-use".
 */
export async function claimDatabase(file: string): Promise<DatabaseClaim | "in-use" | "absent"> {
  if (!existsSync(file)) return "absent";
  const client = open(file);
  try {
    await client.execute("PRAGMA busy_timeout=0");
    await client.execute("PRAGMA locking_mode=EXCLUSIVE");
    await client.execute("SELECT count(*) FROM sqlite_master");
    return { close: () => client.close() };
  } catch (err) {
    client.close();
    if (/SQLITE_BUSY|SQLITE_LOCKED|database is locked/i.test(errorMessage(err))) return "in-use";
    throw err;
  }
}

/**
 * Checks a database file taken from an archive before it replaces the live one: SQLite's integrity
 * check passes and it has the appliance's tables. Then it records that a PMS resync is wanted at the
 * next start, since the PMS has moved on since the backup was taken. Throws with the reason.
 */
export async function prepareRestoredDatabase(file: string): Promise<void> {
  const client = open(file);
  try {
    const check = await client.execute("PRAGMA integrity_check");
    const verdict = String(check.rows[0]?.[0] ?? "");
    if (verdict !== "ok") throw new Error(`the database in the archive is damaged: ${verdict.slice(0, 200)}`);
    const tables = await client.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
    if (tables.rows.length === 0)
      throw new Error("the database in the archive is not a bellhop database (no meta table)");
    await client.execute({
      sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      args: ["pms.resyncWanted", "1"],
    });
    // A single file, no -wal beside it to be left behind by the move; the appliance turns WAL on.
    await client.execute("PRAGMA journal_mode=DELETE");
  } catch (err) {
    if (/SQLITE_NOTADB|file is not a database/i.test(errorMessage(err))) {
      throw new Error("the database in the archive is not an SQLite database");
    }
    throw err;
  } finally {
    client.close();
  }
}
