/**
 * Issue 16 §3: the appliance's two NICs, proven in network namespaces (test/helpers/netns.ts). The
 * appliance runs from source in the middle namespace with a PMS address (eth0) and a VoIP address
 * (eth1); the PMS simulator is on the PMS side, Kamailio and a sipp room phone on the VoIP side, and
 * nothing routes between the sides.
 *
 * What is proven, each by the kernel or the peer rather than by the appliance's own logs:
 * - client mode: the PMS sees the connection come from `pms.bind` (a second address on the PMS NIC,
 *   so the kernel's own choice would not pass); server mode: the appliance listens on `pms.host`
 *   only, and the simulator's connection to it is the link;
 * - the PMS link carries a check-in and a wake-up in, and the wake-up result (WA) out;
 * - the ports register from `sip.bind` (Kamailio's log: contact and source address), the wake-up call
 *   reaches the sipp phone with the VoIP address in its SDP, and while it runs every UDP socket the
 *   appliance holds (SIP and RTP) is bound to the VoIP address and every TCP socket to a PMS address;
 * - the API listens on exactly `api.listen`;
 * - no packet crossed: on the PMS side the kernel counted no UDP datagram at all (no SIP, no RTP),
 *   on the VoIP side no TCP segment at all (no FIAS; Kamailio's control socket is a Unix socket here).
 *
 * Skipped, with one notice naming what is missing, where namespaces cannot be made (not root) or
 * Kamailio or sipp are not installed.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { fiasDate, fiasTime } from "../../src/pms/fias/datetime.ts";
import { createTopology, netnsUnavailable, PMS_NET, type Topology, VOIP_NET } from "../helpers/netns.ts";
import { PEER_FIXTURES, peerCommand, peerSkip } from "../peers/available.ts";
import { scenario } from "../peers/sipp.ts";
import { eventually, explained, sleep } from "./support.ts";

const MAIN = resolve(import.meta.dirname ?? ".", "../../src/main.ts");
const PMS_PORT = 5010;
const API_PORT = 8080;
const PHONE = { user: "2101", port: 5070, media: 16000 };

// A missing package is a peer skip (CI installs them all and fails on one); a machine where
// namespaces cannot be made (not root, a container without CAP_SYS_ADMIN) skips with its own notice.
const peers = peerSkip("iproute2", "kamailio", "sipp");
const netnsProblem = peers ? null : netnsUnavailable();
if (netnsProblem) process.stderr.write(`two-NIC test skipped: ${netnsProblem}\n`);
const skip = peers || (netnsProblem ? `network namespaces: ${netnsProblem}` : false);

interface Proc {
  child: ChildProcess;
  out(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

function started(child: ChildProcess, group = false): Proc {
  let out = "";
  child.stdout?.on("data", (b) => {
    out += b;
  });
  child.stderr?.on("data", (b) => {
    out += b;
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return {
    child,
    out: () => out,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        try {
          process.kill(group ? -child.pid : child.pid, "SIGTERM");
        } catch {
          // already gone
        }
        const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

/** `ss` sockets of one process in a namespace: [proto, state, local, peer]. */
function socketsOf(net: Topology, ns: string, pid: number): string[][] {
  return net
    .run(ns, "ss", ["-tuanpH"])
    .split("\n")
    .filter((l) => l.includes(`pid=${pid},`))
    .map((l) => l.trim().split(/\s+/).slice(0, 6))
    .map(([proto, state, , , local, peer]) => [proto, state, local, peer]);
}

