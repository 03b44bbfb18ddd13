/**
 * @module services/backup
 * One backup archive of a data folder: the database (a consistent snapshot, taken first), the custom
 * prompts (`prompts/`) and the voicemail audio (`voicemail/`), as a gzipped tar (./backup-tar.ts),
 * closed by a manifest `bellhop-backup.json` naming each file with its size and SHA-256.
 *
 * The database is copied before the folders so no row names a file the archive lacks for long: a
 * message recorded after the snapshot has a file but no row, one deleted after it a row but no file.
 * The appliance's start-up reconcile settles both (a file no row names is removed, a row whose file
 * is gone is deleted), exactly as after a crash. The archive is written to `<out>.partial` and renamed
 * when complete, so a half-written file never looks like a backup. Nothing else in the data folder
 * (earlier backups under `backups/`, temporary files) is included.
 */
import { createHash } from "node:crypto";
import {
  createReadStream,
  createWriteStream,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { rename } from "node:fs/promises";
import { dirname, join } from "node:path";
import { tarEnd, tarHeader, tarPadding } from "./backup-tar.ts";

export const MANIFEST = "bellhop-backup.json";
export const BACKUP_FORMAT = "bellhop-backup";
export const BACKUP_VERSION = 1;
export const DB_ENTRY = "bellhop.db";
/** The data-folder subfolders a backup carries, whole. */
export const BACKUP_FOLDERS = ["prompts", "voicemail"] as const;

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: typeof BACKUP_FORMAT;
  version: number;
  createdAt: string;
  appVersion: string | null;
  files: ManifestFile[];
}

export interface BackupOptions {
  dataDir: string;
  out: string;
  /** Writes a consistent copy of the database to the given path (which does not exist yet). */
  snapshot: (target: string) => Promise<void>;
  appVersion?: string;
  now?: () => number;
}

export interface BackupResult {
  file: string;
  bytes: number;
  files: number;
}

/** Regular files under `root/rel`, as data-folder-relative paths with `/`, folders first-sorted. */
function listFiles(root: string, rel: string, depth = 0): string[] {
  const dir = join(root, rel);
  if (depth > 8 || !existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const child = `${rel}/${name}`;
    const st = lstatSync(join(root, child));
    // Symbolic links are not followed: a backup carries what the appliance wrote, nothing it points at.
    if (st.isDirectory()) out.push(...listFiles(root, child, depth + 1));
    else if (st.isFile() && !name.endsWith(".partial")) out.push(child);
  }
  return out;
}

async function* archiveChunks(
  dataDir: string,
  dbCopy: string,
  manifest: Manifest,
  mtime: number,
): AsyncGenerator<Uint8Array> {
  const dbSize = lstatSync(dbCopy).size;
  yield tarHeader({ name: DB_ENTRY, type: "file", size: dbSize, mtime, mode: 0o640 });
  const hash = createHash("sha256");
  let read = 0;
  for await (const chunk of createReadStream(dbCopy)) {
    hash.update(chunk as Uint8Array);
    read += (chunk as Uint8Array).length;
    yield chunk as Uint8Array;
  }
  if (read !== dbSize) throw new Error("the database snapshot changed while it was archived");
  yield tarPadding(dbSize);
  manifest.files.push({ path: DB_ENTRY, size: dbSize, sha256: hash.digest("hex") });
  for (const folder of BACKUP_FOLDERS) {
    for (const rel of listFiles(dataDir, folder)) {
      let bytes: Uint8Array;
      try {
        // Whole files (a prompt ≤ 1 MB, a message a few MB): the header needs the size read, not
        // the size a moment before, in case a file is still being written.
        bytes = readFileSync(join(dataDir, rel));
      } catch (err) {
        if ((err as { code?: string }).code === "ENOENT") continue; // deleted since the listing
        throw err;
      }
      yield tarHeader({ name: rel, type: "file", size: bytes.length, mtime, mode: 0o640 });
      yield bytes;
      yield tarPadding(bytes.length);
      manifest.files.push({ path: rel, size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
    }
  }
  const body = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  yield tarHeader({ name: MANIFEST, type: "file", size: body.length, mtime, mode: 0o640 });
  yield body;
  yield tarPadding(body.length);
  yield tarEnd();
}

/** Writes the backup archive `opts.out` of `opts.dataDir`. */
export async function createBackup(opts: BackupOptions): Promise<BackupResult> {
  const now = opts.now?.() ?? Date.now();
  const partial = `${opts.out}.partial`;
  // The snapshot goes beside the archive (same disk as the output, not a small /tmp).
  const work = mkdtempSync(join(dirname(opts.out), ".bellhop-backup-"));
  try {
    const dbCopy = join(work, DB_ENTRY);
    await opts.snapshot(dbCopy);
    const manifest: Manifest = {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      createdAt: new Date(now).toISOString(),
      appVersion: opts.appVersion ?? null,
      files: [],
    };
    const mtime = Math.floor(now / 1000);
    // Loaded here, not imported: the compiled binary loads every imported built-in at its start, and
    // a backup runs once a night.
    const [{ pipeline }, { createGzip }] = await Promise.all([import("node:stream/promises"), import("node:zlib")]);
    await pipeline(
      archiveChunks(opts.dataDir, dbCopy, manifest, mtime),
      createGzip({ level: 6 }),
      createWriteStream(partial, { mode: 0o640 }),
    );
    await rename(partial, opts.out);
    return { file: opts.out, bytes: lstatSync(opts.out).size, files: manifest.files.length };
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
