/**
 * (p) The 24U Phone Companion compatible CTI server's event fan-out (issue 14 §4): the whole appliance
 * on the main thread (CTI server on 127.0.0.1, staff API taking the phones' callbacks, the real SNOM
 * client), and in a worker thread 200 simulated SNOM phones (src/sim/snom: 127.0.0.2…127.0.0.201,
 * one common port, Digest with the 24U phones file's user and password) and 100 STLI clients over
 * TCP (node:net). Phone p is monitored by the 10 channels c with c ≡ p (mod 10), so each channel
 * monitors 20 phones (2,000 MonitorStart commands, each pointing the phone's action URLs at the API).
 *
 * 1,000 scripted calls, 5 per phone, each incoming → answered → hung up by the far end, so each
 * fires 3 action URLs (incoming, connected, disconnected) → Delivered, Established,
 * ConnectionCleared (with 2 DeviceInformation lines) on each of the phone's 10 channels: 3,000
 * callbacks → 30,000 events, 50,000 lines. Twice:
 * - paced: a call starts every 1000/RATE ms (50/s; `CTI_RATE`), rings 150 ms, talks 300 ms;
 * - burst: every phone runs its 5 calls back to back, each step as soon as the phone's previous
 *   action URL was answered (200 callbacks in flight at most, as 200 phones can send).
 * Figures:
 * - fan-out latency: from the phone's action-URL GET going out (its TCP connect included, as a
 *   SNOM phone opens one connection per URL) to the event line read by each monitoring client,
 *   p50/p99/max over every (event, channel);
 * - no event lost: per channel, per phone, the k-th event line must be the phone's k-th action URL
 *   (the name matches, and the caller's number, unique per call); lines missing, extra or out of
 *   order are counted, DeviceInformation lines too; the appliance's callback counters;
 * - the action URL's own HTTP round trip (it answers after writing the lines);
 * - baseline of the same run: GET /api/v1/health from the same phone addresses on the same schedule
 *   (3 GETs per call at the moments its 3 action URLs went), its round trip p50/p99;
 * - the appliance thread's CPU per call (process.threadCpuUsage on the main thread).
 * Phones and clients share one worker thread, so its event loop is in the latency too (and is what a
 * burst saturates first). `CTI_CALLS` changes the number of calls (a multiple of 200). ~1 minute.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { startAppliance } from "../src/app/appliance.ts";
import { parseConfig } from "../src/config/load.ts";
import { silentLogger } from "../src/lib/logger.ts";
import { serve } from "../src/runtime/serve.ts";
import type { FiredAction } from "../src/sim/snom/model.ts";
import { phoneGet } from "../src/sim/snom/outbound.ts";
import type { SnomPhone } from "../src/sim/snom/phone.ts";
import { SnomSimulator } from "../src/sim/snom/simulator.ts";
import { fmt, line } from "./util.ts";

const ROLE = "cti-bench-phones";
const PHONES = 200;
const CHANNELS = 100;
const GROUPS = 10;
const FIRST_EXTENSION = 2001;
const USER = "cti";
const PASSWORD = "cti-bench-pw-3141";
const CALLS = Math.max(PHONES, Math.round((Number(process.env.CTI_CALLS) || 1000) / PHONES) * PHONES);
const RATE = Number(process.env.CTI_RATE) || 50;
const RING_MS = 150;
const TALK_MS = 300;
const MIGRATIONS = resolve(import.meta.dirname, "../migrations");

const wallNow = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function percentile(xs: number[], p: number): number {
  if (!xs.length) return Number.NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = a && typeof a === "object" ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

interface Quantiles {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

const quantiles = (xs: number[]): Quantiles => ({
  n: xs.length,
  p50: percentile(xs, 50),
  p99: percentile(xs, 99),
  max: xs.reduce((a, b) => Math.max(a, b), 0),
});

interface RunResult {
  label: string;
  calls: number;
  seconds: number;
  callbacks: number;
  callbacksFailed: number;
  latency: Quantiles;
  roundTrip: Quantiles;
  baseline: Quantiles;
  baselineFailed: number;
  expectedEvents: number;
  receivedEvents: number;
  missing: number;
  extra: number;
  mismatched: number;
  expectedInfo: number;
  receivedInfo: number;
  /** The phones' and clients' thread, during the calls. */
  workerCpuMs: number;
}

