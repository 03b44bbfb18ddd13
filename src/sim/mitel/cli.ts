/**
 * @module sim/mitel/cli
 * `bellhop sim pms --protocol mitel`: the Mitel PMS simulator for installers. Interactive mode prints
 * every message in and out until SIGINT/SIGTERM (answering RQINZ with a GRS cycle of the hotel);
 * script mode runs a scenario once and reports through the exit code.
 */
import { readFileSync } from "node:fs";
import { type Charset, charsets } from "../../lib/charset.ts";
import type { TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import { DEFAULT_SERIAL, type SerialLineSettings } from "../../pms/fias/serial.ts";
import { isMitelProfile, type MitelProfileName, mitelProfile, mitelProfiles } from "../../pms/mitel/profiles.ts";
import { type CliIo, commandArgs, UsageError, untilStopped } from "../cli-io.ts";
import { generateHotel } from "../pms/hotel.ts";
import { parseMitelScript, runMitelScript } from "./script.ts";
import { MitelPmsSimulator, type MitelSimFrame } from "./simulator.ts";

export const SIM_MITEL_USAGE = `usage: bellhop sim pms --protocol mitel (--listen PORT | --connect HOST:PORT | --serial DEVICE) [options]

Plays a Mitel SX-200/SX-2000 PMS (ENQ line bids, STX message ETX, ACK/NAK) with a generated hotel.
  --listen PORT        wait for the appliance to connect
  --connect HOST:PORT  connect to an appliance that listens (retries every 2 s)
  --serial DEVICE      RS-232 on DEVICE (writes paced at the baud rate); reopened every 2 s
  --baud N, --data-bits 7|8, --parity none|even|odd, --stop-bits 1|2   (default 9600 8N1)
  --host ADDR          address to listen on (default 127.0.0.1)
  --profile NAME       ${mitelProfiles.join(" | ")} (default sx2000)
  --room-width N       room field width, sx2000/mitel2 (default 5)
  --resync             send a GRS cycle of the hotel once connected
  --script FILE        run a scenario once, then exit 0 (passed) or 1 (failed)
  --rooms N, --occupancy X, --seed N   the generated hotel (default 100, 0.7, 1)
  --charset NAME       ${charsets.join(" | ")} (default latin1)
`;

const RECONNECT_MS = 2000;

interface Args {
  listen?: number;
  connect?: { host: string; port: number };
  serial?: string;
  line: Omit<SerialLineSettings, "device">;
  host: string;
  profile: MitelProfileName;
  roomWidth?: number;
  resync: boolean;
  script?: string;
  rooms: number;
  occupancy: number;
  seed: number;
  charset: Charset;
}

function port(text: string | undefined, what: string): number {
  const n = Number(text);
  if (!text || !Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`${what}: invalid port "${text ?? ""}"`);
  return n;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    host: "127.0.0.1",
    line: { ...DEFAULT_SERIAL },
    profile: "sx2000",
    resync: false,
    rooms: 100,
    occupancy: 0.7,
    seed: 1,
    charset: "latin1",
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const int = (min: number, max: number) => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < min || n > max)
        throw new UsageError(`${flag} wants a whole number ${min}–${max}`);
      return n;
    };
    switch (flag) {
      case "--protocol":
        if (value() !== "mitel") throw new UsageError("--protocol: this is the Mitel simulator");
        break;
      case "--listen":
        a.listen = port(value(), flag);
        break;
      case "--connect": {
        const v = value();
        const colon = v.lastIndexOf(":");
        if (colon <= 0) throw new UsageError(`--connect wants HOST:PORT, got "${v}"`);
        a.connect = { host: v.slice(0, colon), port: port(v.slice(colon + 1), flag) };
        break;
      }
      case "--serial":
        a.serial = value();
        break;
      case "--baud":
        a.line.baud = int(50, 4_000_000);
        break;
      case "--data-bits":
        a.line.dataBits = int(7, 8) as 7 | 8;
        break;
      case "--parity": {
        const v = value();
        if (v !== "none" && v !== "even" && v !== "odd") throw new UsageError("--parity wants none, even or odd");
        a.line.parity = v;
        break;
      }
      case "--stop-bits":
        a.line.stopBits = int(1, 2) as 1 | 2;
        break;
      case "--host":
        a.host = value();
        break;
      case "--profile": {
        const v = value();
        if (!isMitelProfile(v)) throw new UsageError(`--profile must be one of ${mitelProfiles.join(", ")}`);
        a.profile = v;
        break;
      }
      case "--room-width":
        a.roomWidth = int(3, 7);
        break;
      case "--resync":
        a.resync = true;
        break;
      case "--script":
        a.script = value();
        break;
      case "--rooms":
        a.rooms = int(1, 100_000);
        break;
      case "--occupancy":
        a.occupancy = Number(value());
        if (!(a.occupancy >= 0 && a.occupancy <= 1)) throw new UsageError("--occupancy wants a number in 0..1");
        break;
      case "--seed":
        a.seed = int(-(2 ** 31), 2 ** 31);
        break;
      case "--charset": {
        const v = value();
        if (!charsets.includes(v as Charset)) throw new UsageError(`--charset must be one of ${charsets.join(", ")}`);
        a.charset = v as Charset;
        break;
      }
      default:
        throw new UsageError(`unknown argument "${flag}"`);
    }
  }
  if ([a.listen, a.connect, a.serial].filter((x) => x !== undefined).length !== 1) {
    throw new UsageError("give exactly one of --listen PORT, --connect HOST:PORT or --serial DEVICE");
  }
  return a;
}

