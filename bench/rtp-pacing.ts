/**
 * (h) 24 calls each playing a 10 s μ-law prompt, all started in the same millisecond (the top of a
 * wake-up hour, the worst case: every stream's frames fall due together), to plain UDP sockets on
 * 127.0.0.1. At the receivers: the gap between consecutive packets of a stream, as its deviation from
 * 20 ms (what a phone's jitter buffer has to absorb), and packets lost. At the sender: how late each
 * pacing timer fired against its frame's deadline, through a pacing clock that records both.
 *
 * The receivers run in a worker thread, as a phone runs on its own hardware: in the sender's event
 * loop a packet's arrival would be stamped only once the loop got round to it, adding the sender's
 * own scheduling delay to the figure a second time.
 */
import dgram from "node:dgram";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { type Clock, FakeClock, monotonicClock } from "../src/lib/clock.ts";
import { silentLogger } from "../src/lib/logger.ts";
import { linearToUlaw } from "../src/sip/rtp/g711.ts";
import { parseRtp } from "../src/sip/rtp/packet.ts";
import { RtpPortPool, RtpSession } from "../src/sip/rtp/session.ts";
import { fmt, line } from "./util.ts";

const STREAMS = 24;
const SECONDS = 10;
const FRAMES = SECONDS * 50;
const TARGET_P99_MS = 2;

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

/** monotonicClock, noting for every timer how long after its due time it fired. */
function recordingClock(): { clock: Clock; lateness: number[] } {
  const lateness: number[] = [];
  const clock: Clock = {
    now: monotonicClock.now,
    setTimeout(fn, ms) {
      const due = monotonicClock.now() + ms;
      return monotonicClock.setTimeout(() => {
        lateness.push(monotonicClock.now() - due);
        fn();
      }, ms);
    },
    clearTimeout: monotonicClock.clearTimeout,
  };
  return { clock, lateness };
}

const WORKER_ROLE = "rtp-pacing-receivers";

/** What one receiving socket saw: arrival times (ms, the worker's clock) and distinct sequence numbers. */
interface Heard {
  arrivals: number[];
  distinct: number;
}

/** Worker side: binds `n` sockets, posts their ports, and on any message posts what each heard. */
async function runReceivers(n: number): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const sockets: dgram.Socket[] = [];
  const heard: { arrivals: number[]; seqs: Set<number> }[] = [];
  for (let i = 0; i < n; i++) {
    const socket = dgram.createSocket("udp4");
    const h = { arrivals: [] as number[], seqs: new Set<number>() };
    socket.on("message", (msg: Uint8Array) => {
      const at = performance.now();
      const r = parseRtp(msg);
      if (!r.ok) return;
      h.arrivals.push(at);
      h.seqs.add(r.packet.sequence);
    });
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
    sockets.push(socket);
    heard.push(h);
  }
  port.on("message", () => {
    const out: Heard[] = heard.map((h) => ({ arrivals: h.arrivals, distinct: h.seqs.size }));
    for (const s of sockets) s.close();
    port.postMessage(out);
  });
  port.postMessage(sockets.map((s) => s.address().port));
}

function nextMessage<T>(w: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    w.once("message", resolve);
    w.once("error", reject);
  });
}

export async function benchRtpPacing(): Promise<void> {
  const base = 20000 + 2 * Math.floor(Math.random() * 4000);
  const ports = new RtpPortPool(base, base + 2 * (STREAMS + 50));
  const { clock: pacingClock, lateness } = recordingClock();
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: WORKER_ROLE, streams: STREAMS } });
  const sessions: RtpSession[] = [];
  try {
    const rxPorts = await nextMessage<number[]>(worker);
    for (const rxPort of rxPorts) {
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
      sessions.push(session);
    }
    const audio = tone(SECONDS);
    const t0 = performance.now();
    const results = await Promise.all(sessions.map((s) => s.play(audio)));
    const wall = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 100)); // the last packets in flight
    const heardBy = nextMessage<Heard[]>(worker);
    worker.postMessage("report");
    const streams = await heardBy;

    const deviations: number[] = [];
    let received = 0;
    for (const s of streams) {
      received += s.distinct;
      for (let i = 1; i < s.arrivals.length; i++) {
        deviations.push(Math.abs((s.arrivals[i] as number) - (s.arrivals[i - 1] as number) - 20));
      }
    }
    deviations.sort((a, b) => a - b);
    lateness.sort((a, b) => a - b);
    const sent = results.reduce((n, r) => n + r.packets, 0);
    const lost = STREAMS * FRAMES - received;
    const p99 = percentile(deviations, 99);
    const ms = (x: number) => fmt(x, 2);

    line(`${STREAMS} concurrent ${SECONDS} s prompts, packets sent / received`, `${sent} / ${received}`);
    line("  packets lost", String(lost), "0");
    line(
      "  |inter-arrival − 20 ms|, p50/p99/max, ms",
      `${ms(percentile(deviations, 50))} / ${ms(p99)} / ${ms(deviations.at(-1) ?? Number.NaN)}`,
    );
    line(`  p99 deviation ≤ ${TARGET_P99_MS} ms, no loss`, p99 <= TARGET_P99_MS && lost === 0 ? "PASS" : "FAIL");
    line(
      "  sender: send − deadline, p50/p99/max, ms",
      `${ms(percentile(lateness, 50))} / ${ms(percentile(lateness, 99))} / ${ms(lateness.at(-1) ?? Number.NaN)}`,
    );
    line("  wall time, first to last frame of 24, s", fmt(wall / 1000, 3), fmt(((FRAMES - 1) * 20) / 1000, 2));
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
    await worker.terminate();
  }
}

if (!isMainThread && workerData?.role === WORKER_ROLE) await runReceivers(workerData.streams);
else if (import.meta.main) await benchRtpPacing();
