/**
 * @module services/doctor-reach
 * The far ends: the PMS, the PBX the SIP ports register with, the PBX links. The CLI dials them
 * (a TCP connection opened and closed, a SIP OPTIONS over UDP, each link driver's own probe); the
 * running appliance reports what its links already know (link state, registrations, last error).
 */
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { connect, isIPv6 } from "node:net";
import type { Config } from "../config/schema.ts";
import { errorMessage } from "../lib/errors.ts";
import type { PmsState } from "../pms/port.ts";
import type { PortState } from "../sip/ua/registration.ts";
import { type DoctorCheck, fail, ok, warn } from "./doctor-check.ts";

export interface LinkProbe {
  name: string;
  type: string;
  /** The probe's failure; undefined = it passed. */
  error?: string;
  detail?: string;
}

export interface ReachProbes {
  /** Opens a TCP connection and closes it at once. */
  tcpConnect(host: string, port: number, opts: { localAddress?: string; timeoutMs: number }): Promise<void>;
  /** Sends SIP OPTIONS over UDP from `bind`; resolves with the answer's status line. */
  sipOptions(opts: { host: string; port: number; bind: string; timeoutMs: number }): Promise<string>;
  /** Why `path` is no usable serial device; undefined when it is one. */
  serialDevice(path: string): string | undefined;
  /** Each enabled PBX link's start-up probe (the CLI); the API uses the live link status instead. */
  probeLinks?(): Promise<LinkProbe[]>;
}

/** What the running appliance knows (GET /api/v1/doctor). */
export interface LiveState {
  pms: { state: PmsState; since?: string };
  /** Undefined when SIP is off. */
  sipPorts?: { user: string; state: PortState; lastError: string | null }[];
  links: { name: string; type: string; state: string; lastError: { message: string } | null }[];
}

const TIMEOUT_MS = 4000;

export async function checkPms(config: Config, probes: ReachProbes, live?: LiveState): Promise<DoctorCheck[]> {
  const name = "pms reachable";
  const pms = config.pms;
  const where = pms.transport === "serial" ? `serial ${pms.serial.device}` : `${pms.host}:${pms.port}`;
  const fix =
    pms.transport === "serial"
      ? "check the cable, the adapter and pms.serial (baud, data bits, parity)"
      : pms.mode === "client"
        ? "check that the PMS interface runs and listens there, and the route and firewall to it"
        : "check that the PMS interface is set to connect to this address, and pms.allow";
  if (live) {
    const since = live.pms.since ? ` since ${live.pms.since}` : "";
    if (live.pms.state === "linked" || live.pms.state === "resync")
      return [ok(name, `${live.pms.state}${since} (${where})`)];
    return [
      fail(
        name,
        `link ${live.pms.state}${since} (${pms.transport === "serial" ? where : `${pms.mode} ${where}`})`,
        fix,
      ),
    ];
  }
  if (pms.transport === "serial") {
    if (!pms.serial.device) return [fail(name, "pms.serial.device is not set", "set pms.serial.device")];
    const problem = probes.serialDevice(pms.serial.device);
    return problem ? [fail(name, problem, fix)] : [ok(name, `${pms.serial.device} is a serial device`)];
  }
  if (pms.mode === "server")
    return [
      warn(
        name,
        `not probed: the PMS dials ${where}`,
        "see GET /api/v1/doctor (or /api/v1/pms) on the running appliance for the link state",
      ),
    ];
  try {
    await probes.tcpConnect(pms.host, pms.port, { localAddress: pms.bind ?? undefined, timeoutMs: TIMEOUT_MS });
    return [ok(name, `${where} accepts connections`)];
  } catch (err) {
    return [fail(name, `${where}: ${errorMessage(err)}`, fix)];
  }
}

export async function checkSip(config: Config, probes: ReachProbes, live?: LiveState): Promise<DoctorCheck[]> {
  const sip = config.sip;
  if (!sip.pbx.address) return [ok("pbx reachable", "SIP off (sip.pbx.address null)")];
  const host = sip.proxy?.address ?? sip.pbx.address;
  const port = sip.proxy ? sip.proxy.port : sip.pbx.port;
  const target = `${sip.proxy ? "proxy" : "PBX"} ${host}:${port} (${sip.local.transport})`;
  const fix = "check sip.pbx (or sip.proxy), the VoIP NIC's route and the PBX's firewall";
  const out: DoctorCheck[] = [];
  try {
    if (sip.local.transport === "udp") {
      const status = await probes.sipOptions({ host, port, bind: sip.bind, timeoutMs: TIMEOUT_MS });
      out.push(ok("pbx reachable", `${target} answered OPTIONS: ${status}`));
    } else {
      await probes.tcpConnect(host, port, { localAddress: sip.bind, timeoutMs: TIMEOUT_MS });
      out.push(ok("pbx reachable", `${target} accepts connections`));
    }
  } catch (err) {
    out.push(fail("pbx reachable", `${target}: ${errorMessage(err)}`, fix));
  }
  if (sip.ports.length === 0)
    out.push(warn("sip ports", "no ports configured: wake-ups cannot ring", "add the PBX accounts under sip.ports"));
  else if (live?.sipPorts) out.push(portsCheck(live.sipPorts));
  return out;
}

