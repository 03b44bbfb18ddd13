/**
 * @module sim/pms/cli
 * `bellhop sim pms`: the PMS simulator for installers. Interactive mode prints every record in and out
 * until SIGINT/SIGTERM; script mode runs a scenario once and reports through the exit code.
 */
import { readFileSync } from "node:fs";
import { type Charset, charsets } from "../../lib/charset.ts";
import type { TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import { DEFAULT_SERIAL, type SerialLineSettings } from "../../pms/fias/serial.ts";
import { type CliIo, commandArgs, UsageError, untilStopped } from "../cli-io.ts";
import { generateHotel } from "./hotel.ts";
import { parseScript, runScript } from "./script.ts";
import { PmsSimulator, type SimFrame } from "./simulator.ts";
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

const RECONNECT_MS = 2000;

interface Args {
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
  variant: PmsVariant;
  rejectPostings: string[];
  silentPostings: boolean;
}

function parsePort(text: string | undefined, what: string): number {
  const n = Number(text);
  if (!text || !Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`${what}: invalid port "${text ?? ""}"`);
  return n;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    host: "127.0.0.1",
    line: { ...DEFAULT_SERIAL },
    rooms: 100,
    occupancy: 0.7,
    seed: 1,
    charset: "latin1",
    variant: "oracle",
    rejectPostings: [],
    silentPostings: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--listen":
        args.listen = parsePort(value(), flag);
        break;
      case "--connect": {
        const v = value();
        const colon = v.lastIndexOf(":");
        if (colon <= 0) throw new UsageError(`--connect wants HOST:PORT, got "${v}"`);
        args.connect = { host: v.slice(0, colon), port: parsePort(v.slice(colon + 1), flag) };
        break;
      }
      case "--serial":
        args.serial = value();
        break;
      case "--baud": {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 50) throw new UsageError("--baud wants a baud rate such as 9600");
        args.line.baud = n;
        break;
      }
      case "--data-bits": {
        const v = value();
        if (v !== "7" && v !== "8") throw new UsageError("--data-bits wants 7 or 8");
        args.line.dataBits = v === "7" ? 7 : 8;
        break;
      }
      case "--parity": {
        const v = value();
        if (v !== "none" && v !== "even" && v !== "odd") throw new UsageError("--parity wants none, even or odd");
        args.line.parity = v;
        break;
      }
      case "--stop-bits": {
        const v = value();
        if (v !== "1" && v !== "2") throw new UsageError("--stop-bits wants 1 or 2");
        args.line.stopBits = v === "2" ? 2 : 1;
        break;
      }
      case "--host":
        args.host = value();
        break;
      case "--script":
        args.script = value();
        break;
      case "--rooms": {
        args.rooms = Number(value());
        if (!Number.isInteger(args.rooms) || args.rooms < 1) throw new UsageError("--rooms wants a positive integer");
        break;
      }
      case "--occupancy": {
        args.occupancy = Number(value());
        if (!(args.occupancy >= 0 && args.occupancy <= 1)) throw new UsageError("--occupancy wants a number in 0..1");
        break;
      }
      case "--seed": {
        args.seed = Number(value());
        if (!Number.isInteger(args.seed)) throw new UsageError("--seed wants an integer");
        break;
      }
      case "--charset": {
        const v = value();
        if (!charsets.includes(v as Charset)) throw new UsageError(`--charset must be one of ${charsets.join(", ")}`);
        args.charset = v as Charset;
        break;
      }
      case "--variant": {
        const v = value();
        if (!isPmsVariant(v)) throw new UsageError(`--variant must be one of ${pmsVariants.join(", ")}, got "${v}"`);
        args.variant = v;
        break;
      }
      case "--reject-postings": {
        args.rejectPostings = value()
          .split(",")
          .map((r) => r.trim())
          .filter(Boolean);
        if (!args.rejectPostings.length) throw new UsageError("--reject-postings wants room numbers, e.g. 101,102");
        break;
      }
      case "--silent-postings":
        args.silentPostings = true;
        break;
      default:
        throw new UsageError(`unknown argument "${flag}"`);
    }
  }
  if ([args.listen, args.connect, args.serial].filter((x) => x !== undefined).length !== 1) {
    throw new UsageError("give exactly one of --listen PORT, --connect HOST:PORT or --serial DEVICE");
  }
  if (args.serial !== undefined && VARIANTS[args.variant].framing !== "stx-etx") {
    throw new UsageError(`--variant ${args.variant} frames by lines: FIAS over serial needs STX…ETX and its LRC`);
  }
  return args;
}

