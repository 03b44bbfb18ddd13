/**
 * (j) The SIP endpoint under a request flood (issue 10): 10,000 requests/s, a third each OPTIONS,
 * INVITE and garbage (random bytes, SIP with a bare CR in the Via, HTTP), every request unique, for
 * SIP_FLOOD_SECONDS (default 5; 30 for the full run) per phase:
 *   baseline     no flood;
 *   outside      from 127.0.0.30, not in the phone networks: dropped before parsing;
 *   phones       from 127.0.0.2, in the phone networks (allowed, not trusted): the worst case, held
 *                by the caps (sip.limits defaults) and the stateless answers.
 * The endpoint (SipPorts, 4 ports registered) runs in a child process, so its RSS and CPU are its
 * own. Throughout, the child registers a fifth port again and again (REGISTER, 401, REGISTER with
 * credentials, 200, then Expires: 0) with Kamailio (else a scripted registrar), and a phone at
 * 127.0.0.3 places an INVITE every 100 ms (answered 486, ACKed). Their latencies, the RSS growth
 * and the CPU are reported against the baseline of the same run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { parseConfig } from "../src/config/load.ts";
import { systemClock } from "../src/lib/clock.ts";
import { createLogger, silentLogger } from "../src/lib/logger.ts";
import type { SipResponse } from "../src/sip/message/index.ts";
import { SipPorts } from "../src/sip/ua/ports.ts";
import { PortRegistration } from "../src/sip/ua/registration.ts";
import { fakeRegistrar, garbage, UdpPeer, uniqueRequest } from "../test/helpers/sip-peer.ts";
import { freePort } from "../test/integration/support.ts";
import { type Kamailio, startKamailio } from "../test/peers/kamailio.ts";
import { fmt, line } from "./util.ts";

const RATE = 10_000;
const PHONES = new Set(["127.0.0.2", "127.0.0.3", "127.0.0.4"]);
const PASSWORD = "secret";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface PhaseStats {
  seconds: number;
  cpuPercent: number;
  rssStartMb: number;
  rssMaxMb: number;
  rssEndMb: number;
  liveMax: number;
  registerMs: number[];
  logBytes: number;
  stateless: number;
  refused: number;
  notAllowed: number;
  malformed: number;
}

// ---- the child: the endpoint under test ----

async function runTarget(arg: string): Promise<void> {
  const { pbxPort } = JSON.parse(arg) as { pbxPort: number };
  let logBytes = 0;
  const logger = createLogger({ level: "info", sink: (l) => (logBytes += l.length + 1) });
  const config = parseConfig({
    sip: {
      bind: "127.0.0.1",
      local: { port: await freePort() },
      pbx: { address: "127.0.0.1", port: pbxPort, expiresSeconds: 600 },
      ports: ["2001", "2002", "2003", "2004"].map((user) => ({ user, password: PASSWORD })),
    },
  }).sip;
  const ports = new SipPorts({ config, clock: systemClock, logger, allowAlso: (a) => PHONES.has(a) });
  // Every port busy, as in a wake-up storm: an INVITE is answered 486 at once.
  ports.onInvite = (call) => {
    call.lease.release();
    call.invite.reject(486, "Busy Here");
  };
  await ports.start();
  while (ports.freePorts() < 4) await sleep(5);

  let running = true;
  let phase: { name: string; t0: number; cpu: NodeJS.CpuUsage; stats: PhaseStats; base: number[] } | undefined;
  const done: Record<string, PhaseStats> = {};
  const counters = () => {
    const l = ports.limits();
    const t = ports.traffic();
    const s = l.serverTransactions;
    return [s.stateless, s.refusedTotal + s.refusedPerSource, t.droppedNotAllowed, l.malformed.received];
  };
  const close = () => {
    if (!phase) return;
    const c = process.cpuUsage(phase.cpu);
    const now = counters();
    const st = phase.stats;
    st.seconds = (performance.now() - phase.t0) / 1000;
    st.rssEndMb = process.memoryUsage().rss / 1e6;
    st.cpuPercent = ((c.user + c.system) / 1e6 / st.seconds) * 100;
    st.logBytes = logBytes - st.logBytes;
    [st.stateless, st.refused, st.notAllowed, st.malformed] = now.map((n, i) => n - (phase?.base[i] ?? 0));
    done[phase.name] = st;
  };
  const open = (name: string) => {
    close();
    const rss = process.memoryUsage().rss / 1e6;
    phase = {
      name,
      t0: performance.now(),
      cpu: process.cpuUsage(),
      base: counters(),
      stats: {
        seconds: 0,
        cpuPercent: 0,
        rssStartMb: rss,
        rssMaxMb: rss,
        rssEndMb: rss,
        liveMax: 0,
        registerMs: [],
        logBytes,
        stateless: 0,
        refused: 0,
        notAllowed: 0,
        malformed: 0,
      },
    };
  };
  // SIP_FLOOD_DEBUG=1: the child's memory every 2.5 s on stderr (is it flat, or still growing?).
  if (process.env.SIP_FLOOD_DEBUG) {
    setInterval(() => {
      const m = process.memoryUsage();
      console.error(
        `${phase?.name} rss=${(m.rss / 1e6).toFixed(1)} heap=${(m.heapUsed / 1e6).toFixed(1)}/${(m.heapTotal / 1e6).toFixed(1)} ext=${(m.external / 1e6).toFixed(1)} ab=${(m.arrayBuffers / 1e6).toFixed(1)}`,
      );
    }, 2500).unref();
  }
  const sampler = setInterval(() => {
    if (!phase) return;
    phase.stats.rssMaxMb = Math.max(phase.stats.rssMaxMb, process.memoryUsage().rss / 1e6);
    phase.stats.liveMax = Math.max(phase.stats.liveMax, ports.limits().serverTransactions.live);
  }, 50);
  const registering = (async () => {
    const target = { transport: "udp" as const, address: "127.0.0.1", port: pbxPort };
    for (let n = 0; running; n++) {
      const user = String(2005 + (n % 6));
      let registered: () => void = () => {};
      const ok = new Promise<void>((r) => (registered = r));
      const reg = new PortRegistration(
        ports.endpoint,
        { user, authUser: null, password: PASSWORD, displayName: null },
        { domain: "127.0.0.1", target, expiresSeconds: 600, realm: null },
        systemClock,
        silentLogger,
        (s) => s.state === "registered" && registered(),
      );
      const t0 = performance.now();
      reg.start();
      const inTime = await Promise.race([ok.then(() => true), sleep(5000).then(() => false)]);
      phase?.stats.registerMs.push(inTime ? performance.now() - t0 : 5000);
      await reg.stop(1000);
      await sleep(50);
    }
  })();

  process.stdout.write(`ready ${ports.endpoint.port}\n`);
  for await (const cmd of createInterface({ input: process.stdin })) {
    if (cmd.startsWith("phase ")) open(cmd.slice(6));
    if (cmd !== "end") continue;
    close();
    running = false;
    clearInterval(sampler);
    await registering;
    process.stdout.write(`summary ${JSON.stringify(done)}\n`);
    await ports.stop();
    process.exit(0);
  }
}

// ---- the parent: registrar, flood, probes ----

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** Sends RATE requests a second from `from` for `ms`; resolves with the count sent. */
async function flood(from: UdpPeer, port: number, ms: number): Promise<number> {
  const t0 = performance.now();
  const src = { address: from.address, port: from.port };
  let sent = 0;
  for (let now = 0; now < ms; now = performance.now() - t0) {
    const due = Math.floor((now / 1000) * RATE);
    for (; sent < due; sent++) {
      const k = sent % 3;
      if (k === 2) from.send(port, garbage(sent));
      else from.send(port, uniqueRequest(k === 0 ? "OPTIONS" : "INVITE", src));
    }
    await sleep(4);
  }
  return sent;
}

