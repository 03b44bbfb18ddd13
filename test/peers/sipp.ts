/**
 * sipp phones and callers for the call tests: the scenarios of test/fixtures/sipp (ours) and
 * test/peers/fixtures/sipp (the reference peers'), on ports of the test's choosing, optionally
 * registered with Kamailio first (uac-register.xml from the same port, so calls through the proxy
 * reach them). Tests that start it skip themselves through `peerSkip("sipp", …)` (./available.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, sleep } from "../integration/support.ts";
import { PEER_FIXTURES, peerCommand } from "./available.ts";

export const FIXTURES = resolve(import.meta.dirname ?? ".", "../fixtures/sipp");

/** A scenario file by name: test/fixtures/sipp first, then test/peers/fixtures/sipp. */
export function scenario(name: string): string {
  const mine = join(FIXTURES, name);
  return existsSync(mine) ? mine : join(PEER_FIXTURES, "sipp", name);
}

export interface Sipp {
  port: number;
  mediaPort: number;
  dir: string;
  /** The `-log_file` contents (scenario <log> actions). */
  log(): string;
  /** The `-message_file` contents (every message sent and received). */
  messages(): string;
  /** sipp's own error log (`-trace_err`): bind errors, timeouts, unexpected messages. */
  errors(): string;
  /** Exit code once it ended. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** sipp's exit code when it could not bind a socket (EXIT_BIND_ERROR, -2): the SIP port, media port or media port + 2. */
const EXIT_BIND_ERROR = 254;
/** Ports handed to a sipp of this process that is still running (SIP, and media to media + 3). */
const reserved = new Set<number>();

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    s.once("error", () => resolve(false));
    s.bind(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/**
 * A SIP port and a media port for one sipp: free now for UDP (and the SIP port for TCP too, as
 * `freePort` checks), media + 2 as well (sipp binds its video socket there), and none handed to
 * another sipp of this process that runs or is starting (callers started together in parallel).
 */
async function sippPorts(): Promise<{ port: number; mediaPort: number; release: () => void }> {
  const pick = async (span: number): Promise<number> => {
    for (;;) {
      const p = await freePort();
      const all = Array.from({ length: span }, (_, i) => p + i);
      if (p + span - 1 > 65535 || all.some((q) => reserved.has(q))) continue;
      const free = await Promise.all([p, ...(span > 1 ? [p + 2] : [])].map(udpFree));
      if (!free.every(Boolean) || all.some((q) => reserved.has(q))) continue;
      for (const q of all) reserved.add(q);
      return p;
    }
  };
  const port = await pick(1);
  const mediaPort = await pick(4);
  return {
    port,
    mediaPort,
    release() {
      for (const q of [port, mediaPort, mediaPort + 1, mediaPort + 2, mediaPort + 3]) reserved.delete(q);
    },
  };
}

function run(args: string[], dir: string): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(peerCommand("sipp"), args, { cwd: dir, stdio: "ignore" });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, exited };
}

/** Registers `user` (password `secret`) with the Kamailio at `registrarPort` from `port`. */
export async function registerSipp(registrarPort: number, port: number, user: string, dir: string): Promise<void> {
  const { exited } = run(
    [
      `127.0.0.1:${registrarPort}`,
      "-sf",
      scenario("uac-register.xml"),
      "-i",
      "127.0.0.1",
      "-p",
      String(port),
      "-m",
      "1",
      "-s",
      user,
      "-ap",
      "secret",
      "-nostdin",
      "-timeout",
      "10s",
    ],
    dir,
  );
  const code = await exited;
  if (code !== 0) throw new Error(`sipp could not register ${user} (exit ${code})`);
}

export interface SippOptions {
  scenario: string;
  /** The user part (`-s`): the extension the phone answers as, or the number a caller dials. */
  user: string;
  /** Register with this Kamailio port first. */
  registrar?: number;
  /** `-m`: calls before exiting (omit: runs until stopped). */
  max?: number;
  /** For a caller (UAC): where to send the INVITE. */
  remote?: string;
  extra?: string[];
}

/** Whether 127.0.0.1:`port` is bound for UDP now (/proc/net/udp; true where that file is missing). */
function udpBound(port: number): boolean {
  if (!existsSync("/proc/net/udp")) return true;
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")} `;
  return readFileSync("/proc/net/udp", "utf8").includes(local);
}

/**
 * Starts sipp and returns once it has bound its sockets (its SIP port and media + 2, the last it
 * binds), so a phone is reachable and a caller's ports are its own. A sipp that could not bind one
 * (a port taken between the check and its bind, by anything on the machine) starts again on other
 * ports, up to 5 times.
 */
export async function startSipp(o: SippOptions): Promise<Sipp> {
  const dir = mkdtempSync(join(tmpdir(), "bellhop-sipp-"));
  const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8") : "");
  for (let attempt = 1; ; attempt++) {
    const { port, mediaPort, release } = await sippPorts();
    try {
      if (o.registrar) await registerSipp(o.registrar, port, o.user, dir);
    } catch (err) {
      release();
      if (attempt < 5 && /exit 254\)/.test(String(err))) continue;
      throw err;
    }
    const args = [
      ...(o.remote ? [o.remote] : []),
      "-sf",
      scenario(o.scenario),
      "-i",
      "127.0.0.1",
      "-p",
      String(port),
      "-mi",
      "127.0.0.1",
      "-mp",
      String(mediaPort),
      "-s",
      o.user,
      "-trace_logs",
      "-log_file",
      join(dir, "sipp.log"),
      "-trace_msg",
      "-message_file",
      join(dir, "sipp.msg"),
      "-trace_err",
      "-error_file",
      join(dir, "sipp.err"),
      "-nostdin",
      ...(o.max !== undefined ? ["-m", String(o.max)] : []),
      ...(o.extra ?? []),
    ];
    const { child, exited } = run(args, dir);
    void exited.then(release);
    let ended = false;
    void exited.then(() => {
      ended = true;
    });
    const until = Date.now() + 10_000;
    while (!ended && Date.now() < until && !(udpBound(port) && udpBound(mediaPort + 2))) await sleep(10);
    if (ended && (await exited) === EXIT_BIND_ERROR && attempt < 5) continue;
    return {
      port,
      mediaPort,
      dir,
      log: () => read("sipp.log"),
      messages: () => read("sipp.msg"),
      errors: () => read("sipp.err"),
      exited,
      async stop() {
        if (child.exitCode === null) child.kill("SIGKILL");
        await exited;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