interface WorkerResult {
  setupSeconds: number;
  monitorFailed: number;
  runs: RunResult[];
}

// ─── the worker: phones and STLI clients ──────────────────────────────────────────────────────

interface EventLine {
  name: string;
  /** Delivered / Established: the calling party; ConnectionCleared: the releasing one. */
  party: string;
  at: number;
}

/** One STLI channel: replies in order, events by device with their arrival time. */
class Channel {
  readonly events = new Map<string, EventLine[]>();
  readonly info = new Map<string, number>();
  private readonly waiting: ((reply: string) => void)[] = [];
  private buffer = "";

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding("utf8");
    socket.setNoDelay(true);
    socket.on("data", (text: string) => this.onData(text, wallNow()));
    socket.on("error", () => {});
  }

  static connect(port: number): Promise<Channel> {
    return new Promise((res, rej) => {
      const s = net.createConnection({ host: "127.0.0.1", port });
      s.once("connect", () => res(new Channel(s)));
      s.once("error", rej);
    });
  }

  ask(command: string): Promise<string> {
    return new Promise((res) => {
      this.waiting.push(res);
      this.socket.write(`${command}\r\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(text: string, at: number): void {
    this.buffer += text;
    let i = this.buffer.indexOf("\n");
    while (i >= 0) {
      const l = this.buffer.slice(0, this.buffer[i - 1] === "\r" ? i - 1 : i);
      this.buffer = this.buffer.slice(i + 1);
      this.onLine(l, at);
      i = this.buffer.indexOf("\n");
    }
  }

  private onLine(l: string, at: number): void {
    if (l.startsWith("error_ind ")) {
      this.waiting.shift()?.(l);
      return;
    }
    const t = l.split(" ");
    const device = t[1] ?? "";
    if (t[0] === "DeviceInformation") {
      this.info.set(device, (this.info.get(device) ?? 0) + 1);
      return;
    }
    const party = t[0] === "ConnectionCleared" ? (t[3] ?? "") : (t[4] ?? "");
    let list = this.events.get(device);
    if (!list) {
      list = [];
      this.events.set(device, list);
    }
    list.push({ name: t[0] ?? "", party, at });
  }
}

const EVENT_OF: Record<string, string> = {
  incoming: "Delivered",
  connected: "Established",
  disconnected: "ConnectionCleared",
};

/** The user part of the action URL's `remote` parameter, as the CTI server reads it. */
function remoteOf(url: string): string {
  const r = new URL(url).searchParams.get("remote") ?? "";
  return r.replace(/^sips?:/, "").replace(/[@;].*$/, "");
}

const callerOf = (i: number) => `06${String(10_000_000 + i).slice(1)}`;

async function runWorker(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const sim = new SnomSimulator({
    phones: PHONES,
    firstExtension: FIRST_EXTENSION,
    user: USER,
    password: PASSWORD,
    auth: "digest",
    announce: false,
    actionTimeoutMs: 10_000,
    now: wallNow,
  });
  let addresses: { ip: string; port: number }[];
  try {
    addresses = await sim.listen(0, "127.0.0.2");
  } catch (err) {
    port.postMessage({ error: `the phones cannot listen: ${(err as Error).message}` });
    return;
  }
  port.once("message", async (m: { apiPort: number; ctiPort: number }) => {
    try {
      port.postMessage({ result: await measure(sim, m.apiPort, m.ctiPort) });
    } catch (err) {
      port.postMessage({ error: (err as Error).stack ?? String(err) });
    } finally {
      await sim.close();
    }
  });
  port.postMessage({
    ready: true,
    phones: sim.phones.map((p, i) => ({ extension: p.extension, ip: addresses[i]?.ip, port: addresses[i]?.port })),
  });
}

/** Which phones (indexes) channel c monitors. */
const monitoredBy = (c: number) => Array.from({ length: PHONES / GROUPS }, (_, k) => (c % GROUPS) + k * GROUPS);
/** Which channels monitor phone p. */
const monitorsOf = (p: number) => Array.from({ length: CHANNELS / GROUPS }, (_, k) => (p % GROUPS) + k * GROUPS);

async function measure(sim: SnomSimulator, apiPort: number, ctiPort: number): Promise<WorkerResult> {
  const channels: Channel[] = [];
  for (let c = 0; c < CHANNELS; c++) channels.push(await Channel.connect(ctiPort));
  try {
    for (const ch of channels) {
      const r = await ch.ask("STLI;Version=2");
      if (r !== "error_ind SUCCESS STLI") throw new Error(`handshake: ${r}`);
    }
    const t0 = wallNow();
    const replies = await Promise.all(
      channels.map((ch, c) =>
        Promise.all(monitoredBy(c).map((p) => ch.ask(`MonitorStart ${sim.phones[p]?.extension}`))),
      ),
    );
    const setupSeconds = (wallNow() - t0) / 1000;
    const monitorFailed = replies.flat().filter((r) => r !== "error_ind SUCCESS MonitorStart").length;
    const health = `http://127.0.0.1:${apiPort}/api/v1/health`;
    const runs = [await run(sim, channels, health, "paced"), await run(sim, channels, health, "burst")];
    return { setupSeconds, monitorFailed, runs };
  } finally {
    for (const ch of channels) ch.close();
  }
}

/** One call's three steps on a phone: the far end calls, the guest answers, the far end hangs up. */
function callSteps(phone: SnomPhone, i: number): (() => void)[] {
  let id = 0;
  return [
    () => {
      id = phone.incoming(callerOf(i)).id;
    },
    () => phone.answer(id),
    () => phone.remoteHangup(id),
  ];
}

async function schedule(
  kind: "paced" | "burst",
  steps: (i: number) => (() => void)[],
  idle: (p: number) => Promise<void>,
) {
  if (kind === "paced") {
    const start = wallNow() + 50;
    const gap = 1000 / RATE;
    const timers: Promise<void>[] = [];
    for (let i = 0; i < CALLS; i++) {
      const s = steps(i);
      const at = [0, RING_MS, RING_MS + TALK_MS].map((d) => start + i * gap + d);
      timers.push(
        (async () => {
          for (let k = 0; k < 3; k++) {
            const wait = (at[k] as number) - wallNow();
            if (wait > 0) await sleep(wait);
            s[k]?.();
          }
        })(),
      );
    }
    await Promise.all(timers);
    return;
  }
  // burst: every phone its calls back to back, each step once the previous one was answered.
  await Promise.all(
    Array.from({ length: PHONES }, async (_, p) => {
      for (let k = 0; k < CALLS / PHONES; k++) {
        for (const step of steps(k * PHONES + p)) {
          step();
          await idle(p);
        }
      }
    }),
  );
}

async function run(
  sim: SnomSimulator,
  channels: Channel[],
  health: string,
  kind: "paced" | "burst",
): Promise<RunResult> {
  const phones = sim.phones;
  const phoneOf = (i: number) => phones[i % PHONES] as SnomPhone;

  // Baseline first: the health route from the phones on the same schedule.
  const baseline: number[] = [];
  const failed = { n: 0 };
  const chains = new Map<number, Promise<void>>();
  await schedule(
    kind,
    (i) => {
      const p = i % PHONES;
      const phone = phoneOf(i);
      const one = () => {
        const prev = chains.get(p) ?? Promise.resolve();
        const next = prev.then(async () => {
          const t = wallNow();
          try {
            const r = await phoneGet(health, { timeoutMs: 10_000, listenHost: phone.ip });
            baseline.push(wallNow() - t);
            if (r.status !== 200) failed.n++;
          } catch {
            failed.n++;
          }
        });
        chains.set(p, next);
      };
      return [one, one, one];
    },
    (p) => chains.get(p) ?? Promise.resolve(),
  );
  await Promise.all(chains.values());

  // The calls.
  const firedFrom = phones.map((p) => p.fired.length);
  const linesFrom = channels.map((ch) => {
    const m = new Map<string, number>();
    for (const [d, l] of ch.events) m.set(d, l.length);
    return m;
  });
  const infoFrom = channels.map((ch) => new Map(ch.info));
  parentPort?.postMessage({ phase: `${kind}-start` });
  const cpu0 = process.threadCpuUsage();
  const t0 = wallNow();
  await schedule(
    kind,
    (i) => callSteps(phoneOf(i), i),
    (p) => (phones[p] as SnomPhone).actions.idle(),
  );
  await sim.idle();
  const expectedEvents = phones.reduce((n, p, i) => n + (p.fired.length - (firedFrom[i] ?? 0)) * GROUPS, 0);
  const received = () =>
    channels.reduce((n, ch, c) => {
      let k = 0;
      for (const [d, l] of ch.events) k += l.length - (linesFrom[c]?.get(d) ?? 0);
      return n + k;
    }, 0);
  // Every line should be there by now; give stragglers a moment, then count what is missing.
  const until = wallNow() + 5000;
  while (received() < expectedEvents && wallNow() < until) await sleep(20);
  const seconds = (wallNow() - t0) / 1000;
  const cpu = process.threadCpuUsage(cpu0);
  parentPort?.postMessage({ phase: `${kind}-end` });

  const latency: number[] = [];
  const roundTrip: number[] = [];
  let callbacks = 0;
  let callbacksFailed = 0;
  let missing = 0;
  let extra = 0;
  let mismatched = 0;
  let receivedEvents = 0;
  let expectedInfo = 0;
  let receivedInfo = 0;
  for (const [p, phone] of phones.entries()) {
    const fired: FiredAction[] = phone.fired.slice(firedFrom[p]);
    callbacks += fired.length;
    for (const a of fired) {
      if (a.status !== 200) callbacksFailed++;
      if (a.sentAt !== undefined && a.doneAt !== undefined) roundTrip.push(a.doneAt - a.sentAt);
    }
    const ext = phone.extension;
    const calls = fired.filter((a) => a.event === "incoming").length;
    for (const c of monitorsOf(p)) {
      const ch = channels[c] as Channel;
      const lines = (ch.events.get(ext) ?? []).slice(linesFrom[c]?.get(ext) ?? 0);
      receivedEvents += lines.length;
      if (lines.length > fired.length) extra += lines.length - fired.length;
      for (const [k, a] of fired.entries()) {
        const l = lines[k];
        if (!l) {
          missing++;
          continue;
        }
        const party = a.event === "disconnected" ? ext : remoteOf(a.url);
        if (l.name !== EVENT_OF[a.event] || l.party !== party) mismatched++;
        else if (a.sentAt !== undefined) latency.push(l.at - a.sentAt);
      }
      expectedInfo += 2 * calls;
      receivedInfo += (ch.info.get(ext) ?? 0) - (infoFrom[c]?.get(ext) ?? 0);
    }
  }
  return {
    label: kind,
    calls: CALLS,
    seconds,
    callbacks,
    callbacksFailed,
    latency: quantiles(latency),
    roundTrip: quantiles(roundTrip),
    baseline: quantiles(baseline),
    baselineFailed: failed.n,
    expectedEvents,
    receivedEvents,
    missing,
    extra,
    mismatched,
    expectedInfo,
    receivedInfo,
    workerCpuMs: (cpu.user + cpu.system) / 1000,
  };
}

// ─── the main thread: the appliance ───────────────────────────────────────────────────────────

interface Phones {
  worker: Worker;
  phones: { extension: string; ip: string; port: number }[];
  /** Runs the measurement; `onPhase` is called as each run's calls start and end. */
  result(apiPort: number, ctiPort: number, onPhase: (phase: string) => void): Promise<WorkerResult>;
}

function startPhones(): Promise<Phones> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: ROLE } });
  return new Promise((res, rej) => {
    worker.once("error", rej);
    worker.once("message", (m: { ready?: boolean; error?: string; phones?: Phones["phones"] }) => {
      if (m.error || !m.phones) {
        rej(new Error(m.error ?? "the phone worker did not start"));
        return;
      }
      res({
        worker,
        phones: m.phones,
        result: (apiPort, ctiPort, onPhase) =>
          new Promise((done, fail) => {
            const on = (r: { result?: WorkerResult; error?: string; phase?: string }) => {
              if (r.phase) {
                onPhase(r.phase);
                return;
              }
              worker.off("message", on);
              if (r.result) done(r.result);
              else fail(new Error(r.error ?? "no result"));
            };
            worker.on("message", on);
            worker.postMessage({ apiPort, ctiPort });
          }),
      });
    });
  });
}