/** An INVITE every 100 ms from a phone until `stop`; each answer's latency (its 486 ACKed). */
function inviteProbes(phone: UdpPeer, port: number): { latencies: () => number[]; stop: () => void } {
  const pending = new Map<string, { t0: number; raw: string }>();
  let out: number[] = [];
  phone.onResponse = (resp: SipResponse) => {
    const callId = resp.headers.get("Call-ID") ?? "";
    const p = pending.get(callId);
    if (!p || resp.status < 200) return;
    pending.delete(callId);
    out.push(performance.now() - p.t0);
    const ack = p.raw
      .replace(/^INVITE /, "ACK ")
      .replace(/^CSeq: 1 INVITE$/m, "CSeq: 1 ACK")
      .replace(/^To: .*$/m, `To: ${resp.headers.get("To")}`);
    phone.send(port, ack);
  };
  const timer = setInterval(() => {
    const raw = uniqueRequest("INVITE", { address: phone.address, port: phone.port });
    pending.set(/Call-ID: (\S+)/.exec(raw)?.[1] ?? "", { t0: performance.now(), raw });
    phone.send(port, raw);
  }, 100);
  return {
    latencies: () => {
      const r = out;
      out = [];
      return r;
    },
    stop: () => clearInterval(timer),
  };
}

