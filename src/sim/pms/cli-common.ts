/**
 * @module sim/pms/cli-common
 * What the two PMS simulator commands (`sim pms`, FIAS: sim/pms/cli.ts; `sim pms --protocol mitel`:
 * sim/mitel/cli.ts) share: the flags for where the PMS is, its serial line and its generated hotel
 * (read with sim/cli-args.ts), the script file check, the frame print-out, and the loop that keeps a
 * dial or a device open the way a PMS's interface does.
 */
import { readFileSync } from "node:fs";
import { type Charset, charsets } from "../../lib/charset.ts";
import type { Clock, TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import { DEFAULT_SERIAL, type SerialLineSettings } from "../../pms/fias/serial.ts";
import { checked, type Flag, type FlagValue, hostPort, int, number, oneOf, port, text } from "../cli-args.ts";
import { type CliIo, UsageError } from "../cli-io.ts";

/** The flags both simulators take. */
export interface PmsSimArgs {
  listen?: number;
  connect?: { host: string; port: number };
  serial?: string;
  line: Omit<SerialLineSettings, "device">;
  host: string;
  script?: string;
  rooms: number;
  occupancy: number;
  seed: number;
  charset: Charset;
}

export function pmsSimDefaults(): PmsSimArgs {
  return { host: "127.0.0.1", line: { ...DEFAULT_SERIAL }, rooms: 100, occupancy: 0.7, seed: 1, charset: "latin1" };
}

/** The shared flags (each command adds its own, `--rooms` and `--seed` with its own bounds). */
export function pmsSimFlags(a: PmsSimArgs): Record<string, Flag<PmsSimArgs>> {
  const line = a.line;
  return {
    "--listen": ["listen", port],
    "--connect": ["connect", hostPort],
    "--serial": ["serial", text],
    "--baud": (v: FlagValue) => {
      line.baud = int(50, 4_000_000)(v);
    },
    "--data-bits": (v: FlagValue) => {
      line.dataBits = int(7, 8)(v) as 7 | 8;
    },
    "--parity": (v: FlagValue) => {
      line.parity = oneOf("none", "even", "odd")(v);
    },
    "--stop-bits": (v: FlagValue) => {
      line.stopBits = int(1, 2)(v) as 1 | 2;
    },
    "--host": ["host", text],
    "--script": ["script", text],
    "--occupancy": ["occupancy", checked(number, (x) => x >= 0 && x <= 1, "--occupancy wants a number in 0..1")],
    "--charset": ["charset", oneOf(...charsets)],
  };
}

/** After parsing: exactly one place for the PMS. */
export function checkWhere(a: PmsSimArgs): void {
  if ([a.listen, a.connect, a.serial].filter((x) => x !== undefined).length !== 1) {
    throw new UsageError("give exactly one of --listen PORT, --connect HOST:PORT or --serial DEVICE");
  }
}

/** The `--script` file's text, checked by `parse`; a file that cannot be read or parsed is a usage error. */
export function readScript(
  path: string | undefined,
  parse: (text: string) => { errors: string[] },
): string | undefined {
  if (path === undefined) return undefined;
  let script: string;
  try {
    script = readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read script ${path}: ${errorMessage(err)}`);
  }
  const { errors } = parse(script);
  if (errors.length) throw new UsageError(`script ${path}:\n  ${errors.join("\n  ")}`);
  return script;
}

/** One frame in or out, as the interactive mode prints it. */
export function printFrame(io: CliIo, f: { dir: "in" | "out"; text: string; error?: string }): void {
  const arrow = f.dir === "out" ? ">" : "<";
  io.stdout.write(f.error ? `${arrow} !${f.error} ${f.text}\n` : `${arrow} ${f.text}\n`);
}

/** A script step as it ran, printed as it completes. */
export function printStep(
  io: CliIo,
  r: { ok: boolean; line: number; text: string; detail?: string; ms: number },
): void {
  const detail = r.detail ? ` → ${r.detail}` : "";
  io.stdout.write(`${r.ok ? "ok  " : "FAIL"} line ${r.line}: ${r.text}${detail} (${r.ms} ms)\n`);
}

/** The script's verdict line; the command's exit code. */
export function printVerdict(io: CliIo, result: { ok: boolean; steps: number; failures: string[] }): number {
  io.stdout.write(result.ok ? `# script passed (${result.steps} steps)\n` : `# script failed: ${result.failures[0]}\n`);
  return result.ok ? 0 : 1;
}

const RECONNECT_MS = 2000;

/** The simulator as `keepOpen` sees it. */
export interface Reopening {
  readonly clock: Clock;
  on(event: "disconnected", listener: () => void): unknown;
}

/** The simulator as `openPmsSide` drives it. */
export interface PmsSimSide extends Reopening {
  listen(port: number, host: string): Promise<number>;
  connect(host: string, port: number): Promise<void>;
  openSerial(settings: SerialLineSettings): Promise<void>;
  close(): Promise<void>;
}

/** How a command reports a failed dial (`HOST:PORT`) or device open; `again`: the attempt before failed too. */
export interface OpenFailures {
  connect(target: string, err: unknown, again: boolean): void;
  serial(device: string, err: unknown, again: boolean): void;
}

/**
 * Puts the PMS where the flags say: listens, or keeps dialling or reopening the device (every 2 s)
 * until the returned function is called. Undefined when it cannot start (said on stderr, the
 * simulator closed).
 */
export async function openPmsSide(
  sim: PmsSimSide,
  a: PmsSimArgs,
  io: CliIo,
  failures: OpenFailures,
): Promise<(() => void) | undefined> {
  try {
    if (a.connect) {
      const { host, port } = a.connect;
      const target = `${host}:${port}`;
      return keepOpen(
        sim,
        () => sim.connect(host, port),
        (err, again) => failures.connect(target, err, again),
      );
    }
    if (a.serial !== undefined) {
      const { baud, dataBits, parity, stopBits } = a.line;
      io.stdout.write(`# serial ${a.serial} ${baud} ${dataBits}${parity[0].toUpperCase()}${stopBits}\n`);
      const device = a.serial;
      const open = () => sim.openSerial({ device, ...a.line });
      return keepOpen(sim, open, (err, again) => failures.serial(device, err, again));
    }
    const port = await sim.listen(a.listen ?? 0, a.host);
    io.stdout.write(`# listening on ${a.host}:${port}\n`);
    return () => {};
  } catch (err) {
    io.stderr.write(`bellhop sim pms: ${errorMessage(err)}\n`);
    await sim.close();
    return undefined;
  }
}

/**
 * Keeps a connection (TCP dial or serial device) open, trying again 2 s after each failure or loss,
 * until the returned function is called. `failed` hears each failure, `again` true when the attempt
 * before failed too.
 */
function keepOpen(
  sim: Reopening,
  open: () => Promise<void>,
  failed: (err: unknown, again: boolean) => void,
): () => void {
  let stopped = false;
  let timer: TimerHandle | undefined;
  let failing = false;
  const attempt = () => {
    if (stopped) return;
    open().then(
      () => {
        failing = false;
      },
      (err) => {
        failed(err, failing);
        failing = true;
        retry();
      },
    );
  };
  const retry = () => {
    if (!stopped) timer = sim.clock.setTimeout(attempt, RECONNECT_MS);
  };
  sim.on("disconnected", retry);
  attempt();
  return () => {
    stopped = true;
    sim.clock.clearTimeout(timer);
  };
}
