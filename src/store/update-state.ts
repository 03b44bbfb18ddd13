/**
 * @module store/update-state
 * What an update leaves in `<data>/update/`, shared by `bellhop update apply`, the boot check that
 * runs before every start (appliance/boot-check.sh, plain sh: it must work when the new binary does
 * not) and `GET /api/v1/health`:
 *
 * - `pending`: the update in progress, `key=value` lines (sh reads them with sed). Present from
 *   the swap until the outcome is known; its `state` tells the boot check what to do.
 * - `starts`: how many times the service was started since the swap (the boot check counts).
 * - `last.json`: the outcome of the last update that changed something (written whole, renamed).
 * - `update.log`: every step of every update, one line each.
 * - `snapshot.db`: the database as it was before the swap.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ownLikeFolder } from "./update-snapshot.ts";

export const UPDATE_DIR = "update";

/** preparing: before the swap; restarting: new binary in place; rolling-back: the previous one is being put back. */
export type PendingState = "preparing" | "restarting" | "rolling-back";

export interface PendingUpdate {
  id: string;
  state: PendingState;
  /** The installed binary's path, and where the previous one is kept. */
  bin: string;
  previous: string;
  /** The database snapshot, or "none" when there was no database. */
  snapshot: string;
  from: string;
  to: string;
  startedAt: number;
  /** Epoch seconds: past it, an update still pending was never confirmed healthy and is undone at the next start. */
  deadline: number;
  /** Starts allowed before the boot check calls it a crash loop. */
  maxStarts: number;
  pid: number;
}

export type UpdateResult = "updated" | "rolled-back" | "rollback-failed";

export interface LastUpdate {
  id: string;
  result: UpdateResult;
  from: string;
  to: string;
  /** ISO 8601. */
  startedAt: string;
  finishedAt: string;
  /** Why it was rolled back (or why the rollback failed); null when updated. */
  reason: string | null;
  /** Who decided: the apply command, or the boot check (crash loop, or an apply that never finished). */
  by: "apply" | "boot-check";
}

export function updateDir(dataDir: string): string {
  return join(dataDir, UPDATE_DIR);
}

export function ensureUpdateDir(dataDir: string): string {
  const dir = updateDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  ownLikeFolder(dir, dataDir);
  return dir;
}

export function writePending(dataDir: string, p: PendingUpdate): void {
  const lines = Object.entries(p).map(([k, v]) => `${k}=${String(v).replace(/[\r\n]/g, " ")}`);
  writeWhole(dataDir, join(updateDir(dataDir), "pending"), `${lines.join("\n")}\n`);
}

export function readPending(dataDir: string): PendingUpdate | null {
  let text: string;
  try {
    text = readFileSync(join(updateDir(dataDir), "pending"), "utf8");
  } catch {
    return null;
  }
  const kv = new Map<string, string>();
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const n = (k: string) => Number(kv.get(k) ?? "0");
  return {
    id: kv.get("id") ?? "",
    state: (kv.get("state") ?? "preparing") as PendingState,
    bin: kv.get("bin") ?? "",
    previous: kv.get("previous") ?? "",
    snapshot: kv.get("snapshot") ?? "none",
    from: kv.get("from") ?? "",
    to: kv.get("to") ?? "",
    startedAt: n("startedAt"),
    deadline: n("deadline"),
    maxStarts: n("maxStarts"),
    pid: n("pid"),
  };
}

export function clearPending(dataDir: string): void {
  rmSync(join(updateDir(dataDir), "pending"), { force: true });
  rmSync(join(updateDir(dataDir), "starts"), { force: true });
}

/** Service starts counted by the boot check since the swap. */
export function readStarts(dataDir: string): number {
  try {
    const n = Number(readFileSync(join(updateDir(dataDir), "starts"), "utf8").trim());
    return Number.isFinite(n) ? n : 0;
  } catch {
    return 0;
  }
}

export function writeLastUpdate(dataDir: string, last: LastUpdate): void {
  writeWhole(dataDir, join(updateDir(dataDir), "last.json"), `${JSON.stringify(last)}\n`);
}

/** The last update's outcome, or null (none yet, or the file is unreadable: health must not fail over it). */
export function readLastUpdate(dataDir: string): LastUpdate | null {
  try {
    const o = JSON.parse(readFileSync(join(updateDir(dataDir), "last.json"), "utf8")) as LastUpdate;
    if (typeof o !== "object" || o === null || typeof o.result !== "string") return null;
    return {
      id: String(o.id ?? ""),
      result: o.result,
      from: String(o.from ?? ""),
      to: String(o.to ?? ""),
      startedAt: String(o.startedAt ?? ""),
      finishedAt: String(o.finishedAt ?? ""),
      reason: typeof o.reason === "string" ? o.reason : null,
      by: o.by === "boot-check" ? "boot-check" : "apply",
    };
  } catch {
    return null;
  }
}

/** One line of the update log (never a key or a secret: steps, paths, versions, reasons). */
export function appendUpdateLog(dataDir: string, line: string): void {
  const file = join(updateDir(dataDir), "update.log");
  appendFileSync(file, `${line}\n`, { mode: 0o640 });
  ownLikeFolder(file, dataDir);
}

function writeWhole(dataDir: string, file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text, { mode: 0o640 });
  ownLikeFolder(tmp, dataDir);
  renameSync(tmp, file);
}
