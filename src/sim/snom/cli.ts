/**
 * @module sim/snom/cli
 * `bellhop sim snom`: SNOM desk phones for installers and tests. Prints each phone's address and how
 * to ring it, then one line per request, per action URL fired and per minibrowser fetch (passwords
 * and secret-looking query values masked) until SIGINT/SIGTERM.
 */
import { errorMessage } from "../../lib/errors.ts";
import { int, oneOf, parseFlags, port, set, text } from "../cli-args.ts";
import { type CliIo, commandArgs, UsageError, untilStopped } from "../cli-io.ts";
import type { BrowserFetch } from "./minibrowser.ts";
import type { AuthScheme, FiredAction, SnomRequest } from "./model.ts";
import type { SnomPhone } from "./phone.ts";
import { type Layout, SnomSimulator } from "./simulator.ts";
import { isPrivateSetting } from "./variables.ts";

export type { CliIo };

export const SIM_SNOM_USAGE = `usage: bellhop sim snom --listen PORT [options]

Plays SNOM desk phones' HTTP interface (command.htm keys and dialling, settings through dummy.htm /
settings.htm, the XML minibrowser, reboot) with calls that fire the phone's action URLs.
  --listen PORT          port to listen on (0 = any free port)
  --phones N             how many phones (default 1)
  --host ADDR            address of phone 1 (default 127.0.0.1; 127.0.0.2 with --phones > 1)
  --layout L             addresses: phone n on the n-th address from --host, all on PORT (default;
                         Linux answers on all of 127.0.0.0/8); ports: all on --host, ports PORT, PORT+1, …
  --user U               HTTP user (default none: no authentication)
  --password P           its password (required with --user)
  --auth basic|digest    authentication scheme (default basic)
  --first-extension N    phone 1's extension (user_name1), the others follow (default 101)
  --domain D             registrar host (user_host1; default pbx.hotel.test)
  --lines N              call appearances per phone (default 4)
  --set NAME=VALUE       a setting every phone starts with, e.g. action_incoming_url=http://…; repeatable
  --remote-answer MS     the far end answers outgoing calls after MS (default: only by /sim/remote-answer)
  --reboot-ms MS         how long a reboot keeps the phone down (default 200)
  --timeout MS           action URL and minibrowser fetch time-out (default 5000)
  --plain-variables      $remote and $local as bare numbers instead of SIP URIs
  --volatile-settings    a reboot forgets settings saved without store_settings=save
  --no-announce          do not fire action_setup_url / action_log_on_url at start
Script while it runs (GET on each phone's own address, no authentication): /sim/incoming?from=N,
/sim/answer, /sim/hangup, /sim/remote-answer, /sim/fault?kind=hang|500|401|slow|drop, /sim/down?ms=N,
/sim/reboot, /sim/state (see src/sim/snom/control.ts).
`;

interface Args {
  listen?: number;
  phones: number;
  host?: string;
  layout: Layout;
  user: string | null;
  password?: string;
  auth: AuthScheme;
  firstExtension: number;
  domain?: string;
  lines: number;
  settings: Record<string, string>;
  remoteAnswerMs: number | null;
  rebootMs: number;
  timeoutMs: number;
  plainVariables: boolean;
  volatileSettings: boolean;
  announce: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    phones: 1,
    layout: "addresses",
    user: null,
    auth: "basic",
    firstExtension: 101,
    lines: 4,
    settings: {},
    remoteAnswerMs: null,
    rebootMs: 200,
    timeoutMs: 5000,
    plainVariables: false,
    volatileSettings: false,
    announce: true,
  };
  parseFlags(argv, a, {
    "--listen": ["listen", port],
    "--phones": ["phones", int(1, 250)],
    "--host": ["host", text],
    "--layout": ["layout", oneOf("addresses", "ports")],
    "--user": ["user", text],
    "--password": ["password", text],
    "--auth": ["auth", oneOf("basic", "digest")],
    "--first-extension": ["firstExtension", int(0)],
    "--domain": ["domain", text],
    "--lines": ["lines", int(1, 24)],
    "--set": (v) => {
      const s = v.next();
      const eq = s.indexOf("=");
      if (eq <= 0) throw new UsageError("--set wants NAME=VALUE");
      a.settings[s.slice(0, eq)] = s.slice(eq + 1);
    },
    "--remote-answer": ["remoteAnswerMs", int(0)],
    "--reboot-ms": ["rebootMs", int(0)],
    "--timeout": ["timeoutMs", int(1)],
    "--plain-variables": ["plainVariables", set(true)],
    "--volatile-settings": ["volatileSettings", set(true)],
    "--no-announce": ["announce", set(false)],
  });
  if (a.listen === undefined) throw new UsageError("--listen PORT is required");
  if (a.user !== null && a.password === undefined) throw new UsageError("--user needs --password");
  if (a.user === null && (a.password !== undefined || a.auth === "digest")) {
    throw new UsageError("--password and --auth need --user");
  }
  if (a.layout === "ports" && a.listen !== 0 && a.listen + a.phones - 1 > 65535) {
    throw new UsageError("--listen: not enough ports above it for --phones");
  }
  return a;
}

