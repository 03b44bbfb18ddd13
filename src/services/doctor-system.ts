/**
 * @module services/doctor-system
 * The machine's share of the doctor: configuration sanity, free disk, clock synchronisation (the
 * wake-ups ring by it), the NIC addresses the configuration binds to, and the expiry of the TLS
 * certificates it names.
 */
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";
import { dirname, resolve } from "node:path";
import type { Config } from "../config/schema.ts";
import { errorMessage } from "../lib/errors.ts";
import { type DoctorCheck, fail, ok, warn } from "./doctor-check.ts";

export interface SystemProbes {
  /** Free (for an unprivileged user) and total bytes of the file system holding `path`. */
  diskSpace(path: string): Promise<{ free: number; total: number }>;
  /** Runs a program; rejects when it cannot be run at all. */
  run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** This machine's IP addresses. */
  addresses(): string[];
  readFile(path: string): string;
}

export const systemProbes: SystemProbes = {
  async diskSpace(path) {
    // A data folder not made yet will live on its nearest existing parent's file system.
    for (let p = resolve(path); ; p = dirname(p)) {
      try {
        const s = await statfs(p);
        return { free: Number(s.bavail) * Number(s.bsize), total: Number(s.blocks) * Number(s.bsize) };
      } catch (err) {
        if ((err as { code?: string }).code !== "ENOENT" || dirname(p) === p) throw err;
      }
    }
  },
  run: (command, args) =>
    new Promise((resolve, reject) => {
      execFile(command, args, { timeout: 5000 }, (err, stdout, stderr) => {
        const code = (err as { code?: unknown } | null)?.code;
        if (err && typeof code !== "number") reject(err);
        else resolve({ code: typeof code === "number" ? code : 0, stdout: String(stdout), stderr: String(stderr) });
      });
    }),
  addresses: () =>
    Object.values(networkInterfaces())
      .flat()
      .map((a) => a?.address ?? "")
      .filter(Boolean),
  readFile: (path) => readFileSync(path, "utf8"),
};

function isLoopback(host: string): boolean {
  return host === "localhost" || host.startsWith("127.") || host === "::1";
}

