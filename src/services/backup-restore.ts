/**
 * @module services/backup-restore
 * Puts a backup archive (./backup.ts) back into a data folder.
 *
 * Nothing in the folder is touched until the whole archive has been unpacked beside it (into
 * `<data>/.restore-…`, same disk, so the final moves are renames) and checked: only the names a
 * backup holds (`bellhop.db`, `prompts/…`, `voicemail/…`, the manifest), every file's size and SHA-256
 * as the manifest says, and SQLite's integrity check of the database. Then what the folder held
 * (`bellhop.db` with its `-wal`/`-shm`, `prompts/`, `voicemail/`) is moved aside into
 * `<data>/replaced-<time>/` (deleted by hand once the restore is confirmed) and the restored files
 * take its place. `backups/` and anything else in the folder stay as they are.
 *
 * A data folder whose database another process has open (the appliance running) is refused before
 * anything is unpacked, and the database is then held (SQLite's exclusive lock, store/snapshot.ts)
 * until the swap is done, so an appliance started meanwhile cannot open it.
 * The restored database asks the PMS for a resync at the next start. When run as root for a folder
 * owned by the service user, the restored files are given to that user.
 */
import { createHash, type Hash } from "node:crypto";
import {
  chownSync,
  closeSync,
  createReadStream,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { checkDataDir } from "../store/data-dir.ts";
import { DB_FILE } from "../store/db.ts";
import { claimDatabase, prepareRestoredDatabase } from "../store/snapshot.ts";
import { BACKUP_FORMAT, BACKUP_VERSION, DB_ENTRY, MANIFEST, type Manifest } from "./backup.ts";
import { type TarHeader, TarReader } from "./backup-tar.ts";

/** The restore was refused before anything changed (a running appliance); exit code 1 with its text. */
export class RestoreRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RestoreRefused";
  }
}

export interface RestoreOptions {
  dataDir: string;
  from: string;
  now?: () => number;
}

export interface RestoreResult {
  files: number;
  createdAt: string;
  /** Where the folder's previous database, prompts and voicemail went; null when there were none. */
  replacedDir: string | null;
}

/** What the folder holds that a restore replaces. */
const REPLACED = [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, "prompts", "voicemail"];
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/;
const MAX_MANIFEST_BYTES = 16 << 20;

/** An archive name the restore writes, or the reason it is refused. */
function entryProblem(name: string): string | null {
  if (name === MANIFEST || name === DB_ENTRY) return null;
  const parts = name.split("/");
  if ((parts[0] !== "prompts" && parts[0] !== "voicemail") || parts.length > 9) return "not part of a backup";
  if (!parts.every((p) => SEGMENT.test(p) && p !== "." && p !== "..")) return "not a plain relative path";
  return null;
}

function inUseMessage(dataDir: string): string {
  return (
    `refusing to restore into ${dataDir}: its database is open by another process (the appliance is running). ` +
    "Stop it first (systemctl stop bellhop), then restore."
  );
}

