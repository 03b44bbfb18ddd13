/**
 * @module cli/backup
 * `bellhop backup --data DIR --out FILE [--config FILE]`: one archive of the data folder (database
 * snapshot, custom prompts, voicemail audio; services/backup.ts), safe while the appliance runs on
 * that folder. An existing FILE is not overwritten.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadConfig } from "../config/load.ts";
import { createBackup } from "../services/backup.ts";
import { DB_FILE } from "../store/db.ts";
import { snapshotDatabaseFile } from "../store/snapshot.ts";
import { flag, type ParsedArgs } from "./args.ts";

export interface BackupCliEnv {
  version: string;
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

/** `--data`, else the configuration's `dataDir` (`--config`, else the built-in default). */
export function dataDirOf(args: ParsedArgs): string {
  return resolve(flag(args, "data") ?? loadConfig(flag(args, "config")).dataDir);
}

export async function backupCommand(args: ParsedArgs, env: BackupCliEnv): Promise<number> {
  const out = flag(args, "out");
  if (!out) {
    env.stderr.write("backup needs --out FILE (and --data DIR or --config FILE)\n");
    return 2;
  }
  const dataDir = dataDirOf(args);
  const file = resolve(out);
  if (existsSync(file)) {
    env.stderr.write(`bellhop: ${file} exists; choose another name or remove it\n`);
    return 1;
  }
  const dbFile = join(dataDir, DB_FILE);
  if (!existsSync(dbFile)) {
    env.stderr.write(`bellhop: no database in ${dataDir} (nothing to back up)\n`);
    return 1;
  }
  const result = await createBackup({
    dataDir,
    out: file,
    snapshot: (target) => snapshotDatabaseFile(dbFile, target),
    appVersion: env.version,
  });
  env.stdout.write(`backup written: ${result.file} (${result.files} files, ${result.bytes} bytes)\n`);
  return 0;
}