function hostOf(hostPort: string): string {
  const host = hostPort.slice(0, hostPort.lastIndexOf(":"));
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** What the loader cannot refuse but an installer should hear about. */
export function checkConfig(config: Config): DoctorCheck[] {
  const out: DoctorCheck[] = [ok("config", "valid")];
  const apiHost = hostOf(config.api.listen);
  if (!isLoopback(apiHost) && !config.api.allow)
    out.push(
      warn(
        "config api.allow",
        `the API on ${config.api.listen} answers any address`,
        "set api.allow to the staff networks",
      ),
    );
  if (
    config.pms.transport === "tcp" &&
    config.pms.mode === "server" &&
    !config.pms.allow &&
    !isLoopback(config.pms.host)
  )
    out.push(
      warn(
        "config pms.allow",
        `listening for the PMS on ${config.pms.host} but only loopback may connect`,
        "set pms.allow to the PMS's address",
      ),
    );
  if (config.sip.pbx.address && !config.sip.tls.verify)
    out.push(
      warn(
        "config sip.tls",
        "the PBX certificate is not verified",
        "set sip.tls.verify true (and sip.tls.caFile for a private CA)",
      ),
    );
  if (config.metrics.public && !isLoopback(apiHost))
    out.push(
      warn(
        "config metrics",
        `GET /metrics needs no token on ${config.api.listen}`,
        "set metrics.public false, or use metrics.listen on a management address",
      ),
    );
  return out;
}

const MB = 1024 * 1024;
const gb = (n: number) => `${(n / (1024 * MB)).toFixed(1)} GB`;

export async function checkDisk(dataDir: string, probes: SystemProbes): Promise<DoctorCheck[]> {
  const name = "disk";
  let space: { free: number; total: number };
  try {
    space = await probes.diskSpace(dataDir);
  } catch (err) {
    return [warn(name, `free space of ${dataDir} unknown: ${errorMessage(err)}`, "check that the data folder exists")];
  }
  const pct = space.total > 0 ? Math.round((space.free / space.total) * 100) : 0;
  const detail = `${gb(space.free)} free (${pct}%) on ${dataDir}`;
  const fix = "free space on the data disk: old logs (journalctl --vacuum-size=200M), files left in the data folder";
  if (space.free < 200 * MB || pct < 2)
    return [fail(name, `${detail}; the database stops taking writes when full`, fix)];
  if (space.free < 1024 * MB || pct < 10) return [warn(name, detail, fix)];
  return [ok(name, detail)];
}

export async function checkClock(probes: SystemProbes): Promise<DoctorCheck[]> {
  const name = "clock";
  const fix = "timedatectl set-ntp true, and make an NTP server reachable (NTP= in /etc/systemd/timesyncd.conf)";
  let answer: string;
  try {
    const r = await probes.run("timedatectl", ["show", "-p", "NTPSynchronized", "--value"]);
    if (r.code !== 0) throw new Error(r.stderr.trim().split("\n")[0] || `exit ${r.code}`);
    answer = r.stdout.trim();
  } catch (err) {
    return [
      warn(
        name,
        `synchronisation unknown (timedatectl: ${errorMessage(err)})`,
        "check that the system clock is kept by NTP",
      ),
    ];
  }
  if (answer === "yes") return [ok(name, "synchronised (NTP)")];
  return [fail(name, "not synchronised: wake-ups ring by this clock", fix)];
}

/** The addresses the configuration binds to must be this machine's (or a wildcard). */
export function checkNics(config: Config, probes: SystemProbes): DoctorCheck[] {
  const local = new Set(probes.addresses().map((a) => a.toLowerCase().split("%")[0]));
  const present = (name: string, host: string, key: string): DoctorCheck => {
    if (host === "0.0.0.0" || host === "::" || host === "") return ok(name, `${key} ${host || "any"}: every address`);
    if (host === "localhost") return ok(name, `${key} localhost`);
    if (!isIP(host))
      return warn(name, `${key} ${host} is a name, not an address: not checked`, `set ${key} to the NIC's IP address`);
    if (local.has(host.toLowerCase())) return ok(name, `${key} ${host} is on this machine`);
    return fail(
      name,
      `${key} ${host} is not an address of this machine (it has ${[...local].join(", ") || "none"})`,
      `bring up the NIC with ${host} (appliance/network/*.network) or correct ${key}`,
    );
  };
  const out: DoctorCheck[] = [];
  const pms = config.pms;
  if (pms.transport === "serial") out.push(ok("pms address", "serial line: no NIC"));
  else if (pms.mode === "server") out.push(present("pms address", pms.host, "pms.host"));
  else if (pms.bind) out.push(present("pms address", pms.bind, "pms.bind"));
  else out.push(ok("pms address", "pms.bind not set: any local address dials the PMS"));
  if (config.sip.pbx.address) out.push(present("sip address", config.sip.bind, "sip.bind"));
  else out.push(ok("sip address", "SIP off (sip.pbx.address null)"));
  out.push(present("api address", hostOf(config.api.listen), "api.listen"));
  return out;
}

/** Every certificate file the configuration names: expired or not yet valid fails, under 30 days warns. */
export function checkTls(config: Config, now: number, probes: SystemProbes): DoctorCheck[] {
  const files: [string, string][] = [];
  if (config.sip.tls.caFile) files.push(["sip.tls.caFile", config.sip.tls.caFile]);
  config.pbx.links.forEach((l, i) => {
    const ca = (l as { caFile?: string | null }).caFile;
    if (ca) files.push([`pbx.links[${i}] (${l.name}).caFile`, ca]);
  });
  if (files.length === 0) return [ok("tls", "no certificate files configured")];
  return files.map(([key, file]) => certificateCheck(key, file, now, probes));
}

const DAY = 86_400_000;

function certificateCheck(key: string, file: string, now: number, probes: SystemProbes): DoctorCheck {
  const name = "tls";
  let certs: X509Certificate[];
  try {
    const pems = probes.readFile(file).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    certs = pems.map((p) => new X509Certificate(p));
  } catch (err) {
    return fail(
      name,
      `${key} ${file}: cannot read it: ${errorMessage(err)}`,
      `put the PEM file at ${file} or correct ${key}`,
    );
  }
  if (certs.length === 0)
    return fail(name, `${key} ${file}: no PEM certificate in it`, `put the PEM certificate at ${file}`);
  // The first to expire decides: a bundle is only as good as its weakest link.
  const soonest = certs.reduce((a, b) => (Date.parse(a.validTo) <= Date.parse(b.validTo) ? a : b));
  const until = Date.parse(soonest.validTo);
  const subject = soonest.subject.replace(/\n/g, ", ");
  const renew = `renew the certificate (${subject}) and replace ${file}`;
  const notYet = certs.find((c) => Date.parse(c.validFrom) > now);
  if (notYet)
    return fail(
      name,
      `${key}: ${subject} is valid only from ${notYet.validFrom}`,
      "check the clock, or the certificate's dates",
    );
  if (until <= now) return fail(name, `${key}: ${subject} expired ${soonest.validTo}`, renew);
  const days = Math.floor((until - now) / DAY);
  if (days < 30) return warn(name, `${key}: ${subject} expires in ${days} days (${soonest.validTo})`, renew);
  return ok(name, `${key}: ${subject} valid for ${days} more days`);
}
