/**
 * @module runtime/notify
 * sd_notify(3) for Bun and Deno, which have no unix datagram sockets: each notification runs
 * `systemd-notify` (systemd's own client, in every systemd install) with NOTIFY_SOCKET inherited.
 * systemd-notify (systemd ≥ 246) waits until systemd has taken the message (BARRIER=1), so the
 * message is never lost to the race of a sender exiting before systemd reads it; as it is a child
 * process, the unit has NotifyAccess=all. READY=1 carries `--pid=` our PID so systemd keeps the
 * right main PID. Rejected alternatives: an FFI call to socket(2)/sendto(2) (bun:ffi and Deno.dlopen
 * differ, and need extra permissions), a helper in python or socat (not on every box).
 */
import { execFile } from "node:child_process";
import type { ServiceNotifier } from "../lib/watchdog.ts";

export interface NotifierOptions {
  /** The environment systemd gave us; default the process's. */
  env?: Record<string, string | undefined>;
  /** The client binary; default `systemd-notify` on PATH. */
  command?: string;
  /** A notification that takes longer is given up (systemd-notify's own barrier waits 5 s). */
  timeoutMs?: number;
}

/** The notifier for this process, or undefined when systemd did not ask for notifications. */
export function systemdNotifier(opts: NotifierOptions = {}): ServiceNotifier | undefined {
  const env = opts.env ?? process.env;
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return undefined;
  const command = opts.command ?? "systemd-notify";
  const timeout = opts.timeoutMs ?? 8000;
  const childEnv = { ...process.env, ...env, NOTIFY_SOCKET: socket };
  return {
    watchdogMs: watchdogMs(env),
    notify: (...assignments) =>
      new Promise<void>((resolve, reject) => {
        const args = assignments.includes("READY=1") ? [`--pid=${process.pid}`, ...assignments] : assignments;
        execFile(command, args, { env: childEnv, timeout }, (err, _stdout, stderr) => {
          if (err) reject(new Error(`${command} ${assignments.join(" ")}: ${String(stderr).trim() || err.message}`));
          else resolve();
        });
      }),
  };
}

/** WATCHDOG_USEC for this process (WATCHDOG_PID, when set, must be ours), in ms. */
export function watchdogMs(env: Record<string, string | undefined>): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== process.pid) return undefined;
  return usec / 1000;
}
