/**
 * @module sim/mitel/cli
 * `bellhop sim pms --protocol mitel`: the Mitel PMS simulator for installers. Interactive mode prints
 * every message in and out until SIGINT/SIGTERM (answering RQINZ with a GRS cycle of the hotel);
 * script mode runs a scenario once and reports through the exit code.
 */
import { charsets } from "../../lib/charset.ts";
import { errorMessage } from "../../lib/errors.ts";
import { isMitelProfile, type MitelProfileName, mitelProfile, mitelProfiles } from "../../pms/mitel/profiles.ts";
import { int, parseFlags, type Read, set } from "../cli-args.ts";
import { type CliIo, commandArgs, UsageError, untilStopped } from "../cli-io.ts";
import {
  checkWhere,
  openPmsSide,
  type PmsSimArgs,
  pmsSimDefaults,
  pmsSimFlags,
  printFrame,
  printStep,
  printVerdict,
  readScript,
} from "../pms/cli-common.ts";
import { generateHotel } from "../pms/hotel.ts";
import { parseMitelScript, runMitelScript } from "./script.ts";
import { MitelPmsSimulator } from "./simulator.ts";

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

interface Args extends PmsSimArgs {
  profile: MitelProfileName;
  roomWidth?: number;
  resync: boolean;
}

const profile: Read<MitelProfileName> = (v) => {
  const name = v.next();
  if (!isMitelProfile(name)) throw new UsageError(`--profile must be one of ${mitelProfiles.join(", ")}`);
  return name;
};

function parseArgs(argv: string[]): Args {
  const a: Args = { ...pmsSimDefaults(), profile: "sx2000", resync: false };
  parseFlags(argv, a, {
    ...pmsSimFlags(a),
    "--protocol": (v) => {
      if (v.next() !== "mitel") throw new UsageError("--protocol: this is the Mitel simulator");
    },
    "--profile": ["profile", profile],
    "--room-width": ["roomWidth", int(3, 7)],
    "--resync": ["resync", set(true)],
    "--rooms": ["rooms", int(1, 100_000)],
    "--seed": ["seed", int(-(2 ** 31), 2 ** 31)],
  });
  checkWhere(a);
  return a;
}

/** The first of a run of failures is printed, once. */
function failed(io: CliIo, what: string, err: unknown, again: boolean): void {
  if (!again) io.stdout.write(`# ${what} failed: ${errorMessage(err)} (retrying every 2 s)\n`);
}

export async function simMitelCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = commandArgs(argv, io, "sim pms --protocol mitel", SIM_MITEL_USAGE, (argv) => {
    const args = parseArgs(argv);
    return { args, script: readScript(args.script, parseMitelScript) };
  });
  if ("exit" in parsed) return parsed.exit;
  const { args, script } = parsed.args;
  const hotel = generateHotel({ rooms: args.rooms, occupancy: args.occupancy, seed: args.seed, today: new Date() });
  const sim = new MitelPmsSimulator({
    hotel,
    charset: args.charset,
    profile: mitelProfile(args.profile, args.roomWidth),
  });
  sim.on("frame", (f) => printFrame(io, f));
  sim.on("connected", (n) => {
    io.stdout.write(`# connection ${n} up\n`);
    if (args.resync) sim.resync().catch(() => {});
  });
  sim.on("disconnected", (n) => io.stdout.write(`# connection ${n} down\n`));
  io.stdout.write(
    `# Mitel PMS, profile ${args.profile}; hotel: ${hotel.rooms.length} rooms, ${hotel.guests.length} guests\n`,
  );

  const stop = await openPmsSide(sim, args, io, {
    connect: (target, err, again) => failed(io, `connect to ${target}`, err, again),
    serial: (device, err, again) => failed(io, `open ${device}`, err, again),
  });
  if (!stop) return 1;
  try {
    if (script === undefined) {
      await untilStopped(io);
      io.stdout.write(`# ${sim.connections} connections, ${sim.received.length} messages received\n`);
      return 0;
    }
    const result = await runMitelScript(sim, script, (r) => printStep(io, r));
    await sim.drained();
    return printVerdict(io, result);
  } finally {
    stop();
    await sim.close();
  }
}
