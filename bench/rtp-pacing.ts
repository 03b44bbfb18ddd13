/**
 * (h) 24 calls each playing a 10 s μ-law prompt, all started in the same millisecond (the top of a
 * wake-up hour, the worst case: every stream's frames fall due together), to plain UDP sockets on
 * 127.0.0.1 — first as plain RTP (the baseline), then the same again with SRTP
 * (AES_CM_128_HMAC_SHA1_80, Zoom's default suite, a fresh key per call) in the same run. At the
 * receivers: the gap between consecutive packets of a stream, as its deviation from 20 ms (what a
 * phone's jitter buffer has to absorb), and packets lost; with SRTP every packet is unprotected with
 * the call's key and the failures counted (authentication, replay, other: all must be 0), and the
 * SRTCP sender reports arriving on RTP + 1 are authenticated too. At the sender, through a pacing
 * clock that records them: how many pacing timers fired (one per 20 ms for all 24 streams, their
 * shared ticker: src/sip/rtp/ticker.ts) and how late each fired against its deadline; and the CPU
 * time of the sending thread (pacing, packetizing, protecting, sending) per call.
 *
 * The receivers run in a worker thread, as a phone runs on its own hardware: in the sender's event
 * loop a packet's arrival would be stamped only once the loop got round to it, adding the sender's
 * own scheduling delay to the figure a second time. Its CPU is not in the per-call figure. They use
 * the appliance's media sockets (runtime/udp.ts: on Bun, Bun.udpSocket without node:dgram's layer) and only
 * stamp each datagram and copy it into storage allocated up front: the worker's own collector,
 * which garbage per datagram would set off, stalls all 24 streams' stamps at once, and that would be
 * the receiver's jitter, not the sender's.
 */
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { type Clock, FakeClock, monotonicClock } from "../src/lib/clock.ts";
import { silentLogger } from "../src/lib/logger.ts";
import { mediaUdp } from "../src/runtime/udp.ts";
import { linearToUlaw } from "../src/sip/rtp/g711.ts";
import { parseRtp } from "../src/sip/rtp/packet.ts";
import { RtpPortPool, RtpSession } from "../src/sip/rtp/session.ts";
import { isRtcpPacket, SRTP_SUITES, SrtpContext, type SrtpSuite } from "../src/sip/rtp/srtp/index.ts";
import { PREWAKE_MS } from "../src/sip/rtp/ticker.ts";
import { bindUdp, setDefaultUdpFactory, type UdpSocket } from "../src/sip/rtp/udp.ts";
import { fmt, line } from "./util.ts";

// As main.ts does, in both threads: the sender's sessions and the receivers on the runtime's sockets.
setDefaultUdpFactory(mediaUdp());

const STREAMS = 24;
const SECONDS = 10;
const FRAMES = SECONDS * 50;
const TARGET_P99_MS = 2;
const SUITE: SrtpSuite = "AES_CM_128_HMAC_SHA1_80";

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** A 440 Hz tone at −12 dBFS, so the payloads are not all one byte. */
function tone(seconds: number): Uint8Array {
  const pcm = new Int16Array(seconds * 8000);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
  return linearToUlaw(pcm);
}

/**
 * monotonicClock, noting for every pacing timer how long after its due time it fired. Timers of
 * more than 100 ms (the SRTCP reports' 5 s) are not frames and are not noted; the ticker's pre-wake
 * (set right after its tick's timer, PREWAKE_MS earlier: see ticker.ts) is only counted.
 */
function recordingClock(): { clock: Clock; lateness: number[]; prewakes: { n: number } } {
  const lateness: number[] = [];
  const prewakes = { n: 0 };
  let lastMs = Number.NaN;
  const clock: Clock = {
    now: monotonicClock.now,
    setTimeout(fn, ms) {
      if (ms > 100) return monotonicClock.setTimeout(fn, ms);
      const prewake = ms === lastMs - PREWAKE_MS;
      lastMs = ms;
      if (prewake) {
        prewakes.n++;
        return monotonicClock.setTimeout(fn, ms);
      }
      const due = monotonicClock.now() + ms;
      return monotonicClock.setTimeout(() => {
        lateness.push(monotonicClock.now() - due);
        fn();
      }, ms);
    },
    clearTimeout: monotonicClock.clearTimeout,
  };
  return { clock, lateness, prewakes };
}

