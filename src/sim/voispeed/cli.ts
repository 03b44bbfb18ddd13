/**
 * @module sim/voispeed/cli
 * `bellhop sim voispeed`: the VOIspeed PBX mock for installers and tests. Prints where it listens and
 * how to script a call, then one line per request, per event sent and per IVR script call (secrets
 * masked: the module token, and any `key`/`token` in the URLs it calls) until SIGINT/SIGTERM.
 */
import { errorMessage } from "../../lib/errors.ts";
import { maskSecrets } from "../../lib/logger.ts";
import { checked, int, oneOf, parseFlags, port, type Read, text, url } from "../cli-args.ts";
import { type CliIo, commandArgs, UsageError, untilStopped } from "../cli-io.ts";
import type { IvrStep } from "./ivr.ts";
import type { SimEvent } from "./notify.ts";
import { type VoispeedSimRequest, VoispeedSimulator } from "./simulator.ts";
import { HOTEL_IVR_ID, USER_ID_BASE } from "./state.ts";

export type { CliIo };

export const SIM_VOISPEED_USAGE = `usage: bellhop sim voispeed --listen PORT [options]

Plays a VOIspeed PBX's integration module (SERI endpoint, user and extended services and events,
phonebook sync, call reports, IVR script nodes); point a voispeed link's url at it.
  --listen PORT            port to listen on (0 = any free port)
  --host ADDR              address to listen on (default 127.0.0.1)
  --users N                users with extensions from --first-extension (default 10)
  --first-extension N      first extension (default 101)
  --token T                the module token (default sim-token)
  --path P                 endpoint path (default /PBX/seri_endpoint.php)
  --notify URL             notification URL: events are GET there with their query appended
  --ivr URL                script URL of IVR 9 "Hotel services" (number 500), root node 0;
                           its children: key 1 = Error (node 1), key 2 = OK (node 2)
  --delay MS               delay before an accepted command runs (default 50)
  --ssn-event-type N       event_type of the extended events (default 3; unknown in the seed)
  --entity-outcome M       seed: entity types 8 and 11 without <outcome>, as the seed (default); always
  --time-zone TZ           zone of the PBX's times (default Europe/Rome)
Script calls while it runs (GET, same port, with token=): /sim/call?from=101&to=0612345678,
/sim/ivr-call?from=101&ivr=500 then /sim/ivr?callid=N&input=12, /sim/fail?match=set_user_mode,
/sim/voicemail?ext=101, /sim/state (see src/sim/voispeed/control.ts).
`;

interface Args {
  listen?: number;
  host: string;
  users: number;
  firstExtension: number;
  token: string;
  path: string;
  notify: string | null;
  ivr: string | null;
  delay: number;
  ssnEventType: string;
  entityOutcome: "seed" | "always";
  timeZone: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    host: "127.0.0.1",
    users: 10,
    firstExtension: 101,
    token: "sim-token",
    path: "/PBX/seri_endpoint.php",
    notify: null,
    ivr: null,
    delay: 50,
    ssnEventType: "3",
    entityOutcome: "seed",
    timeZone: "Europe/Rome",
  };
  const path = (p: string) => p.startsWith("/") && !p.startsWith("/sim/");
  parseFlags(argv, a, {
    "--listen": ["listen", port],
    "--host": ["host", text],
    "--users": ["users", int(0, 10000)],
    "--first-extension": ["firstExtension", int(1)],
    "--token": ["token", text],
    "--path": ["path", checked(text, path, "--path must start with / (not /sim/)")],
    "--notify": ["notify", url],
    "--ivr": ["ivr", url],
    "--delay": ["delay", int(0)],
    "--ssn-event-type": ["ssnEventType", (v) => String(int(0)(v))],
    "--entity-outcome": ["entityOutcome", oneOf("seed", "always")],
    "--time-zone": ["timeZone", timeZone],
  });
  if (a.listen === undefined) throw new UsageError("--listen PORT is required");
  return a;
}

/** A zone the runtime knows. */
const timeZone: Read<string> = (v) => {
  const zone = v.next();
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
  } catch {
    throw new UsageError(`${v.flag}: unknown zone "${zone}"`);
  }
  return zone;
};