function printFrame(io: CliIo, f: SimFrame): void {
  const arrow = f.dir === "out" ? ">" : "<";
  io.stdout.write(f.error ? `${arrow} !${f.error} ${f.text}\n` : `${arrow} ${f.text}\n`);
}

/** In --connect mode the simulator plays the IFC that keeps reopening the port until stopped. */
function keepConnected(sim: PmsSimulator, io: CliIo, host: string, port: number): () => void {
  let stopped = false;
  let timer: TimerHandle | undefined;
  const attempt = () => {
    if (stopped) return;
    sim.connect(host, port).catch((err) => {
      io.stdout.write(`# connect to ${host}:${port} failed: ${errorMessage(err)}\n`);
      retry();
    });
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

/** In --serial mode the simulator keeps (re)opening the device until stopped, as a PMS's port does. */
function keepSerialOpen(sim: PmsSimulator, io: CliIo, settings: SerialLineSettings): () => void {
  let stopped = false;
  let timer: TimerHandle | undefined;
  let failing = false;
  const attempt = () => {
    if (stopped) return;
    sim.openSerial(settings).then(
      () => {
        failing = false;
      },
      (err) => {
        if (!failing) io.stdout.write(`# cannot open ${settings.device}: ${errorMessage(err)} (retrying every 2 s)\n`);
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

export async function simPmsCommand(argv: string[], io: CliIo): Promise<number> {
  // `--protocol mitel` is the Mitel PMS simulator (src/sim/mitel); `--protocol fias` is this one.
  const protocol = argv.indexOf("--protocol");
  if (protocol >= 0 && argv[protocol + 1] === "mitel")
    return (await import("../mitel/cli.ts")).simMitelCommand(argv, io);
  if (protocol >= 0 && argv[protocol + 1] === "fias") argv = [...argv.slice(0, protocol), ...argv.slice(protocol + 2)];
  // A script that cannot be read or parsed is a usage error too: nothing has started yet.
  const parsed = commandArgs(argv, io, "sim pms", SIM_PMS_USAGE, (a) => {
    const args = parseArgs(a);
    let scriptText: string | undefined;
    if (args.script !== undefined) {
      try {
        scriptText = readFileSync(args.script, "utf8");
      } catch (err) {
        throw new UsageError(`cannot read script ${args.script}: ${errorMessage(err)}`);
      }
      const { errors } = parseScript(scriptText);
      if (errors.length) throw new UsageError(`script ${args.script}:\n  ${errors.join("\n  ")}`);
    }
    return { args, scriptText };
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

  let stopConnecting = () => {};
  try {
    if (args.listen !== undefined) {
      const port = await sim.listen(args.listen, args.host);
      io.stdout.write(`# listening on ${args.host}:${port}\n`);
    } else if (args.connect) {
      stopConnecting = keepConnected(sim, io, args.connect.host, args.connect.port);
    } else if (args.serial) {
      const { baud, dataBits, parity, stopBits } = args.line;
      io.stdout.write(`# serial ${args.serial} ${baud} ${dataBits}${parity[0].toUpperCase()}${stopBits}\n`);
      stopConnecting = keepSerialOpen(sim, io, { device: args.serial, ...args.line });
    }
  } catch (err) {
    io.stderr.write(`bellhop sim pms: ${errorMessage(err)}\n`);
    await sim.close();
    return 1;
  }

  try {
    if (scriptText === undefined) {
      await untilStopped(io);
      io.stdout.write(`# ${sim.connections} connections, ${sim.links} links, ${sim.drops} drops\n`);
      return 0;
    }
    const result = await runScript(sim, scriptText, {
      onStep: (r) => {
        const detail = r.detail ? ` → ${r.detail}` : "";
        io.stdout.write(`${r.ok ? "ok  " : "FAIL"} line ${r.line}: ${r.text}${detail} (${r.ms} ms)\n`);
      },
    });
    // Serial: the last frames still wait for their ACK; let them go out before the line closes.
    await sim.settled();
    io.stdout.write(
      result.ok ? `# script passed (${result.steps} steps)\n` : `# script failed: ${result.failures[0]}\n`,
    );
    return result.ok ? 0 : 1;
  } finally {
    stopConnecting();
    await sim.close();
  }
}