function portsCheck(ports: NonNullable<LiveState["sipPorts"]>): DoctorCheck {
  const name = "sip ports";
  const by = (s: PortState) => ports.filter((p) => p.state === s);
  const registered = by("registered").length;
  const bad = ports.filter((p) => p.state === "failed" || p.state === "auth-failed" || p.state === "unregistered");
  const summary = `${registered} of ${ports.length} registered`;
  if (bad.length) {
    const first = bad[0];
    const auth = bad.some((p) => p.state === "auth-failed");
    return fail(
      name,
      `${summary}; ${bad.map((p) => `${p.user} ${p.state}`).join(", ")}${first?.lastError ? ` (${first.lastError})` : ""}`,
      auth
        ? "check the ports' user names and passwords on the PBX and in sip.ports"
        : "see GET /api/v1/sip/ports for each port's last answer",
    );
  }
  if (registered < ports.length)
    return warn(name, `${summary}; the others are registering`, "wait a minute, then check again");
  return ok(name, summary);
}

export async function checkPbxLinks(config: Config, probes: ReachProbes, live?: LiveState): Promise<DoctorCheck[]> {
  if (live) {
    if (live.links.length === 0) return [ok("pbx links", "none enabled")];
    return live.links.map((l) => {
      const name = `pbx link ${l.name}`;
      if (l.state === "ok") return ok(name, `${l.type}: ok`);
      if (l.state === "starting")
        return warn(name, `${l.type}: not probed yet`, "wait for the start-up probe, then check again");
      return fail(
        name,
        `${l.type}: ${l.lastError?.message ?? l.state}`,
        "see GET /api/v1/pbx/links and the link's settings",
      );
    });
  }
  if (!config.pbx.links.some((l) => l.enabled) || !probes.probeLinks) return [ok("pbx links", "none enabled")];
  const results = await probes.probeLinks();
  return results.map((r) =>
    r.error
      ? fail(
          `pbx link ${r.name}`,
          `${r.type}: ${r.error}`,
          "check the link's URL, credentials and certificate settings",
        )
      : ok(`pbx link ${r.name}`, `${r.type}: ${r.detail ?? "probe ok"}`),
  );
}

function withTimeout<T>(
  ms: number,
  what: string,
  start: (done: (err?: Error, value?: T) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let cleanup = () => {};
    let settled = false;
    const timer = setTimeout(() => finish(new Error(`no answer within ${ms} ms (${what})`)), ms);
    const finish = (err?: Error, value?: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        cleanup();
      } catch {
        // A socket that never got going has nothing to close.
      }
      if (err) reject(err);
      else resolve(value as T);
    };
    cleanup = start(finish);
  });
}

export const reachProbes: ReachProbes = {
  tcpConnect: (host, port, { localAddress, timeoutMs }) =>
    withTimeout<void>(timeoutMs, "TCP connect", (done) => {
      const socket = connect({ host, port, ...(localAddress ? { localAddress } : {}) });
      socket.once("connect", () => done());
      socket.once("error", (err) => done(err));
      return () => socket.destroy();
    }),

  sipOptions: ({ host, port, bind, timeoutMs }) =>
    withTimeout<string>(timeoutMs, "SIP OPTIONS", (done) => {
      const v6 = isIPv6(host) || isIPv6(bind);
      // node:dgram loaded here, not imported: the compiled binary loads every imported built-in at its start.
      const socket = process.getBuiltinModule("node:dgram").createSocket(v6 ? "udp6" : "udp4");
      const callId = randomBytes(8).toString("hex");
      const timers: ReturnType<typeof setTimeout>[] = [];
      socket.on("error", (err) => done(err));
      socket.on("message", (msg) => {
        const text = msg.toString("latin1");
        const line = text.slice(0, text.indexOf("\r\n"));
        if (line.startsWith("SIP/2.0 ") && text.includes(callId)) done(undefined, line.slice(8));
      });
      socket.bind({ address: bind, port: 0 }, () => {
        const local = socket.address();
        const h = (a: string) => (isIPv6(a) ? `[${a}]` : a);
        const request = [
          `OPTIONS sip:${h(host)}:${port} SIP/2.0`,
          `Via: SIP/2.0/UDP ${h(local.address)}:${local.port};branch=z9hG4bK${callId};rport`,
          "Max-Forwards: 70",
          `From: <sip:doctor@${h(local.address)}>;tag=${callId.slice(0, 8)}`,
          `To: <sip:${h(host)}>`,
          `Call-ID: ${callId}@bellhop-doctor`,
          "CSeq: 1 OPTIONS",
          "User-Agent: bellhop-doctor",
          "Content-Length: 0",
          "",
          "",
        ].join("\r\n");
        // Retransmitted as RFC 3261 Timer E does (500 ms, doubling), UDP being UDP.
        const send = () => socket.send(request, port, host, (err) => err && done(err));
        send();
        for (const at of [500, 1500, 3500]) timers.push(setTimeout(send, at));
      });
      return () => {
        for (const t of timers) clearTimeout(t);
        socket.close();
      };
    }),

  serialDevice(path) {
    try {
      const st = statSync(path);
      return st.isCharacterDevice() ? undefined : `${path} is not a character device`;
    } catch (err) {
      return `${path}: ${errorMessage(err)}`;
    }
  },
};
