/**
 * sipp phones and callers for the call tests: the scenarios of test/fixtures/sipp (ours) and
 * test/peers/fixtures/sipp (the reference peers'), on ports of the test's choosing, optionally
 * registered with Kamailio first (uac-register.xml from the same port, so calls through the proxy
 * reach them). Tests that start it skip themselves through `peerSkip("sipp", …)` (./available.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../integration/support.ts";
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
  /** Exit code once it ended. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
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

export async function startSipp(o: SippOptions): Promise<Sipp> {
  const dir = mkdtempSync(join(tmpdir(), "bellhop-sipp-"));
  const port = await freePort();
  const mediaPort = await freePort();
  if (o.registrar) await registerSipp(o.registrar, port, o.user, dir);
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
    "-nostdin",
    ...(o.max !== undefined ? ["-m", String(o.max)] : []),
    ...(o.extra ?? []),
  ];
  const { child, exited } = run(args, dir);
  const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8") : "");
  return {
    port,
    mediaPort,
    dir,
    log: () => read("sipp.log"),
    messages: () => read("sipp.msg"),
    exited,
    async stop() {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
