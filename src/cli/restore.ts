/**
 * @module cli/restore
 * `bellhop restore --data DIR --from FILE [--config FILE]`: puts a backup archive back
 * (services/backup-restore.ts). Refused, with nothing changed, while a process (the appliance) has
 * that folder's database open. What the folder held is moved aside, not deleted.
 */
import { resolve } from "node:path";
import { RestoreRefused, restoreBackup } from "../services/backup-restore.ts";
import { flag, type ParsedArgs } from "./args.ts";
import { type BackupCliEnv, dataDirOf } from "./backup.ts";

export async function restoreCommand(args: ParsedArgs, env: BackupCliEnv): Promise<number> {
  const from = flag(args, "from");
  if (!from) {
    env.stderr.write("restore needs --from FILE (and --data DIR or --config FILE)\n");
    return 2;
  }
  const dataDir = dataDirOf(args);
  try {
    const r = await restoreBackup({ dataDir, from: resolve(from) });
    env.stdout.write(`restored ${r.files} files from the backup of ${r.createdAt} into ${dataDir}\n`);
    if (r.replacedDir) env.stdout.write(`the previous data is in ${r.replacedDir} (delete it once all is well)\n`);
    env.stdout.write("the PMS will be asked for a resync when the appliance starts\n");
    return 0;
  } catch (err) {
    if (err instanceof RestoreRefused) {
      env.stderr.write(`bellhop: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
