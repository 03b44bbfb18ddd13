/**
 * @module sim/pms/cli
 * `bellhop sim pms`: the PMS simulator for installers. Interactive mode prints every record in and out
 * until SIGINT/SIGTERM; script mode runs a scenario once and reports through the exit code.
 */
import { charsets } from "../../lib/charset.ts";
import { errorMessage } from "../../lib/errors.ts";
import { checked, int, number, parseFlags, type Read, set } from "../cli-args.ts";
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
} from "./cli-common.ts";
import { generateHotel } from "./hotel.ts";
import { parseScript, runScript } from "./script.ts";
import { PmsSimulator } from "./simulator.ts";
import { isPmsVariant, type PmsVariant, pmsVariants, VARIANTS } from "./variants.ts";

export type { CliIo };

export const SIM_PMS_USAGE = `usage: bellhop sim pms (--listen PORT | --connect HOST:PORT | --serial DEVICE) [options]

Plays the PMS side of a FIAS link (the Oracle IFC, or a variant met in the field) with a
generated hotel. With --protocol mitel it plays a Mitel SX-200/SX-2000 PMS instead (its own
options: bellhop sim pms --protocol mitel --help).
  --protocol P         fias (default) | mitel
  --listen PORT        wait for the appliance to connect (the usual IFC role)
  --connect HOST:PORT  connect to an appliance that is the TCP server (retries every 2 s)
  --serial DEVICE      FIAS over RS-232 on DEVICE (LRC, ACK/NAK, ENQ; writes paced at the baud
                       rate, as on a real wire); reopened every 2 s while it is missing
  --baud N             serial speed (default 9600)
  --data-bits 7|8      (default 8)
  --parity P           none | even | odd (default none)
  --stop-bits 1|2      (default 1)
  --host ADDR          address to listen on (default 127.0.0.1)
  --script FILE        run a scenario once, then exit 0 (passed) or 1 (failed)
  --rooms N            rooms in the generated hotel (default 100)
  --occupancy X        share of rooms occupied, 0..1 (default 0.7)
  --seed N             hotel generator seed (default 1)
  --charset NAME       ${charsets.join(" | ")} (default latin1)
  --reject-postings R  refuse the postings (PS) of these rooms, comma-separated, with PA AS NG
                       "INVALID ROOM" (others are accepted with ASOK)
  --silent-postings    never answer a posting (the appliance's PA time-out)
  --variant NAME       the PMS peer to play (default oracle):
${pmsVariants.map((v) => `    ${v.padEnd(10)} ${VARIANTS[v].summary}`).join("\n")}
`;

interface Args extends PmsSimArgs {
  variant: PmsVariant;
  rejectPostings: string[];
  silentPostings: boolean;
}

const variant: Read<PmsVariant> = (v) => {
  const name = v.next();
  if (!isPmsVariant(name)) throw new UsageError(`--variant must be one of ${pmsVariants.join(", ")}, got "${name}"`);
  return name;
};

const rooms: Read<string[]> = (v) => {
  const list = v
    .next()
    .split(",")
    .map((r) => r.trim())
    .filter(Boolean);
  if (!list.length) throw new UsageError("--reject-postings wants room numbers, e.g. 101,102");
  return list;
};

function parseArgs(argv: string[]): Args {
  const args: Args = { ...pmsSimDefaults(), variant: "oracle", rejectPostings: [], silentPostings: false };
  parseFlags(argv, args, {
    ...pmsSimFlags(args),
    "--rooms": ["rooms", int(1)],
    "--seed": ["seed", checked(number, Number.isInteger, "--seed wants an integer")],
    "--variant": ["variant", variant],
    "--reject-postings": ["rejectPostings", rooms],
    "--silent-postings": ["silentPostings", set(true)],
  });
  checkWhere(args);
  if (args.serial !== undefined && VARIANTS[args.variant].framing !== "stx-etx") {
    throw new UsageError(`--variant ${args.variant} frames by lines: FIAS over serial needs STX…ETX and its LRC`);
  }
  return args;
}

export async function simPmsCommand(argv: string[], io: CliIo): Promise<number> {
  // `--protocol mitel` is the Mitel PMS simulator (src/sim/mitel); `--protocol fias` is this one.
  const protocol = argv.indexOf("--protocol");
  if (protocol >= 0 && argv[protocol + 1] === "mitel")
    return (await import("../mitel/cli.ts")).simMitelCommand(argv, io);
  if (protocol >= 0 && argv[protocol + 1] === "fias") argv = [...argv.slice(0, protocol), ...argv.slice(protocol + 2)];
  // A script that cannot be read or parsed is a usage error too: nothing has started yet.
  const parsed = commandArgs(argv, io, "sim pms", SIM_PMS_USAGE, (a) => {
    const args = parseArgs(a);
    return { args, scriptText: readScript(args.script, parseScript) };
  });
  if ("exit" in parsed) return parsed.exit;
  const { args, scriptText } = parsed.args;

  const hotel = generateHotel({ rooms: args.rooms, occupancy: args.occupancy, seed: args.seed, today: new Date() });
  // Without a script nobody else would answer postings, and an appliance waiting for PA stalls.
  const sim = new PmsSimulator({
    hotel,
    charset: args.charset,
    variant: args.variant,
    answerPostings: scriptText === undefined || args.rejectPostings.length > 0,
    rejectPostings: args.rejectPostings,
    silentPostings: args.silentPostings,
  });
  sim.on("frame", (f) => printFrame(io, f));
  sim.on("connected", (n) => io.stdout.write(`# connection ${n} up\n`));
  sim.on("disconnected", (n) => io.stdout.write(`# connection ${n} down\n`));
  sim.on("linked", (n) => io.stdout.write(`# linked (connection ${n})\n`));
  io.stdout.write(`# variant: ${args.variant} (${VARIANTS[args.variant].summary})\n`);
  io.stdout.write(`# hotel: ${hotel.rooms.length} rooms, ${hotel.guests.length} guests in house\n`);

  // --connect: as the IFC does, it keeps reopening the port until stopped.
  const stopConnecting = await openPmsSide(sim, args, io, {
    connect: (target, err) => io.stdout.write(`# connect to ${target} failed: ${errorMessage(err)}\n`),
    serial: (device, err, again) => {
      if (!again) io.stdout.write(`# cannot open ${device}: ${errorMessage(err)} (retrying every 2 s)\n`);
    },
  });
  if (!stopConnecting) return 1;

  try {
    if (scriptText === undefined) {
      await untilStopped(io);
      io.stdout.write(`# ${sim.connections} connections, ${sim.links} links, ${sim.drops} drops\n`);
      return 0;
    }
    const result = await runScript(sim, scriptText, { onStep: (r) => printStep(io, r) });
    // Serial: the last frames still wait for their ACK; let them go out before the line closes.
    await sim.settled();
    return printVerdict(io, result);
  } finally {
    stopConnecting();
    await sim.close();
  }
}