/** Query values of private settings shown as ***; URL values (action URLs being saved) through maskUrl. */
export function maskQuery(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => {
      if (v && isPrivateSetting(k)) return `${k}=***`;
      return `${k}=${/^https?:\/\//i.test(v) ? maskUrl(v) : v}`;
    })
    .join("&");
}

/**
 * A URL with secret query values (`key`, passwords) and the userinfo password masked; the rest is
 * printed as written (action URL templates keep their `$variables`).
 */
export function maskUrl(url: string): string {
  const masked = url.replace(/^([a-z]+:\/\/[^/@:]*:)[^/@]*@/i, "$1***@");
  const q = masked.indexOf("?");
  if (q < 0) return masked;
  const [query, fragment] = masked.slice(q + 1).split("#", 2);
  const parts = query.split("&").map((part) => {
    const eq = part.indexOf("=");
    const name = eq < 0 ? part : part.slice(0, eq);
    const secret = name === "key" || isPrivateSetting(name);
    return secret && eq >= 0 && eq < part.length - 1 ? `${name}=***` : part;
  });
  return `${masked.slice(0, q + 1)}${parts.join("&")}${fragment === undefined ? "" : `#${fragment}`}`;
}

const time = (ms: number) => new Date(ms).toISOString();

export function formatRequest(r: SnomRequest): string {
  const q = r.query ? `?${maskQuery(r.params)}` : "";
  const answer = r.status === 0 ? `no answer (${r.fault})` : `${r.status}${r.fault ? ` (${r.fault})` : ""}`;
  const auth = r.auth === "none" || r.auth === "ok" ? "" : ` [auth ${r.auth}]`;
  const did = r.effects.length ? `: ${r.effects.join("; ")}` : "";
  return `${time(r.at)} phone ${r.phone} ${r.ip} < ${r.method} ${r.path}${q}${auth} → ${answer}${did}\n`;
}

export function formatAction(phone: SnomPhone, a: FiredAction): string {
  const result = a.status !== null && !a.error ? String(a.status) : `failed: ${a.error}`;
  const unknown = a.unknownVariables.length ? ` (unknown: $${a.unknownVariables.join(" $")})` : "";
  return `${time(a.at)} phone ${phone.index} ${phone.ip} > ${a.event} ${maskUrl(a.url)}${unknown} → ${result}\n`;
}

export function formatFetch(phone: SnomPhone, f: BrowserFetch): string {
  const result = f.error ? `failed: ${f.error}` : `${f.status ?? "-"} ${f.object ?? ""}`.trim();
  const warn = f.warnings.length ? ` (${f.warnings.join("; ")})` : "";
  return `${time(f.at)} phone ${phone.index} ${phone.ip} > minibrowser ${f.reason} ${maskUrl(f.url)} → ${result}${warn}\n`;
}

export async function simSnomCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = commandArgs(argv, io, "sim snom", SIM_SNOM_USAGE, parseArgs);
  if ("exit" in parsed) return parsed.exit;
  const args = parsed.args;
  const host = args.host ?? (args.phones > 1 && args.layout === "addresses" ? "127.0.0.2" : "127.0.0.1");
  const sim = new SnomSimulator({
    phones: args.phones,
    layout: args.layout,
    user: args.user,
    password: args.password,
    auth: args.auth,
    firstExtension: args.firstExtension,
    domain: args.domain,
    lines: args.lines,
    settings: args.settings,
    remoteAnswerMs: args.remoteAnswerMs,
    rebootMs: args.rebootMs,
    actionTimeoutMs: args.timeoutMs,
    fetchTimeoutMs: args.timeoutMs,
    uriVariables: !args.plainVariables,
    volatileUnstored: args.volatileSettings,
    announce: args.announce,
  });
  sim.onRequest = (r) => io.stdout.write(formatRequest(r));
  for (const p of sim.phones) {
    p.actions.onFired = (a) => io.stdout.write(formatAction(p, a));
    p.browser.onFetch = (f) => io.stdout.write(formatFetch(p, f));
  }
  try {
    await sim.listen(args.listen, host);
  } catch (err) {
    const hint =
      args.layout === "addresses" && args.phones > 1 ? " (is every address on the loopback? else --layout ports)" : "";
    io.stderr.write(`bellhop sim snom: ${errorMessage(err)}${hint}\n`);
    await sim.close();
    return 1;
  }
  const auth = args.user ? `${args.auth} auth as ${args.user}` : "no authentication";
  for (const p of sim.phones) {
    io.stdout.write(`# phone ${p.index} ext ${p.extension} mac ${p.mac} on ${p.url} (${auth})\n`);
  }
  io.stdout.write(`# ring phone 1: curl '${sim.phone(1).url}/sim/incoming?from=0612345678'\n`);
  try {
    await untilStopped(io);
    return 0;
  } finally {
    await sim.close();
  }
}