const WORKER_ROLE = "rtp-pacing-receivers";
/** Room for one datagram in a receiver's store: an RTP frame is 172 octets, 182 with an SRTP tag. */
const SLOT_BYTES = 256;

interface ReceiverSetup {
  role: typeof WORKER_ROLE;
  streams: number;
  /** Packets each stream is expected to carry: the size of its preallocated store. */
  frames: number;
  /** SRTP: the suite and each stream's sender key ‖ salt; null for plain RTP. */
  srtp: { suite: SrtpSuite; keys: Uint8Array[] } | null;
}

/** What one receiving socket pair saw. */
interface Heard {
  /** Arrival times (ms, the worker's clock) of the packets taken. */
  arrivals: number[];
  /** Distinct sequence numbers taken. */
  distinct: number;
  authFailures: number;
  replays: number;
  /** Dropped for another reason (too short, not RTP). */
  otherDrops: number;
  /** SRTCP reports authenticated / refused on RTP + 1. */
  rtcpOk: number;
  rtcpFailed: number;
}

/** The receivers' sockets are the appliance's own kind (udp.ts): on Bun, no node:dgram layer. */
function bind(port: number): Promise<UdpSocket | null> {
  return bindUdp("udp4", "127.0.0.1", port).catch(() => null);
}

/** An even RTP port and the RTCP port above it, both free. */
async function bindPair(): Promise<[UdpSocket, UdpSocket]> {
  for (;;) {
    const rtp = await bind(0);
    if (!rtp) continue;
    const rtcp = rtp.port % 2 === 0 ? await bind(rtp.port + 1) : null;
    if (rtcp) return [rtp, rtcp];
    await rtp.close();
  }
}

/** Worker side: binds `n` port pairs, posts their RTP ports, and on any message posts what each heard. */
async function runReceivers(setup: ReceiverSetup): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const sockets: UdpSocket[] = [];
  const heard: (Heard & { seqs: Set<number> })[] = [];
  /** Per stream: reads what it queued (see below). */
  const open: (() => void)[] = [];
  for (let i = 0; i < setup.streams; i++) {
    const [rtp, rtcp] = await bindPair();
    const h = {
      arrivals: [] as number[],
      seqs: new Set<number>(),
      distinct: 0,
      authFailures: 0,
      replays: 0,
      otherDrops: 0,
      rtcpOk: 0,
      rtcpFailed: 0,
    };
    const key = setup.srtp?.keys[i];
    const ctx = setup.srtp && key ? new SrtpContext(setup.srtp.suite, key) : null;
    // Only stamped and copied as they arrive; unprotected and parsed when the run is over. One
    // thread receives all 24 streams: work per packet here would delay the stamp of every packet
    // queued behind it, which a phone (one stream, its own CPU) does not see. The stamps and bytes
    // go into arrays allocated up front, so the datagram is garbage at once and nothing survives
    // into the worker's collections: its GC pauses would otherwise delay the stamps of every stream.
    const slots = setup.frames + 64;
    const at = new Float64Array(slots);
    const lengths = new Int32Array(slots);
    const store = new Uint8Array(slots * SLOT_BYTES);
    let n = 0;
    let overflow = 0;
    rtp.onMessage = (msg) => {
      if (n === slots || msg.length > SLOT_BYTES) {
        overflow++;
        return;
      }
      at[n] = performance.now();
      lengths[n] = msg.length;
      store.set(msg, n * SLOT_BYTES);
      n++;
    };
    open.push(() => {
      h.otherDrops += overflow;
      for (let k = 0; k < n; k++) {
        let bytes: Uint8Array = store.subarray(k * SLOT_BYTES, k * SLOT_BYTES + (lengths[k] as number));
        if (ctx) {
          const r = ctx.unprotectRtp(bytes);
          if (!r.ok) {
            if (r.reason === "auth") h.authFailures++;
            else if (r.reason === "replay") h.replays++;
            else h.otherDrops++;
            continue;
          }
          bytes = r.packet;
        }
        const r = parseRtp(bytes);
        if (!r.ok) {
          h.otherDrops++;
          continue;
        }
        h.arrivals.push(at[k] as number);
        h.seqs.add(r.packet.sequence);
      }
    });
    rtcp.onMessage = (msg) => {
      if (ctx && isRtcpPacket(msg) && ctx.unprotectRtcp(msg).ok) h.rtcpOk++;
      else h.rtcpFailed++;
    };
    sockets.push(rtp, rtcp);
    heard.push(h);
  }
  port.on("message", () => {
    for (const f of open) f();
    const out: Heard[] = heard.map(({ seqs, ...h }) => ({ ...h, distinct: seqs.size }));
    for (const s of sockets) s.close();
    port.postMessage(out);
  });
  port.postMessage(heard.map((_, i) => (sockets[2 * i] as UdpSocket).port));
}

