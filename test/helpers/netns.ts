/**
 * Three network namespaces joined by veth pairs, the appliance's two NICs as the field has them:
 *
 *   pms ns  eth0 192.0.2.20  ──veth──  eth0 192.0.2.10 (+ .11)  app ns  eth1 198.51.100.10  ──veth──  eth0 198.51.100.20  voip ns
 *           (PMS interface)                              (appliance)                               (PBX, phones)
 *
 * The addresses are the ones in appliance/network/*.network. Each side has only its own subnet
 * routed and the app namespace does not forward, so nothing can cross from one side to the other:
 * what reaches a side was sent there on purpose. The names carry the test's pid, so parallel runs
 * and a leftover of a killed run never collide; `destroy()` deletes them (and so their veths).
 *
 * Root only: `netnsUnavailable()` says why not, for the test's skip notice.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export const PMS_NET = { appliance: "192.0.2.10", applianceBind: "192.0.2.11", pms: "192.0.2.20", prefix: 24 };
export const VOIP_NET = { appliance: "198.51.100.10", pbx: "198.51.100.20", prefix: 24 };

const IP = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].find((p) => existsSync(p)) ?? "ip";

/** Why namespaces cannot be made here (a skip reason), or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "not root (network namespaces need root; .ci/run runs as root)";
  if (spawnSync(IP, ["-V"]).status !== 0) return "no ip command (apt-get install iproute2)";
  const probe = `bh-probe-${process.pid}`;
  const made = spawnSync(IP, ["netns", "add", probe], { encoding: "utf8" });
  if (made.status !== 0) return `ip netns add failed: ${(made.stderr || "").trim() || `exit ${made.status}`}`;
  spawnSync(IP, ["netns", "del", probe]);
  return null;
}

export interface Topology {
  pms: string;
  app: string;
  voip: string;
  /** Runs a command in a namespace and returns its stdout; throws with its stderr on failure. */
  run(ns: string, cmd: string, args: string[]): string;
  /** Starts a long-running command in a namespace. */
  spawn(ns: string, cmd: string, args: string[], opts?: { cwd?: string; env?: NodeJS.ProcessEnv }): ChildProcess;
  /** `nstat -az` of a namespace: every kernel counter since the namespace was made. */
  counters(ns: string): Record<string, number>;
  /** rx/tx packets of an interface (`ip -s link`). */
  linkPackets(ns: string, dev: string): { rx: number; tx: number };
  destroy(): void;
}

function ip(...args: string[]): void {
  execFileSync(IP, args, { stdio: ["ignore", "ignore", "pipe"] });
}

export function createTopology(): Topology {
  const tag = String(process.pid % 100000);
  const pms = `bh-pms-${tag}`;
  const app = `bh-app-${tag}`;
  const voip = `bh-voip-${tag}`;
  const all = [pms, app, voip];
  const destroy = () => {
    for (const ns of all) spawnSync(IP, ["netns", "del", ns]);
  };
  destroy(); // a leftover of a killed run with the same pid
  try {
    for (const ns of all) {
      ip("netns", "add", ns);
      ip("-n", ns, "link", "set", "lo", "up");
    }
    // Made in the root namespace with unique names, moved and renamed inside.
    ip("link", "add", `bhp${tag}a`, "type", "veth", "peer", "name", `bhp${tag}b`);
    ip("link", "add", `bhv${tag}a`, "type", "veth", "peer", "name", `bhv${tag}b`);
    ip("link", "set", `bhp${tag}a`, "netns", app);
    ip("link", "set", `bhp${tag}b`, "netns", pms);
    ip("link", "set", `bhv${tag}a`, "netns", app);
    ip("link", "set", `bhv${tag}b`, "netns", voip);
    ip("-n", app, "link", "set", `bhp${tag}a`, "name", "eth0");
    ip("-n", app, "link", "set", `bhv${tag}a`, "name", "eth1");
    ip("-n", pms, "link", "set", `bhp${tag}b`, "name", "eth0");
    ip("-n", voip, "link", "set", `bhv${tag}b`, "name", "eth0");
    const addr = (ns: string, dev: string, a: string, prefix: number) =>
      ip("-n", ns, "addr", "add", `${a}/${prefix}`, "dev", dev);
    addr(app, "eth0", PMS_NET.appliance, PMS_NET.prefix);
    addr(app, "eth0", PMS_NET.applianceBind, PMS_NET.prefix);
    addr(app, "eth1", VOIP_NET.appliance, VOIP_NET.prefix);
    addr(pms, "eth0", PMS_NET.pms, PMS_NET.prefix);
    addr(voip, "eth0", VOIP_NET.pbx, VOIP_NET.prefix);
    for (const [ns, dev] of [
      [app, "eth0"],
      [app, "eth1"],
      [pms, "eth0"],
      [voip, "eth0"],
    ]) {
      ip("-n", ns, "link", "set", dev, "up");
    }
    // A new namespace does not forward; said explicitly, since the proof rests on it.
    ip("netns", "exec", app, "sysctl", "-q", "-w", "net.ipv4.ip_forward=0");
  } catch (err) {
    destroy();
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`network namespaces could not be set up: ${e.stderr?.toString().trim() || e.message}`);
  }
  const run = (ns: string, cmd: string, args: string[]) => {
    const r = spawnSync(IP, ["netns", "exec", ns, cmd, ...args], { encoding: "utf8", timeout: 30_000 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} in ${ns}: exit ${r.status}: ${r.stderr}`);
    return r.stdout;
  };
  return {
    pms,
    app,
    voip,
    run,
    spawn: (ns, cmd, args, opts = {}) =>
      spawn(IP, ["netns", "exec", ns, cmd, ...args], {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        stdio: ["ignore", "pipe", "pipe"],
      }),
    counters(ns) {
      const out: Record<string, number> = {};
      // --noupdate: nstat keeps a history file per user otherwise, and would report deltas.
      for (const line of run(ns, "nstat", ["-az", "--noupdate"]).split("\n")) {
        const m = /^(\w+)\s+(\d+)/.exec(line);
        if (m) out[m[1]] = Number(m[2]);
      }
      return out;
    },
    linkPackets(ns, dev) {
      const s = JSON.parse(run(ns, IP, ["-s", "-j", "link", "show", "dev", dev]))[0].stats64;
      return { rx: s.rx.packets, tx: s.tx.packets };
    },
    destroy,
  };
}
