/**
 * @module cli/update-host
 * What `bellhop update apply` asks of the machine: run a program with a time limit, drive the
 * service through systemctl, probe the health endpoint, copy a file into place by rename.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, copyFileSync, fsyncSync, openSync, renameSync, rmSync, statSync } from "node:fs";

export interface RunResult {
  ok: boolean;
  stdout: string;
  /** Why it failed, in a few words (exit code, signal, time-out, not found, last stderr line). */
  why: string;
}

export function run(cmd: string, args: string[], timeoutMs: number): RunResult {
  const res = spawnSync(cmd, args, { encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] });
  if (res.error) {
    const code = (res.error as NodeJS.ErrnoException).code;
    const why = code === "ETIMEDOUT" ? `no answer within ${timeoutMs / 1000} s` : (code ?? res.error.message);
    return { ok: false, stdout: res.stdout ?? "", why };
  }
  if (res.status === 0) return { ok: true, stdout: res.stdout, why: "" };
  const last = (res.stderr ?? "").trim().split("\n").pop()?.slice(0, 200) ?? "";
  const how = res.status === null ? `killed by ${res.signal}` : `exit ${res.status}`;
  return { ok: false, stdout: res.stdout ?? "", why: last ? `${how}: ${last}` : how };
}

export interface Probe {
  ok: boolean;
  version?: string;
  pms?: string;
  uptimeSeconds?: number;
  why: string;
}

/** GET the health URL: ok with what it says, or why not. */
export async function probeHealth(url: string, timeoutMs = 2000): Promise<Probe> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.status !== 200) {
      await res.body?.cancel();
      return { ok: false, why: `API answered ${res.status}` };
    }
    const body = (await res.json()) as { version?: unknown; pms?: { state?: unknown }; uptimeSeconds?: unknown };
    return {
      ok: true,
      version: typeof body.version === "string" ? body.version : undefined,
      pms: typeof body.pms?.state === "string" ? body.pms.state : undefined,
      uptimeSeconds: typeof body.uptimeSeconds === "number" ? body.uptimeSeconds : undefined,
      why: "",
    };
  } catch (err) {
    const e = err as { code?: string; cause?: { code?: string } };
    const cause = e.code ?? e.cause?.code;
    const name = (err as Error).name;
    return {
      ok: false,
      why: `API not answering (${cause ?? (name === "TimeoutError" ? "time-out" : (err as Error).message)})`,
    };
  }
}

/** Copies `from` to `to` through a temporary file in `to`'s folder and a rename: `to` is never half-written. */
export function copyIntoPlace(from: string, to: string, mode?: number): void {
  const tmp = `${to}.tmp-${process.pid}`;
  try {
    copyFileSync(from, tmp);
    chmodSync(tmp, mode ?? statSync(from).mode & 0o7777);
    const fd = openSync(tmp, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, to);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Drops a file's pages from the page cache (GNU dd: `iflag=nocache` with `count=0` drops the whole
 * file). A binary just written is resident ~5 MB more than one read back from disk, which the
 * idle-RSS figure counts until the next reboot; best effort, a box without dd loses only that.
 */
export function dropFromPageCache(file: string): void {
  spawnSync("dd", [`if=${file}`, "iflag=nocache", "count=0"], { stdio: "ignore", timeout: 5000 });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