function nextMessage<T>(w: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    w.once("message", resolve);
    w.once("error", reject);
  });
}

interface PacingResult {
  sent: number;
  received: number;
  lost: number;
  deviations: number[];
  lateness: number[];
  /** Pre-wake timers set (ticker.ts): one per tick. */
  prewakes: number;
  wallMs: number;
  /** CPU time of the sending thread while the prompts played, ms. */
  senderCpuMs: number;
  authFailures: number;
  replays: number;
  otherDrops: number;
  rtcpOk: number;
  rtcpFailed: number;
}

async function runPacing(srtp: boolean, seconds = SECONDS): Promise<PacingResult> {
  const base = 20000 + 2 * Math.floor(Math.random() * 4000);
  const ports = new RtpPortPool(base, base + 2 * (STREAMS + 50));
  const { clock: pacingClock, lateness, prewakes } = recordingClock();
  const s = SRTP_SUITES[SUITE];
  const keys = Array.from({ length: STREAMS }, () => Uint8Array.from(randomBytes(s.keyLength + s.saltLength)));
  const setup: ReceiverSetup = {
    role: WORKER_ROLE,
    streams: STREAMS,
    frames: seconds * 50,
    srtp: srtp ? { suite: SUITE, keys } : null,
  };
  const worker = new Worker(new URL(import.meta.url), { workerData: setup });
  const sessions: RtpSession[] = [];
  try {
    const rxPorts = await nextMessage<number[]>(worker);
    for (const [i, rxPort] of rxPorts.entries()) {
      const session = await RtpSession.open({
        bind: "127.0.0.1",
        ports,
        clock: new FakeClock(),
        pacingClock,
        logger: silentLogger,
      });
      session.setRemote({
        address: "127.0.0.1",
        port: rxPort,
        codec: "PCMU",
        payloadType: 0,
        dtmfPayloadType: 101,
      });
      if (srtp) {
        // The remote key only checks what the receivers would send back: they send nothing.
        const remote = Uint8Array.from(randomBytes(s.keyLength + s.saltLength));
        session.setSrtp({ suite: SUITE, local: keys[i] as Uint8Array, remote, rtcpMux: false });
      }
      sessions.push(session);
    }
    const audio = tone(seconds);
    const cpu0 = process.threadCpuUsage();
    const t0 = performance.now();
    const results = await Promise.all(sessions.map((x) => x.play(audio)));
    const wallMs = performance.now() - t0;
    const cpu = process.threadCpuUsage(cpu0);
    await new Promise((r) => setTimeout(r, 100)); // the last packets in flight
    const heardBy = nextMessage<Heard[]>(worker);
    worker.postMessage("report");
    const streams = await heardBy;

    const deviations: number[] = [];
    const sum = (f: (h: Heard) => number) => streams.reduce((n, h) => n + f(h), 0);
    for (const h of streams) {
      for (let i = 1; i < h.arrivals.length; i++) {
        deviations.push(Math.abs((h.arrivals[i] as number) - (h.arrivals[i - 1] as number) - 20));
      }
    }
    deviations.sort((a, b) => a - b);
    lateness.sort((a, b) => a - b);
    const received = sum((h) => h.distinct);
    return {
      sent: results.reduce((n, r) => n + r.packets, 0),
      received,
      lost: STREAMS * seconds * 50 - received,
      deviations,
      lateness,
      prewakes: prewakes.n,
      wallMs,
      senderCpuMs: (cpu.user + cpu.system) / 1000,
      authFailures: sum((h) => h.authFailures),
      replays: sum((h) => h.replays),
      otherDrops: sum((h) => h.otherDrops),
      rtcpOk: sum((h) => h.rtcpOk),
      rtcpFailed: sum((h) => h.rtcpFailed),
    };
  } finally {
    await Promise.all(sessions.map((x) => x.close()));
    await worker.terminate();
  }
}

