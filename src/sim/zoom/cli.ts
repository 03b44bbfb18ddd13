/**
 * @module sim/zoom/cli
 * `bellhop sim zoom`: the Zoom mock for installers and tests; prints every request until
 * SIGINT/SIGTERM (or io.signal).
 */
import { errorMessage } from "../../lib/errors.ts";
import { int, parseFlags, port, text } from "../cli-args.ts";
import { type CliIo, commandArgs, UsageError, untilStopped } from "../cli-io.ts";
import { ALL_SCOPES, DEFAULT_CLIENT, type SimRequest, ZoomSimulator } from "./simulator.ts";

export type { CliIo };

export const SIM_ZOOM_USAGE = `usage: bellhop sim zoom --listen PORT [options]

Plays Zoom (S2S OAuth token, Users and Phone APIs) for a Zoom PBX link; point the link's url at it.
  --listen PORT            port to listen on (0 = any)
  --host ADDR              address to listen on (default 127.0.0.1)
  --users N                phone users with extensions from --first-extension (default 10)
  --first-extension N      first user extension (default 101)
  --common-areas N         common areas, extensions from 201 (default 0)
  --voicemails N           voicemails seeded per user (default 0)
  --rate N                 medium requests a second (default 10; light 2N, heavy N/2)
  --daily-limit N          requests a UTC day before 429 Daily-limit (default none)
  --token-ttl SECONDS      access token lifetime (default 3599)
  --scopes a,b,...         scopes granted (default all the driver knows)
  --client-id X            client id (default ${DEFAULT_CLIENT.clientId})
  --client-secret Y        client secret (default ${DEFAULT_CLIENT.clientSecret})
  --account-id Z           account id (default ${DEFAULT_CLIENT.accountId})
`;

interface Args {
  listen?: number;
  host: string;
  users: number;
  firstExtension: number;
  commonAreas: number;
  voicemails: number;
  rate: number;
  dailyLimit?: number;
  tokenTtl: number;
  scopes: string[];
  clientId: string;
  clientSecret: string;
  accountId: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    host: "127.0.0.1",
    users: 10,
    firstExtension: 101,
    commonAreas: 0,
    voicemails: 0,
    rate: 10,
    tokenTtl: 3599,
    scopes: [...ALL_SCOPES],
    clientId: DEFAULT_CLIENT.clientId,
    clientSecret: DEFAULT_CLIENT.clientSecret,
    accountId: DEFAULT_CLIENT.accountId,
  };
  parseFlags(argv, a, {
    "--listen": ["listen", port],
    "--host": ["host", text],
    "--users": ["users", int(0)],
    "--first-extension": ["firstExtension", int(1)],
    "--common-areas": ["commonAreas", int(0)],
    "--voicemails": ["voicemails", int(0)],
    "--rate": ["rate", int(1)],
    "--daily-limit": ["dailyLimit", int(0)],
    "--token-ttl": ["tokenTtl", int(1)],
    "--scopes": [
      "scopes",
      (v) =>
        v
          .next()
          .split(/[,\s]+/)
          .filter(Boolean),
    ],
    "--client-id": ["clientId", text],
    "--client-secret": ["clientSecret", text],
    "--account-id": ["accountId", text],
  });
  if (a.listen === undefined) throw new UsageError("--listen PORT is required");
  return a;
}

export function formatRequest(r: SimRequest): string {
  const body = r.body === undefined || r.body === "" ? "" : ` ${JSON.stringify(r.body)}`;
  return `${new Date(r.at).toISOString()} ${r.method} ${r.path} → ${r.status}${body}\n`;
}

export async function simZoomCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = commandArgs(argv, io, "sim zoom", SIM_ZOOM_USAGE, parseArgs);
  if ("exit" in parsed) return parsed.exit;
  const args = parsed.args;
  const sim = new ZoomSimulator({
    users: args.users,
    firstExtension: args.firstExtension,
    commonAreas: args.commonAreas,
    voicemailsPerUser: args.voicemails,
    rate: { light: args.rate * 2, medium: args.rate, heavy: Math.max(1, Math.floor(args.rate / 2)) },
    dailyLimit: args.dailyLimit,
    tokenTtlSeconds: args.tokenTtl,
    clients: [
      { clientId: args.clientId, clientSecret: args.clientSecret, accountId: args.accountId, scopes: args.scopes },
    ],
  });
  // Print each request as it is logged (the body of a token request holds no secret: Basic auth does).
  const push = sim.requests.push.bind(sim.requests);
  sim.requests.push = (...items: SimRequest[]) => {
    for (const r of items) io.stdout.write(formatRequest(r));
    return push(...items);
  };
  try {
    const port = await sim.listen(args.listen, args.host);
    io.stdout.write(`# listening on ${args.host}:${port}\n`);
    io.stdout.write(
      `# ${args.users} users from extension ${args.firstExtension}, ${args.commonAreas} common areas; account ${args.accountId}, client ${args.clientId}\n`,
    );
  } catch (err) {
    io.stderr.write(`bellhop sim zoom: ${errorMessage(err)}\n`);
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
