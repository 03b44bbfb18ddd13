/**
 * A stand-in for systemd's NOTIFY_SOCKET: a python unix-datagram listener (Bun and Deno cannot bind
 * one) that records each datagram with its arrival time, and closes the fd of BARRIER=1 so
 * systemd-notify, which waits for that, returns at once.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { which } from "../peers/available.ts";

const LISTENER = `
import array, json, os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps({"listening": True}), flush=True)
while True:
    data, anc, flags, addr = s.recvmsg(4096, socket.CMSG_SPACE(64))
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
            for fd in fds:
                os.close(fd)
    print(json.dumps({"t": time.time() * 1000, "data": data.decode()}), flush=True)
`;

export interface Datagram {
  /** Arrival, ms since the epoch. */
  t: number;
  data: string;
}

export interface NotifySocket {
  path: string;
  got: Datagram[];
  /** Resolves true once `cond` holds, false after `ms`. */
  waitFor(cond: () => boolean, ms: number): Promise<boolean>;
  close(): void;
}

/** Why the stand-in cannot run here, or "" when it can. */
export function notifySocketMissing(): string {
  if (!which("systemd-notify")) return "systemd-notify (systemd) is not installed";
  if (!which("python3")) return "python3 is missing";
  return "";
}

export async function startNotifySocket(): Promise<NotifySocket> {
  const dir = mkdtempSync(join(tmpdir(), "bellhop-notify-"));
  const path = join(dir, "notify.sock");
  writeFileSync(join(dir, "listener.py"), LISTENER);
  const child: ChildProcess = spawn("python3", [join(dir, "listener.py"), path], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const got: Datagram[] = [];
  let buf = "";
  await new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.stdout?.on("data", (chunk: Buffer) => {
      buf += chunk.toString();
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        const line = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (line.listening) resolve();
        else got.push(line);
      }
    });
  });
  return {
    path,
    got,
    async waitFor(cond, ms) {
      const end = Date.now() + ms;
      while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      return cond();
    },
    close() {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