const ms = (q: Quantiles) => `${fmt(q.p50, 2)}/${fmt(q.p99, 2)} ms`;

export async function benchCti(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bellhop-bench-cti-"));
  const phones = await startPhones();
  try {
    const phonesFile = join(dir, "24u-server.cfg");
    writeFileSync(
      phonesFile,
      [
        "serverPort = 26535",
        ...phones.phones.map(
          (p) => `phone=${p.extension}@${p.ip}:${p.port} snom-${p.extension}.cfg ${USER} ${PASSWORD}`,
        ),
        "",
      ].join("\n"),
    );
    const apiPort = await freePort();
    const app = await startAppliance({
      config: parseConfig({
        api: { listen: `127.0.0.1:${apiPort}` },
        pms: { port: await freePort() },
        companion: {
          listen: "127.0.0.1:0",
          networks: ["127.0.0.1/32"],
          phonesFile,
          callbackUrl: `http://127.0.0.1:${apiPort}`,
        },
      }),
      dataDir: dir,
      migrationsFolder: MIGRATIONS,
      logger: silentLogger,
      version: "bench",
      serve,
    });
    try {
      const cti = app.cti;
      if (!cti?.port) throw new Error("the CTI server did not start");
      if (cti.status().phonesFile?.phones !== PHONES) throw new Error("the phones file was not read");
      process.stderr.write(
        `  cti bench: ${PHONES} phones, ${CHANNELS} channels, ${CALLS} calls paced at ${RATE}/s then in a burst…\n`,
      );
      // The appliance thread's CPU during each run's calls (not the baseline's GETs).
      const cpuMs = new Map<string, number>();
      let mark = process.threadCpuUsage();
      const r = await phones.result(apiPort, cti.port, (phase) => {
        const [kind, edge] = phase.split("-");
        if (edge === "start") mark = process.threadCpuUsage();
        else {
          const d = process.threadCpuUsage(mark);
          cpuMs.set(kind as string, (d.user + d.system) / 1000);
        }
      });
      const st = cti.status();
      line(
        `${CHANNELS} channels × ${PHONES / GROUPS} MonitorStart (${(CHANNELS * PHONES) / GROUPS}, ${CHANNELS / GROUPS} per phone)`,
        `${fmt(r.setupSeconds, 2)} s`,
      );
      line("  MonitorStart answered ERROR", String(r.monitorFailed), "0");
      for (const x of r.runs) {
        const title =
          x.label === "paced"
            ? `${x.calls} calls at ${RATE}/s (ring ${RING_MS} ms, talk ${TALK_MS} ms)`
            : `${x.calls} calls in a burst (each phone back to back)`;
        line(title, `${fmt(x.seconds, 1)} s`);
        line(
          "  callbacks → events written (× 10 channels)",
          `${fmt(x.callbacks)} → ${fmt(x.receivedEvents)}`,
          `${fmt(x.callbacks)} → ${fmt(x.expectedEvents)}`,
        );
        line("  callbacks per second", fmt(x.callbacks / x.seconds));
        line("  fan-out latency p50/p99 (action URL out → line read)", ms(x.latency));
        line("  fan-out latency max", `${fmt(x.latency.max, 2)} ms`);
        line("  action URL round trip p50/p99", ms(x.roundTrip));
        line("  baseline: GET /api/v1/health, same schedule, p50/p99", ms(x.baseline));
        line("  events lost / extra / wrong or out of order", `${x.missing}/${x.extra}/${x.mismatched}`, "0/0/0");
        line("  DeviceInformation lines", `${fmt(x.receivedInfo)}`, fmt(x.expectedInfo));
        line("  callbacks or baseline GETs failed", `${x.callbacksFailed}/${x.baselineFailed}`, "0/0");
        const cpu = cpuMs.get(x.label) ?? Number.NaN;
        line(
          "  appliance thread CPU per call (3 callbacks, 50 lines)",
          `${fmt(cpu / x.calls, 3)} ms (${fmt((cpu / 1000 / x.seconds) * 100, 1)} % of a core)`,
        );
        line("  phones' and clients' thread CPU", `${fmt((x.workerCpuMs / 1000 / x.seconds) * 100, 1)} % of a core`);
      }
      line(
        "CTI server: callbacks accepted/refused, events delivered",
        `${fmt(st.callbacks.accepted)}/${st.callbacks.refused}, ${fmt(st.eventsDelivered)}`,
      );
      const drops = Object.entries(st.dropped)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
      line("  channels dropped", drops);
    } finally {
      await app.stop();
    }
  } finally {
    await phones.worker.terminate();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!isMainThread && (workerData as { role?: string } | undefined)?.role === ROLE) await runWorker();
else if (import.meta.main) await benchCti();