describe("two NICs in network namespaces", { skip, timeout: 240_000 }, () => {
  let net: Topology;
  let dir: string;
  let kamailio: Proc;
  const procs: Proc[] = [];

  before(async () => {
    net = createTopology();
    dir = mkdtempSync(join(tmpdir(), "bellhop-two-nics-"));
    // Kamailio on the PBX address, its control socket a Unix socket: the VoIP side then carries no
    // TCP at all, so one counter says no FIAS segment ever reached it.
    const kdir = join(dir, "kamailio");
    cpSync(join(PEER_FIXTURES, "kamailio"), kdir, { recursive: true });
    const cfg = readFileSync(join(kdir, "kamailio.cfg"), "utf8")
      .replace("listen=udp:127.0.0.1:5060", `listen=udp:${VOIP_NET.pbx}:5060`)
      .replace("listen=tcp:127.0.0.1:5060", `listen=tcp:${VOIP_NET.pbx}:5060`)
      .replace('#!define CTL_SOCK "tcp:127.0.0.1:2049"', `#!define CTL_SOCK "unixs:${kdir}/ctl.sock"`)
      .replace("auto_aliases=no", "auto_aliases=no\nmax_while_loops=300")
      .replace("while ($var(u) <= 2010)", "while ($var(u) <= 2200)")
      .replace('"users=>size=6;"', '"users=>size=12;"');
    writeFileSync(join(kdir, "kamailio.cfg"), cfg);
    kamailio = started(
      net.spawn(net.voip, peerCommand("kamailio"), ["-f", join(kdir, "kamailio.cfg"), "-DD", "-E", "-n", "2"], {
        cwd: kdir,
      }),
    );
    await eventually(
      "kamailio listening on the PBX address",
      () => {
        if (kamailio.child.exitCode !== null) throw new Error(`kamailio exited:\n${kamailio.out().slice(-2000)}`);
        return net.run(net.voip, "ss", ["-lunH"]).includes(`${VOIP_NET.pbx}:5060`);
      },
      15_000,
      100,
    );
  });

  after(async () => {
    for (const p of procs) await p.stop();
    await kamailio?.stop();
    net?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function bellhop(ns: string, args: string[]): Proc {
    const p = started(net.spawn(ns, process.execPath, [MAIN, ...args]));
    procs.push(p);
    return p;
  }

  function config(name: string, over: Record<string, unknown>): string {
    const file = join(dir, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        site: { timezone: "UTC" },
        rooms: { extensionTemplate: "2${room}" },
        sip: {
          bind: VOIP_NET.appliance,
          pbx: { address: VOIP_NET.pbx, port: 5060, expiresSeconds: 600 },
          ports: [{ user: "2001", password: "secret" }],
        },
        wakeup: { rings: 2, retries: 0, answeredWithoutKey: "answered", menuRepeats: 1, keyWaitSeconds: 3 },
        backup: { nightlyAt: null },
        ...over,
      }),
    );
    return file;
  }

  async function appliance(name: string, cfg: string): Promise<Proc> {
    const data = join(dir, `${name}-data`);
    mkdirSync(data, { recursive: true });
    const app = bellhop(net.app, ["serve", "--config", cfg, "--data", data]);
    await eventually(
      "the appliance started",
      () => {
        if (app.child.exitCode !== null) throw new Error(`the appliance exited:\n${app.out().slice(-3000)}`);
        return app.out().includes("appliance started");
      },
      30_000,
      100,
    );
    return app;
  }

  function script(name: string, lines: string[]): string {
    const file = join(dir, `${name}.script`);
    writeFileSync(file, `${lines.join("\n")}\n`);
    return file;
  }

  test("client mode: PMS from pms.bind, SIP and RTP from sip.bind, API on api.listen, nothing crosses", async () => {
    // The sipp room phone: registered with Kamailio, then answering one call (and pressing 1).
    const phoneDir = join(dir, "phone");
    mkdirSync(phoneDir);
    const register = started(
      net.spawn(net.voip, peerCommand("sipp"), [
        `${VOIP_NET.pbx}:5060`,
        ...["-sf", scenario("uac-register.xml"), "-i", VOIP_NET.pbx, "-p", String(PHONE.port)],
        ...["-m", "1", "-s", PHONE.user, "-ap", "secret", "-nostdin", "-timeout", "10s"],
      ]),
    );
    assert.equal(await register.exited, 0, `the phone registered:\n${register.out().slice(-1500)}`);
    const phone = started(
      net.spawn(
        net.voip,
        peerCommand("sipp"),
        [
          ...["-sf", scenario("uas-guest-phone.xml"), "-i", VOIP_NET.pbx, "-p", String(PHONE.port)],
          ...["-mi", VOIP_NET.pbx, "-mp", String(PHONE.media), "-s", PHONE.user],
          ...["-trace_msg", "-message_file", join(phoneDir, "sipp.msg"), "-nostdin", "-m", "1"],
        ],
        { cwd: phoneDir },
      ),
    );
    procs.push(phone);

    // The PMS interface, listening on the PMS side: check-in, a wake-up due now, and its result back.
    const due = new Date(Date.now() + 8000);
    const wall = {
      year: due.getUTCFullYear(),
      month: due.getUTCMonth() + 1,
      day: due.getUTCDate(),
      hour: due.getUTCHours(),
      minute: due.getUTCMinutes(),
      second: due.getUTCSeconds(),
    };
    const pms = bellhop(net.pms, [
      ...["sim", "pms", "--listen", String(PMS_PORT), "--host", PMS_NET.pms, "--rooms", "1", "--occupancy", "0"],
      "--script",
      script("client", [
        "wait-link 30000",
        "send GI|RN101|G#1|GNGuest|GLEA|",
        `send WR|RN101|DA${fiasDate(wall)}|TI${fiasTime(wall)}|`,
        "expect WA|RN101|ASOK| 60000",
      ]),
    ]);

    const app = await appliance(
      "client",
      config("client", {
        pms: { mode: "client", host: PMS_NET.pms, port: PMS_PORT, bind: PMS_NET.applianceBind },
        api: { listen: `${PMS_NET.appliance}:${API_PORT}` },
      }),
    );
    const pid = app.child.pid as number;

    // The PMS's kernel: the link comes from pms.bind, not the NIC's first address.
    await eventually(
      "the PMS link established",
      () => net.run(net.pms, "ss", ["-tnH", "state", "established"]).includes(`${PMS_NET.applianceBind}:`),
      30_000,
      100,
    );
    const pmsConns = net.run(net.pms, "ss", ["-tnH", "state", "established"]);
    assert.match(
      pmsConns,
      new RegExp(`${PMS_NET.pms}:${PMS_PORT}\\s+${PMS_NET.applianceBind.replaceAll(".", "\\.")}:\\d+`),
    );

    // Kamailio's own log: the port registered from the VoIP address, with it in the Contact.
    await explained(
      eventually(
        "the port registered",
        () =>
          /REGISTERED sip:2001@\S+ contact=<sip:2001@198\.51\.100\.10:5060[^>]*>\S* via udp from 198\.51\.100\.10:5060/.test(
            kamailio.out(),
          ),
        20_000,
        100,
      ),
      () => `kamailio:\n${kamailio.out().slice(-2000)}\nappliance:\n${app.out().slice(-3000)}`,
    );

    // The wake-up call: while it runs, every UDP socket of the appliance is on the VoIP address.
    await eventually(
      "the wake-up INVITE at the phone",
      () => {
        try {
          return readFileSync(join(phoneDir, "sipp.msg"), "utf8").includes("INVITE sip:2101@");
        } catch {
          return false;
        }
      },
      30_000,
      100,
    );
    await sleep(1500); // answered by now (0.5 s), media flowing
    const socks = socketsOf(net, net.app, pid);
    const udp = socks.filter(([p]) => p === "udp");
    const tcp = socks.filter(([p]) => p === "tcp");
    assert.ok(
      udp.some(([, , local]) => local === `${VOIP_NET.appliance}:5060`),
      `SIP socket: ${JSON.stringify(socks)}`,
    );
    assert.ok(udp.length >= 2, `SIP and RTP sockets: ${JSON.stringify(udp)}`);
    for (const [, , local] of udp) assert.ok(local.startsWith(`${VOIP_NET.appliance}:`), `UDP on ${local}`);
    for (const [, state, local] of tcp) {
      assert.ok(
        local.startsWith(`${PMS_NET.appliance}:`) || local.startsWith(`${PMS_NET.applianceBind}:`),
        `TCP ${state} on ${local}`,
      );
    }
    assert.deepEqual(
      tcp.filter(([, state]) => state === "LISTEN").map(([, , local]) => local),
      [`${PMS_NET.appliance}:${API_PORT}`],
      "the only listener is the API, on api.listen",
    );

    assert.equal(await pms.exited, 0, `the PMS script passed (WA ASOK came back):\n${pms.out().slice(-2000)}`);
    assert.equal(await phone.exited, 0, `the phone went as scripted:\n${phone.out().slice(-1500)}`);
    const msgs = readFileSync(join(phoneDir, "sipp.msg"), "utf8");
    assert.match(msgs, /c=IN IP4 198\.51\.100\.10\r?\n/, "the appliance's SDP names the VoIP address for RTP");
    assert.match(msgs, /Via: SIP\/2\.0\/UDP 198\.51\.100\.10:5060/, "the INVITE left from sip.bind");
    assert.doesNotMatch(msgs, /192\.0\.2\./, "no PMS-side address in any SIP message");

    // The API answers on the PMS side (api.listen) and is not reachable from the VoIP side at all.
    const health = net.run(net.pms, process.execPath, [
      "-e",
      `const r = await fetch("http://${PMS_NET.appliance}:${API_PORT}/api/v1/health"); console.log(r.status, (await r.json()).pms.state)`,
    ]);
    assert.match(health, /^200 /);
    assert.throws(() => net.run(net.voip, "ip", ["route", "get", PMS_NET.appliance]), /unreachable/i);
    assert.throws(() => net.run(net.pms, "ip", ["route", "get", VOIP_NET.pbx]), /unreachable/i);

    await app.stop();
    const pmsSide = net.counters(net.pms);
    const voipSide = net.counters(net.voip);
    assert.equal(pmsSide.UdpInDatagrams + pmsSide.UdpOutDatagrams, 0, "no UDP (SIP, RTP) on the PMS side");
    assert.ok(pmsSide.TcpInSegs > 0, "the FIAS link did run on the PMS side");
    assert.equal(voipSide.TcpInSegs + voipSide.TcpOutSegs, 0, "no TCP (FIAS, API) on the VoIP side");
    // Every UDP datagram the appliance sent (SIP and the call's RTP) went out of the VoIP NIC: the
    // PMS side saw none, the VoIP side received at least as many packets. (sipp never reads the RTP
    // it is sent, so the VoIP side's own UDP counter, counted at read time, leaves it out.)
    const sent = net.counters(net.app).UdpOutDatagrams;
    assert.ok(sent > 100, `the appliance sent SIP and RTP (${sent} datagrams)`);
    const voipRx = net.linkPackets(net.voip, "eth0").rx;
    assert.ok(voipRx >= sent, `the VoIP side received them (${voipRx} packets for ${sent} datagrams)`);
    const pmsRx = net.linkPackets(net.pms, "eth0").rx;
    assert.ok(pmsRx < sent / 2, `the PMS side received only the FIAS link and the API (${pmsRx} packets)`);
  });

  test("server mode: the appliance listens on pms.host only and the PMS connects there", async () => {
    for (const p of procs.splice(0)) await p.stop(); // whatever a failed first test left running
    const app = await appliance(
      "server",
      config("server", {
        pms: { mode: "server", host: PMS_NET.appliance, port: PMS_PORT, allow: [`${PMS_NET.pms}/32`] },
        api: { listen: `${VOIP_NET.appliance}:${API_PORT}` },
        sip: {
          bind: VOIP_NET.appliance,
          pbx: { address: VOIP_NET.pbx, port: 5060 },
          ports: [{ user: "2002", password: "secret" }],
        },
      }),
    );
    const pid = app.child.pid as number;
    await eventually(
      "the PMS listener",
      () =>
        socketsOf(net, net.app, pid).some(
          ([p, s, l]) => p === "tcp" && s === "LISTEN" && l === `${PMS_NET.appliance}:${PMS_PORT}`,
        ),
      10_000,
      100,
    );
    const listeners = socketsOf(net, net.app, pid)
      .filter(([p, s]) => p === "tcp" && s === "LISTEN")
      .map(([, , l]) => l)
      .sort();
    assert.deepEqual(listeners, [`${PMS_NET.appliance}:${PMS_PORT}`, `${VOIP_NET.appliance}:${API_PORT}`].sort());
    for (const [p, , local] of socketsOf(net, net.app, pid)) {
      if (p === "udp") assert.ok(local.startsWith(`${VOIP_NET.appliance}:`), `UDP on ${local}`);
    }

    const pms = bellhop(net.pms, [
      ...["sim", "pms", "--connect", `${PMS_NET.appliance}:${PMS_PORT}`, "--rooms", "1", "--occupancy", "0"],
      ...["--script", script("server", ["wait-link 30000", "send GI|RN102|G#2|GNGuest|GLEA|", "sleep 500"])],
    ]);
    await eventually(
      "the PMS connected from its own address",
      () => net.run(net.app, "ss", ["-tnH", "state", "established"]).includes(`${PMS_NET.appliance}:${PMS_PORT}`),
      30_000,
      100,
    );
    assert.match(
      net.run(net.app, "ss", ["-tnH", "state", "established"]),
      new RegExp(`192\\.0\\.2\\.10:${PMS_PORT}\\s+192\\.0\\.2\\.20:\\d+`),
    );
    assert.equal(await pms.exited, 0, `the PMS script passed:\n${pms.out().slice(-2000)}`);
    await eventually(
      "port 2002 registered from the VoIP address",
      () =>
        /REGISTERED sip:2002@\S+ contact=<sip:2002@198\.51\.100\.10:5060[^>]*>\S* via udp from 198\.51\.100\.10:5060/.test(
          kamailio.out(),
        ),
      20_000,
      100,
    );
    await app.stop();
    const voipSide = net.counters(net.voip);
    assert.equal(voipSide.TcpInSegs + voipSide.TcpOutSegs, 0, "no TCP (FIAS, API) on the VoIP side");
    const pmsSide = net.counters(net.pms);
    assert.equal(pmsSide.UdpInDatagrams + pmsSide.UdpOutDatagrams, 0, "no UDP on the PMS side");
  });
});