export async function benchSipFlood(): Promise<void> {
  const seconds = Number(process.env.SIP_FLOOD_SECONDS ?? 5);
  let kamailio: Kamailio | undefined;
  let scripted: Awaited<ReturnType<typeof fakeRegistrar>> | undefined;
  try {
    kamailio = await startKamailio({ sipPort: await freePort(), ctlPort: await freePort() });
  } catch {
    // No Kamailio on this machine: a scripted registrar (200 at once, no digest) stands in.
    scripted = await fakeRegistrar("127.0.0.1");
  }
  const pbxPort = kamailio?.sipPort ?? scripted?.port ?? 0;
  const child: ChildProcess = spawn(process.execPath, [import.meta.path, "--target", JSON.stringify({ pbxPort })], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const next = async (prefix: string) => {
    for (;;) {
      const r = await lines.next();
      if (r.done) throw new Error(`sip-flood target ended before "${prefix}"`);
      if (r.value.startsWith(prefix)) return r.value.slice(prefix.length);
    }
  };
  const peers: UdpPeer[] = [];
  try {
    const port = Number(await next("ready "));
    const outsider = await UdpPeer.open("127.0.0.30");
    const flooder = await UdpPeer.open("127.0.0.2");
    const phone = await UdpPeer.open("127.0.0.3");
    const warmer = await UdpPeer.open("127.0.0.4");
    peers.push(outsider, flooder, phone, warmer);
    for (const p of peers) p.keep = 0;
    // The same mix for 2 s from another phone first: the parser, the stateless answers and the caps
    // get compiled (JIT) before the baseline, so that one-time cost is not counted as growth.
    await flood(warmer, port, 2000);
    const probes = inviteProbes(phone, port);
    const invites: Record<string, number[]> = {};
    const sent: Record<string, number> = {};
    const cmd = (s: string) => child.stdin?.write(`${s}\n`);
    await sleep(3000);
    for (const [name, from] of [
      ["baseline", undefined],
      ["outside", outsider],
      ["phones", flooder],
    ] as const) {
      probes.latencies();
      cmd(`phase ${name}`);
      if (from) sent[name] = await flood(from, port, seconds * 1000);
      else await sleep(seconds * 1000);
      invites[name] = probes.latencies();
    }
    probes.stop();
    cmd("phase after");
    await sleep(500);
    cmd("end");
    const stats = JSON.parse(await next("summary ")) as Record<string, PhaseStats>;
    report(stats, invites, sent, seconds, kamailio ? "Kamailio" : "scripted registrar");
  } finally {
    child.kill();
    await Promise.all(peers.map((p) => p.close()));
    await scripted?.close();
    await kamailio?.stop();
  }
}

function report(
  stats: Record<string, PhaseStats>,
  invites: Record<string, number[]>,
  sent: Record<string, number>,
  seconds: number,
  registrar: string,
): void {
  const base = stats.baseline;
  const ratio = (x: number, b: number) => (b > 0 ? `${fmt(x / b, 1)}×` : "–");
  const inv = (name: string, q: number) => quantile(invites[name] ?? [], q);
  const reg = (name: string, q: number) => quantile(stats[name]?.registerMs ?? [], q);
  console.log(
    `10,000 requests/s (OPTIONS, INVITE, garbage; every one new) for ${seconds} s a phase` +
      `${seconds < 30 ? " (SIP_FLOOD_SECONDS=30 for the full run)" : ""}; registrar: ${registrar}`,
  );
  line("baseline: RSS / CPU of one core", `${fmt(base.rssMaxMb, 0)} MB / ${fmt(base.cpuPercent, 1)} %`);
  line("baseline: INVITE → 486 p50 / p99, ms", `${fmt(inv("baseline", 0.5), 2)} / ${fmt(inv("baseline", 0.99), 2)}`);
  line(
    "baseline: REGISTER → registered p50 / p99, ms",
    `${fmt(reg("baseline", 0.5), 2)} / ${fmt(reg("baseline", 0.99), 2)}`,
  );
  for (const [name, title] of [
    ["outside", "from outside (dropped before parsing)"],
    ["phones", "from the phone network (allowed, not trusted)"],
  ] as const) {
    const s = stats[name];
    if (!s) continue;
    console.log(`  ${title}`);
    line("  requests sent / s", fmt(sent[name] / s.seconds, 0), `${fmt(RATE, 0)}`);
    line("  RSS growth (max − start of the phase), MB", fmt(s.rssMaxMb - s.rssStartMb, 1), "≤ 30");
    line("  RSS at the end of the phase − at its start, MB", fmt(s.rssEndMb - s.rssStartMb, 1));
    line("  RSS growth over the baseline's start, MB", fmt(s.rssMaxMb - base.rssStartMb, 1), "≤ 30");
    line("  CPU of one core (× baseline)", `${fmt(s.cpuPercent, 1)} % (${ratio(s.cpuPercent, base.cpuPercent)})`);
    line(
      "  INVITE → 486 p50 / p99, ms (× baseline)",
      `${fmt(inv(name, 0.5), 2)} / ${fmt(inv(name, 0.99), 2)} (${ratio(inv(name, 0.5), inv("baseline", 0.5))} / ${ratio(inv(name, 0.99), inv("baseline", 0.99))})`,
    );
    line(
      "  REGISTER → registered p50 / p99, ms (× baseline)",
      `${fmt(reg(name, 0.5), 2)} / ${fmt(reg(name, 0.99), 2)} (${ratio(reg(name, 0.5), reg("baseline", 0.5))} / ${ratio(reg(name, 0.99), reg("baseline", 0.99))})`,
    );
    line("  INVITEs answered / registrations done", `${invites[name]?.length ?? 0} / ${s.registerMs.length}`);
    // The warm-up's and the probes' transactions count too (they linger up to 32 s).
    line("  live server transactions, max", fmt(s.liveMax, 0), "≤ cap 4,096 (256 a source)");
    line(
      "  stateless / 503 / not allowed / malformed",
      `${fmt(s.stateless, 0)} / ${fmt(s.refused, 0)} / ${fmt(s.notAllowed, 0)} / ${fmt(s.malformed, 0)}`,
    );
    line("  log bytes written", fmt(s.logBytes, 0), "≤ 2 lines a kind a minute");
  }
}

if (import.meta.main) {
  const i = process.argv.indexOf("--target");
  if (i >= 0) await runTarget(process.argv[i + 1] ?? "{}");
  else await benchSipFlood();
}
