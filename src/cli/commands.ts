/**
 * @module cli/commands
 * `bellhop serve | migrate | doctor | token create | sim pms|zoom|ucm|voispeed|snom | version`. The contract
 * (names and flags) is relied on by installer tooling; keep it stable.
 */
import { type ServeFn, startAppliance } from "../app/appliance.ts";
import { ConfigError, loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { errorMessage } from "../lib/errors.ts";
import { createLogger } from "../lib/logger.ts";
import { type ServiceNotifier, superviseWithSystemd } from "../lib/watchdog.ts";
import { DataDirError, EX_CONFIG } from "../store/data-dir.ts";
import { openStore } from "../store/db.ts";
import { roles } from "../store/schema/index.ts";
import { createToken, type Role } from "../store/tokens.ts";
import { flag, parseArgs } from "./args.ts";

export interface CliEnv {
  version: string;
  migrationsFolder: string;
  serve: ServeFn;
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  stopSignal: Promise<string>;
  /** systemd's notification socket (Type=notify, WatchdogSec=); absent when not run by systemd. */
  systemd?: ServiceNotifier;
  /** Gives a burst's memory back to the system (runtime/memory-trim.ts); absent = nothing. */
  trimMemory?: () => void;
  /** Called once the appliance has started (runtime/jit-policy.ts); absent = nothing. */
  afterStartup?: () => void;
  /** The built-in prompts' folder, expanded first when the binary carries them packed (runtime/paths.ts). */
  promptsFolder?: () => Promise<string>;
}

export const USAGE = `bellhop — hotel voice appliance

  bellhop serve [--config FILE] [--data DIR]     run the appliance
  bellhop migrate [--config FILE] [--data DIR]   create or upgrade the database, then exit
  bellhop token create --data DIR --role admin|frontdesk|housekeeping|installer --name NAME
                                                 create an API token (printed once, as the last line)
  bellhop sim pms --listen PORT | --connect HOST:PORT [--script FILE] [--rooms N]
                                                 run the PMS simulator (see bellhop sim pms --help)
  bellhop sim zoom --listen PORT [--users N] [--rate N] [--scopes a,b,…]
                                                 run the Zoom API simulator (see bellhop sim zoom --help)
  bellhop sim ucm --listen PORT [--http] [--cookie-seconds N]
                                                 run the Grandstream UCM API simulator (see bellhop sim ucm --help)
  bellhop sim voispeed --listen PORT [--users N] [--notify URL] [--ivr URL]
                                                 run the VOIspeed PBX simulator (see bellhop sim voispeed --help)
  bellhop sim snom --listen PORT [--user U --password P] [--phones N]
                                                 run SNOM desk phone simulators (see bellhop sim snom --help)
  bellhop doctor [--config FILE] [--data DIR]    check the installation: one line per check, exit 1 on a FAIL
  bellhop backup --data DIR --out FILE            archive the database, custom prompts and voicemail audio
  bellhop restore --data DIR --from FILE          put a backup back (the appliance must be stopped)
  bellhop release sign --key KEY.pem FILE        sign a release binary (writes FILE.sig)
  bellhop update verify|apply FILE SIG [--keys DIR]
                                                 check a signed release, or install it (see bellhop update)
  bellhop unpack                                 expand the built-in prompts and the database addon under TMPDIR
                                                 (a version's first start does it in a child process of its own)
  bellhop version
`;

function configAndData(args: ReturnType<typeof parseArgs>): { config: Config; dataDir: string } {
  const config = loadConfig(flag(args, "config"));
  return { config, dataDir: flag(args, "data") ?? config.dataDir };
}

export async function runCli(argv: string[], env: CliEnv): Promise<number> {
  const args = parseArgs(argv);
  const [cmd, sub] = args.positional;
  try {
    switch (cmd) {
      case "serve":
        return await serveCommand(args, env);
      case "migrate": {
        const { dataDir } = configAndData(args);
        const store = await openStore({ dataDir, migrationsFolder: env.migrationsFolder });
        store.close();
        env.stdout.write(`database ready: ${store.file}\n`);
        return 0;
      }
      case "token":
        if (sub !== "create") break;
        return await tokenCommand(args, env);
      case "sim":
        if (sub === "pms") return await (await import("../sim/pms/cli.ts")).simPmsCommand(argv.slice(2), env);
        if (sub === "zoom") return await (await import("../sim/zoom/cli.ts")).simZoomCommand(argv.slice(2), env);
        if (sub === "ucm") return await (await import("../sim/ucm/cli.ts")).simUcmCommand(argv.slice(2), env);
        if (sub === "voispeed") {
          return await (await import("../sim/voispeed/cli.ts")).simVoispeedCommand(argv.slice(2), env);
        }
        if (sub === "snom") return await (await import("../sim/snom/cli.ts")).simSnomCommand(argv.slice(2), env);
        break;
      case "doctor":
        return await (await import("./doctor.ts")).doctorCommand(args, env);
      case "backup":
        return await (await import("./backup.ts")).backupCommand(args, env);
      case "restore":
        return await (await import("./restore.ts")).restoreCommand(args, env);
      case "release":
        return await (await import("./release.ts")).releaseCommand(args, env);
      case "update":
        return await (await import("./update.ts")).updateCommand(args, env);
      case "unpack":
        env.stdout.write(`${(await env.promptsFolder?.()) ?? "nothing to unpack"}\n`);
        return 0;
      case "version":
        env.stdout.write(`${env.version}\n`);
        return 0;
      case undefined:
      case "help":
        env.stdout.write(USAGE);
        return 0;
    }
    env.stderr.write(`unknown command: ${argv.join(" ")}\n\n${USAGE}`);
    return 2;
  } catch (err) {
    if (err instanceof ConfigError) {
      env.stderr.write(`${err.message}\n`);
      return EX_CONFIG; // systemd does not restart-loop on it (RestartPreventExitStatus)
    }
    if (err instanceof DataDirError) {
      // 78 for a wrong path, 73 for a folder the machine will not let us write (see store/data-dir).
      env.stderr.write(`bellhop: ${err.message}\n`);
      return err.exitCode;
    }
    env.stderr.write(`bellhop: ${errorMessage(err)}\n`);
    return 1;
  }
}

async function tokenCommand(args: ReturnType<typeof parseArgs>, env: CliEnv): Promise<number> {
  const role = flag(args, "role");
  const name = flag(args, "name");
  if (!role || !(roles as readonly string[]).includes(role) || !name) {
    env.stderr.write(`token create needs --role (${roles.join("|")}) and --name\n`);
    return 2;
  }
  const { dataDir } = configAndData(args);
  const store = await openStore({ dataDir, migrationsFolder: env.migrationsFolder });
  try {
    const token = await store.tx((tx) => createToken(tx, name, role as Role, Date.now()));
    env.stdout.write(`token for ${name} (${role}); shown once, keep it safe:\n${token}\n`);
    return 0;
  } finally {
    store.close();
  }
}

async function serveCommand(args: ReturnType<typeof parseArgs>, env: CliEnv): Promise<number> {
  const { config, dataDir } = configAndData(args);
  const logger = createLogger({ level: config.log.level });
  const app = await startAppliance({
    config,
    dataDir,
    migrationsFolder: env.migrationsFolder,
    logger,
    version: env.version,
    serve: env.serve,
    ...(env.trimMemory ? { trimMemory: env.trimMemory } : {}),
    ...(env.afterStartup ? { afterStartup: env.afterStartup } : {}),
  });
  // The store is open and the API listens: READY=1, then the watchdog, fed while the loop is healthy.
  const supervision = env.systemd
    ? superviseWithSystemd({ notifier: env.systemd, lag: app.loopLag, logger })
    : undefined;
  const signal = await env.stopSignal;
  logger.info("stop requested", { signal });
  supervision?.stopping();
  await app.stop();
  supervision?.stop();
  return 0;
}
