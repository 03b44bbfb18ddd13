/**
 * @module store/integrity
 * `PRAGMA integrity_check` for `bellhop doctor`: on the running store's connection (the API), or on
 * the file opened by itself (the CLI): no migration, nothing written (libsql has no read-only URL
 * mode, but integrity_check only reads).
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Client, createClient } from "@libsql/client/sqlite3";
import { DB_FILE, type Store } from "./db.ts";

/** The problems SQLite lists; empty when it answers `ok`. */
export async function integrityProblems(client: Pick<Client, "execute">): Promise<string[]> {
  const rs = await client.execute("PRAGMA integrity_check");
  const lines = rs.rows.map((r) => String(Object.values(r)[0] ?? ""));
  return lines.length === 1 && lines[0] === "ok" ? [] : lines;
}

export function storeIntegrity(store: Store): Promise<string[]> {
  return store.read(() => integrityProblems(store.client));
}

/** The database file of a data folder, or undefined when there is none yet. */
export function databaseFile(dataDir: string): string | undefined {
  const file = join(resolve(dataDir), DB_FILE);
  return existsSync(file) ? file : undefined;
}

/** Opens the file, checks it, closes it. */
export async function fileIntegrity(file: string): Promise<string[]> {
  const client = createClient({ url: pathToFileURL(file).href });
  try {
    return await integrityProblems(client);
  } finally {
    client.close();
  }
}