/** Keys whose values are never printed: the logger's secrets, and the appliance's callback `key`. */
function maskAll(params: Record<string, string>): Record<string, string> {
  const out = maskSecrets(params) as Record<string, string>;
  if (out.key) out.key = "***";
  return out;
}

/** key=value pairs with secret values masked. */
export function maskedPairs(params: Record<string, string>): string {
  return Object.entries(maskAll(params))
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}

/** A URL with secret query values masked (the notification URL carries the appliance's key). */
export function maskUrl(url: string): string {
  if (!URL.canParse(url)) return url;
  const u = new URL(url);
  for (const [k, v] of Object.entries(maskAll(Object.fromEntries(u.searchParams)))) u.searchParams.set(k, v);
  return u.toString().replaceAll("%2A%2A%2A", "***");
}

export function formatRequest(r: VoispeedSimRequest): string {
  const time = new Date(r.at).toISOString();
  const answer =
    r.status === 0
      ? `no answer (${r.fault})`
      : r.outcome === null
        ? `${r.status}${r.fault ? ` (${r.fault})` : ""}`
        : `${r.status} outcome ${r.outcome}${r.requestId ? ` request_id ${r.requestId}` : ""}${r.error ? ` "${r.error}"` : ""}`;
  const contacts = r.contacts !== undefined ? ` contacts=[${r.contacts}]` : "";
  return `${time} < ${r.method} ${r.path} ${maskedPairs(r.params)}${contacts} → ${answer}\n`;
}

export function formatEvent(e: SimEvent): string {
  const { event_type: _t, event: _e, event_name: _n, ...rest } = e.params;
  const copy = e.copy === 2 ? " (duplicate)" : "";
  const result = e.status !== null && !e.error ? String(e.status) : `failed: ${e.error}`;
  return `${new Date(e.at).toISOString()} > ${e.family} ${e.code} ${e.name}${copy} ${maskedPairs(rest)} → ${result}\n`;
}

export function formatIvrStep(s: IvrStep): string {
  const params = maskedPairs(s.params);
  const reply = s.command === null ? "" : ` command=${s.command}${params ? ` ${params}` : ""}`;
  const why = s.error ? ` (${s.error})` : "";
  const time = new Date().toISOString();
  return `${time} > ivr script ${maskedPairs(s.query)} → ${s.status ?? "no answer"}${reply} [${s.result}]${why}\n`;
}

export async function simVoispeedCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = commandArgs(argv, io, "sim voispeed", SIM_VOISPEED_USAGE, parseArgs);
  if ("exit" in parsed) return parsed.exit;
  const args = parsed.args;
  const sim = new VoispeedSimulator({
    users: args.users,
    firstExtension: args.firstExtension,
    token: args.token,
    path: args.path,
    notifyUrl: args.notify,
    ivrUrl: args.ivr,
    asyncDelayMs: args.delay,
    ssnEventType: args.ssnEventType,
    entityOutcome: args.entityOutcome,
    timeZone: args.timeZone,
  });
  sim.onRequest = (r) => io.stdout.write(formatRequest(r));
  sim.notifier.onEvent = (e) => io.stdout.write(formatEvent(e));
  sim.ivr.onStep = (s) => io.stdout.write(formatIvrStep(s));
  try {
    const port = await sim.listen(args.listen, args.host);
    const host = args.host.includes(":") ? `[${args.host}]` : args.host;
    const base = `http://${host}:${port}`;
    const last = args.firstExtension + args.users - 1;
    io.stdout.write(`# listening on ${base}${args.path}\n`);
    io.stdout.write(
      `# ${args.users} users, extensions ${args.firstExtension}–${last} (user ids from ${USER_ID_BASE + 1}); IVR ${HOTEL_IVR_ID} on 500, wake-up IVR 10 on 501, reception group on 9\n`,
    );
    io.stdout.write(`# events to ${args.notify ? maskUrl(args.notify) : "nowhere (no --notify)"}\n`);
    io.stdout.write(`# IVR script ${args.ivr ? maskUrl(args.ivr) : "not set (no --ivr)"}\n`);
    io.stdout.write(`# script a call: curl '${base}/sim/call?token=TOKEN&from=${args.firstExtension}&to=0612345678'\n`);
  } catch (err) {
    io.stderr.write(`bellhop sim voispeed: ${errorMessage(err)}\n`);
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