function print(io: CliIo, f: MitelSimFrame): void {
  const arrow = f.dir === "out" ? ">" : "<";
  io.stdout.write(f.error ? `${arrow} !${f.error} ${f.text}\n` : `${arrow} ${f.text}\n`);
}

/** Keeps a connection (TCP dial or serial device) open, retrying every 2 s, until stopped. */
function keepOpen(sim: MitelPmsSimulator, io: CliIo, what: string, open: () => Promise<void>): () => void {
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
        if (!failing) io.stdout.write(`# ${what} failed: ${errorMessage(err)} (retrying every 2 s)\n`);
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

export async function simMitelCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = commandArgs(argv, io, "sim pms --protocol mitel", SIM_MITEL_USAGE, (argv) => {
    const args = parseArgs(argv);
    let script: string | undefined;
    if (args.script !== undefined) {
      try {
        script = readFileSync(args.script, "utf8");
      } catch (err) {
        throw new UsageError(`cannot read script ${args.script}: ${errorMessage(err)}`);
      }
      const { errors } = parseMitelScript(script);
      if (errors.length) throw new UsageError(`script ${args.script}:\n  ${errors.join("\n  ")}`);
    }
    return { args, script };
  });
  if ("exit" in parsed) return parsed.exit;
  const { args, script } = parsed.args;
  const hotel = generateHotel({ rooms: args.rooms, occupancy: args.occupancy, seed: args.seed, today: new Date() });
  const sim = new MitelPmsSimulator({
    hotel,
    charset: args.charset,
    profile: mitelProfile(args.profile, args.roomWidth),
  });
  sim.on("frame", (f) => print(io, f));
  sim.on("connected", (n) => {
    io.stdout.write(`# connection ${n} up\n`);
    if (args.resync) sim.resync().catch(() => {});
  });
  sim.on("disconnected", (n) => io.stdout.write(`# connection ${n} down\n`));
  io.stdout.write(
    `# Mitel PMS, profile ${args.profile}; hotel: ${hotel.rooms.length} rooms, ${hotel.guests.length} guests\n`,
  );

  let stop = () => {};
  try {
    if (args.listen !== undefined) {
      const p = await sim.listen(args.listen, args.host);
      io.stdout.write(`# listening on ${args.host}:${p}\n`);
    } else if (args.connect) {
      const { host, port: p } = args.connect;
      stop = keepOpen(sim, io, `connect to ${host}:${p}`, () => sim.connect(host, p));
    } else if (args.serial) {
      const { baud, dataBits, parity, stopBits } = args.line;
      io.stdout.write(`# serial ${args.serial} ${baud} ${dataBits}${parity[0].toUpperCase()}${stopBits}\n`);
      const device = args.serial;
      stop = keepOpen(sim, io, `open ${device}`, () => sim.openSerial({ device, ...args.line }));
    }
  } catch (err) {
    io.stderr.write(`bellhop sim pms: ${errorMessage(err)}\n`);
    await sim.close();
    return 1;
  }
  try {
    if (script === undefined) {
      await untilStopped(io);
      io.stdout.write(`# ${sim.connections} connections, ${sim.received.length} messages received\n`);
      return 0;
    }
    const result = await runMitelScript(sim, script, (r) => {
      const detail = r.detail ? ` → ${r.detail}` : "";
      io.stdout.write(`${r.ok ? "ok  " : "FAIL"} line ${r.line}: ${r.text}${detail} (${r.ms} ms)\n`);
    });
    await sim.drained();
    io.stdout.write(
      result.ok ? `# script passed (${result.steps} steps)\n` : `# script failed: ${result.failures[0]}\n`,
    );
    return result.ok ? 0 : 1;
  } finally {
    stop();
    await sim.close();
  }
}
