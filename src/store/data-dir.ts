/**
 * @module store/data-dir
 * The data folder is checked before SQLite opens anything in it: SQLite reports a folder it cannot
 * write as "SQLITE_CANTOPEN" (14), or only at the first write as a failed query, which tells the
 * installer nothing. Here it is created when missing and probed by writing and removing a file, and
 * a failure says what is wrong and exits with a code systemd can act on:
 *
 * - 78 (EX_CONFIG) "not a folder": the configured path is wrong (a file, or under one): only a
 *   configuration change helps, so the unit does not restart (RestartPreventExitStatus=78).
 * - 73 (EX_CANTCREAT) "read-only" (read-only mount, no write permission) or "no space" (disk full,
 *   quota): the path is right but the machine will not let us write now; freeing space or a
 *   remount fixes it without touching the configuration, so the unit keeps retrying.
 */
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const EX_CANTCREAT = 73;
export const EX_CONFIG = 78;

export type DataDirProblem = "read-only" | "not a folder" | "no space" | "cannot be written";

export class DataDirError extends Error {
  constructor(
    readonly dir: string,
    readonly problem: DataDirProblem,
    detail: string,
    readonly exitCode: typeof EX_CANTCREAT | typeof EX_CONFIG,
  ) {
    super(`data folder ${dir}: ${problem} (${detail})`);
    this.name = "DataDirError";
  }
}

/** What a file-system error met while preparing `dir` means to whoever installs the box. */
export function dataDirError(dir: string, err: unknown, file?: string): DataDirError {
  const code = (err as { code?: unknown } | null)?.code;
  const where = file ? `${file}: ` : "";
  switch (code) {
    case "EROFS":
      return new DataDirError(dir, "read-only", `${where}the file system is mounted read-only`, EX_CANTCREAT);
    case "EACCES":
    case "EPERM":
      return new DataDirError(dir, "read-only", `${where}this user may not write there`, EX_CANTCREAT);
    case "ENOSPC":
      return new DataDirError(dir, "no space", `${where}the disk is full`, EX_CANTCREAT);
    case "EDQUOT":
      return new DataDirError(dir, "no space", `${where}the disk quota is used up`, EX_CANTCREAT);
    case "ENOTDIR":
    case "EEXIST":
      return new DataDirError(dir, "not a folder", "it, or a folder above it, is a file", EX_CONFIG);
    case "EISDIR":
      return new DataDirError(dir, "not a folder", `${where}a folder where the database file belongs`, EX_CONFIG);
    case "ENAMETOOLONG":
    case "ELOOP":
      return new DataDirError(dir, "not a folder", `the path cannot be resolved (${code})`, EX_CONFIG);
    default: {
      const why = err instanceof Error ? err.message : String(err);
      return new DataDirError(dir, "cannot be written", `${where}${why}`, EX_CANTCREAT);
    }
  }
}

/**
 * Makes sure `dir` is a folder this process can write, creating it when missing, and that the
 * database files already there can be opened for writing. Throws a {@link DataDirError}.
 */
export function checkDataDir(dir: string, files: readonly string[] = []): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw dataDirError(dir, err);
  }
  // Some bytes, not an empty file: a full disk still lets an empty file be created. One fixed name,
  // so a probe left by a kill in between is reused rather than piling up.
  const probe = join(dir, ".bellhop-write-probe");
  try {
    writeFileSync(probe, "bellhop write probe\n");
  } catch (err) {
    throw dataDirError(dir, err);
  } finally {
    try {
      rmSync(probe, { force: true });
    } catch {
      // nothing was written, or it goes at the next start's probe
    }
  }
  for (const f of files) {
    try {
      closeSync(openSync(join(dir, f), "r+"));
    } catch (err) {
      if ((err as { code?: unknown } | null)?.code !== "ENOENT") throw dataDirError(dir, err, f);
    }
  }
}