const ms = (x: number) => fmt(x, 2);
/** Share of one core per call, %. */
const perCall = (r: PacingResult) => (r.senderCpuMs / r.wallMs / STREAMS) * 100;

/** `clean`: with SRTP, whether nothing was dropped at the receivers (null: plain RTP). */
function report(name: string, r: PacingResult, clean: boolean | null): void {
  const p99 = percentile(r.deviations, 99);
  line(`${name}: packets sent / received`, `${r.sent} / ${r.received}`);
  line("  packets lost", String(r.lost), "0");
  line(
    "  |inter-arrival − 20 ms|, p50/p99/max, ms",
    `${ms(percentile(r.deviations, 50))} / ${ms(p99)} / ${ms(r.deviations.at(-1) ?? Number.NaN)}`,
  );
  line(
    "  sender: pacing timers per 20 ms, ticks + pre-wakes",
    `${fmt(r.lateness.length / (FRAMES - 1), 2)} + ${fmt(r.prewakes / (FRAMES - 1), 2)}`,
  );
  line(
    "  sender: timer fired − deadline, p50/p99/max, ms",
    `${ms(percentile(r.lateness, 50))} / ${ms(percentile(r.lateness, 99))} / ${ms(r.lateness.at(-1) ?? Number.NaN)}`,
  );
  line("  wall time, first to last frame of 24, s", fmt(r.wallMs / 1000, 3), fmt(((FRAMES - 1) * 20) / 1000, 2));
  line("  sender thread CPU per call, % of one core", fmt(perCall(r), 3));
  line(
    `  p99 deviation ≤ ${TARGET_P99_MS} ms, no loss${clean === null ? "" : ", no SRTP drop"}`,
    p99 <= TARGET_P99_MS && r.lost === 0 && clean !== false ? "PASS" : "FAIL",
  );
}

export async function benchRtpPacing(): Promise<void> {
  console.log(`${STREAMS} concurrent ${SECONDS} s prompts, plain RTP (baseline) then SRTP ${SUITE}`);
  // Other programs on the machine's cores push the deviations up: say how busy it was.
  line("machine load average (1 min) before the run", fmt(loadavg()[0] ?? 0, 2));
  // A 1 s round of each first, untimed: the first run would otherwise pay the JIT for both. Its
  // garbage is collected and its worker gone before the runs that count (else the plain run's
  // median deviation doubles).
  await runPacing(false, 1);
  await runPacing(true, 1);
  globalThis.Bun?.gc(true);
  await new Promise((r) => setTimeout(r, 500));
  const plain = await runPacing(false);
  report("plain RTP (baseline)", plain, null);
  const srtp = await runPacing(true);
  line(
    "SRTP: auth failures / replays / other drops",
    `${srtp.authFailures} / ${srtp.replays} / ${srtp.otherDrops}`,
    "0",
  );
  line("  SRTCP reports authenticated / refused", `${srtp.rtcpOk} / ${srtp.rtcpFailed}`, "> 0 / 0");
  const clean = srtp.authFailures + srtp.replays + srtp.otherDrops + srtp.rtcpFailed === 0 && srtp.rtcpOk > 0;
  report("SRTP", srtp, clean);
  line(
    "SRTP / plain: p99 deviation, sender CPU per call",
    `${fmt(percentile(srtp.deviations, 99) / percentile(plain.deviations, 99), 2)}× / ${fmt(perCall(srtp) / perCall(plain), 2)}×`,
  );
}

if (!isMainThread && (workerData as ReceiverSetup | undefined)?.role === WORKER_ROLE) {
  await runReceivers(workerData as ReceiverSetup);
} else if (import.meta.main) await benchRtpPacing();
