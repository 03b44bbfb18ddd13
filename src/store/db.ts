/**
 * @module store/db
 * The libSQL file and the drizzle handle over it.
 *
 * The client runs with one connection and every use goes through one mutex: per-connection pragmas
 * (synchronous, busy_timeout) then hold for every statement, and a read can never land inside
 * another caller's open transaction. The appliance is the only writer, so nothing is lost by it.
 */
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Client, createClient } from "@libsql/client/sqlite3";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { drizzle } from "drizzle-orm/libsql/sqlite3";
import { Mutex } from "../lib/mutex.ts";
import { checkDataDir } from "./data-dir.ts";
import * as schema from "./schema/index.ts";

export type Db = LibSQLDatabase<typeof schema>;
/** The handle inside a transaction; same query API as Db. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type Queryable = Db | Tx;

export interface Store {
  readonly file: string;
  /** Runs fn alone on the database (reads, or single statements). */
  read<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /** Runs fn in one write transaction: all of it commits or none of it. */
  tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  close(): void;
  readonly client: Client;
}

export interface OpenOptions {
  dataDir: string;
  /** Absolute path of the drizzle-kit migrations folder. */
  migrationsFolder: string;
  /** FULL survives power loss; NORMAL survives a process crash (kill -9) and is faster. */
  synchronous?: "FULL" | "NORMAL";
}

export const DB_FILE = "bellhop.db";

export async function openStore(opts: OpenOptions): Promise<Store> {
  const dir = resolve(opts.dataDir);
  // Said plainly now rather than as SQLite's "14" or a failed query later.
  checkDataDir(dir, [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`]);
  const file = join(dir, DB_FILE);
  const client = createClient({ url: pathToFileURL(file).href, concurrency: 1 });
  await client.execute("PRAGMA journal_mode=WAL");
  await client.execute(`PRAGMA synchronous=${opts.synchronous ?? "FULL"}`);
  await client.execute("PRAGMA busy_timeout=5000");
  const db = drizzle(client, { schema });
  await migrate(db, { migrationsFolder: opts.migrationsFolder });
  const mutex = new Mutex();
  return {
    file,
    client,
    read: (fn) => mutex.run(() => fn(db)),
    tx: (fn) => mutex.run(() => db.transaction(fn)),
    close: () => client.close(),
  };
}
