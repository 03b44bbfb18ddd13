/**
 * @module sim/ucm/cli
 * `bellhop sim ucm`: the Grandstream UCM mock for installers and tests. Prints the URL, for HTTPS the
 * certificate fingerprint to pin (certificateSha256), then one line per request (secrets masked)
 * until SIGINT/SIGTERM.
 */
import { errorMessage } from "../../lib/errors.ts";
import { maskSecrets } from "../../lib/logger.ts";
import { checked, number, parseFlags, port, set, text } from "../cli-args.ts";
import { type CliIo, commandArgs, UsageError, untilStopped } from "../cli-io.ts";
import { type UcmSimRequest, UcmSimulator } from "./simulator.ts";

export type { CliIo };

export const SIM_UCM_USAGE = `usage: bellhop sim ucm --listen PORT [options]

Plays a Grandstream UCM's HTTPS API (v1.0: challenge, login, cookie, pmsapi).
  --listen PORT         port to listen on (0 = any free port)
  --host ADDR           address to listen on (default 127.0.0.1)
  --http                plain HTTP instead of HTTPS with a generated self-signed certificate
  --cookie-seconds N    session lifetime; older cookies get status -6 (default 600)
  --api-user U          HTTPS API user (default bellhop)
  --api-password P      its password (default api-secret)
  --pms-user U          PMS user (default pms)
  --pms-password P      its password (default pms-secret)
  --path P              API path (default /api)
`;

interface Args {
  listen?: number;
  host: string;
  http: boolean;
  cookieSeconds: number;
  apiUser?: string;
  apiPassword?: string;
  pmsUser?: string;
  pmsPassword?: string;
  path: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { host: "127.0.0.1", http: false, cookieSeconds: 600, path: "/api" };
  parseFlags(argv, args, {
    "--listen": ["listen", port],
    "--host": ["host", text],
    "--http": ["http", set(true)],
    "--cookie-seconds": ["cookieSeconds", checked(number, (n) => n > 0, "--cookie-seconds wants a positive number")],
    "--api-user": ["apiUser", text],
    "--api-password": ["apiPassword", text],
    "--pms-user": ["pmsUser", text],
    "--pms-password": ["pmsPassword", text],
    "--path": ["path", checked(text, (v) => v.startsWith("/"), "--path must start with /")],
  });
  if (args.listen === undefined) throw new UsageError("--listen PORT is required");
  return args;
}

export function formatRequest(r: UcmSimRequest): string {
  return `< ${r.action} ${JSON.stringify(maskSecrets(r.body))}\n> ${r.status} ${JSON.stringify(maskSecrets(r.response))}\n`;
}

export async function simUcmCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = commandArgs(argv, io, "sim ucm", SIM_UCM_USAGE, parseArgs);
  if ("exit" in parsed) return parsed.exit;
  const args = parsed.args;
  let sim: UcmSimulator;
  try {
    sim = new UcmSimulator({
      http: args.http,
      cookieSeconds: args.cookieSeconds,
      apiUser: args.apiUser,
      apiPassword: args.apiPassword,
      pmsUser: args.pmsUser,
      pmsPassword: args.pmsPassword,
      path: args.path,
    });
  } catch (err) {
    io.stderr.write(`bellhop sim ucm: cannot create the certificate (is openssl installed?): ${errorMessage(err)}\n`);
    return 1;
  }
  sim.onRequest = (r) => io.stdout.write(formatRequest(r));
  try {
    const port = await sim.listen(args.listen, args.host);
    const host = args.host.includes(":") ? `[${args.host}]` : args.host;
    io.stdout.write(`# listening on ${args.http ? "http" : "https"}://${host}:${port}${args.path}\n`);
    if (sim.fingerprint) io.stdout.write(`# certificateSha256 ${sim.fingerprint}\n`);
  } catch (err) {
    io.stderr.write(`bellhop sim ucm: ${errorMessage(err)}\n`);
    await sim.close();
    return 1;
  }
  try {
    await untilStopped(io);
    return 0;
  } finally {
    await sim.close();
  }
}