function isGzip(file: string): boolean {
  const fd = openSync(file, "r");
  try {
    const head = new Uint8Array(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

interface Unpacked {
  manifest: Manifest;
  files: Map<string, { size: number; sha256: string }>;
}

async function unpack(from: string, staging: string): Promise<Unpacked> {
  const files = new Map<string, { size: number; sha256: string }>();
  let manifestBytes: Uint8Array[] | null = null;
  let current: { header: TarHeader; fd: number | null; hash: Hash; size: number } | null = null;
  const reader = new TarReader({
    entry(header) {
      const problem = entryProblem(header.name);
      if (problem) throw new Error(`the archive holds ${JSON.stringify(header.name)}: ${problem}`);
      if (header.type === "dir") {
        if (header.name === MANIFEST || header.name === DB_ENTRY) throw new Error(`${header.name} is a folder`);
        mkdirSync(join(staging, header.name), { recursive: true });
        current = null;
        return;
      }
      if (files.has(header.name) || (header.name === MANIFEST && manifestBytes)) {
        throw new Error(`the archive holds ${header.name} twice`);
      }
      if (header.name === MANIFEST) {
        if (header.size > MAX_MANIFEST_BYTES) throw new Error("the archive's manifest is too large");
        manifestBytes = [];
        current = { header, fd: null, hash: createHash("sha256"), size: 0 };
        return;
      }
      const path = join(staging, header.name);
      mkdirSync(dirname(path), { recursive: true });
      current = { header, fd: openSync(path, "wx", 0o640), hash: createHash("sha256"), size: 0 };
    },
    data(chunk) {
      if (!current) return;
      current.size += chunk.length;
      if (current.fd === null) manifestBytes?.push(chunk.slice());
      else {
        current.hash.update(chunk);
        let off = 0;
        while (off < chunk.length) off += writeSync(current.fd, chunk, off);
      }
    },
    endEntry() {
      if (!current) return;
      if (current.fd !== null) {
        closeSync(current.fd);
        files.set(current.header.name, { size: current.size, sha256: current.hash.digest("hex") });
      }
      current = null;
    },
  });
  // node:zlib loaded here, not imported: the compiled binary loads every imported built-in at its start.
  // Before the stream opens: nothing may await between opening it and listening for its errors.
  const gunzip = isGzip(from) ? (await import("node:zlib")).createGunzip() : null;
  const input = createReadStream(from);
  const source = gunzip ? input.pipe(gunzip) : input;
  input.on("error", (err) => source.destroy(err));
  try {
    for await (const chunk of source) reader.push(chunk as Uint8Array);
    reader.end();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`${from}: ${/^(tar|the archive)/.test(why) ? why : `cannot be read as a backup (${why})`}`);
  } finally {
    const open = current as { fd: number | null } | null;
    if (open?.fd != null) closeSync(open.fd);
  }
  if (!manifestBytes) throw new Error(`${from}: no ${MANIFEST} (not a bellhop backup, or cut short)`);
  const parts = manifestBytes as Uint8Array[];
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { manifest: parseManifest(bytes), files };
}

function parseManifest(bytes: Uint8Array): Manifest {
  let m: Partial<Manifest>;
  try {
    m = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new Error(`${MANIFEST} is not valid JSON`);
  }
  if (m?.format !== BACKUP_FORMAT || typeof m.version !== "number" || !Array.isArray(m.files)) {
    throw new Error(`${MANIFEST} is not a bellhop backup manifest`);
  }
  if (m.version > BACKUP_VERSION) {
    throw new Error(`the backup has format version ${m.version}; this bellhop reads up to ${BACKUP_VERSION}`);
  }
  return m as Manifest;
}

function verify({ manifest, files }: Unpacked): void {
  const listed = new Set<string>();
  for (const f of manifest.files) {
    const got = files.get(f?.path);
    if (!got) throw new Error(`the archive lacks ${f?.path}, which its manifest lists`);
    if (got.size !== f.size || got.sha256 !== f.sha256) throw new Error(`${f.path} differs from its manifest entry`);
    listed.add(f.path);
  }
  for (const name of files.keys()) if (!listed.has(name)) throw new Error(`${name} is not in the manifest`);
  if (!files.has(DB_ENTRY)) throw new Error(`the archive holds no ${DB_ENTRY}`);
}

function giveTo(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (lstatSync(path).isDirectory()) for (const n of readdirSync(path)) giveTo(join(path, n), uid, gid);
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\..*$/, "Z");
}

export async function restoreBackup(opts: RestoreOptions): Promise<RestoreResult> {
  const dataDir = resolve(opts.dataDir);
  const dbFile = join(dataDir, DB_FILE);
  if (!existsSync(opts.from) || !statSync(opts.from).isFile()) throw new Error(`${opts.from}: no such file`);
  checkDataDir(dataDir);
  const claim = await claimDatabase(dbFile);
  if (claim === "in-use") throw new RestoreRefused(inUseMessage(dataDir));
  const staging = mkdtempSync(join(dataDir, ".restore-"));
  try {
    const unpacked = await unpack(opts.from, staging);
    verify(unpacked);
    await prepareRestoredDatabase(join(staging, DB_ENTRY));
    const present = REPLACED.filter((n) => existsSync(join(dataDir, n)));
    let replacedDir: string | null = null;
    if (present.length > 0) {
      replacedDir = join(dataDir, `replaced-${stamp(opts.now?.() ?? Date.now())}`);
      mkdirSync(replacedDir);
      for (const n of present) renameSync(join(dataDir, n), join(replacedDir, n));
    }
    const owner = statSync(dataDir);
    const asRoot = process.getuid?.() === 0 && owner.uid !== 0;
    for (const n of [DB_ENTRY, "prompts", "voicemail"]) {
      if (!existsSync(join(staging, n))) continue;
      renameSync(join(staging, n), join(dataDir, n));
      if (asRoot) giveTo(join(dataDir, n), owner.uid, owner.gid);
    }
    return { files: unpacked.files.size, createdAt: String(unpacked.manifest.createdAt), replacedDir };
  } finally {
    if (claim !== "absent") claim.close();
    rmSync(staging, { recursive: true, force: true });
  }
}
