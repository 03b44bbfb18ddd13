/**
 * (k) SRTP cost on one core: a 20 ms PCMU frame (160-byte payload) packetized, protected by one
 * context and unprotected by another (the far end's view), in a tight loop on this thread, next to
 * plain RTP packetization of the same payload measured in the same run (the baseline). Per suite,
 * and for the default suite protect and unprotect alone. "Share of a core per call" is 50 packets a
 * second each way at the measured rate.
 */
import { randomBytes } from "node:crypto";
import { buildRtp } from "../src/sip/rtp/packet.ts";
import { SRTP_SUITES, SrtpContext, type SrtpSuite } from "../src/sip/rtp/srtp/index.ts";
import { fmt, line, median } from "./util.ts";

const N = 20_000;
const RUNS = 5;
const PAYLOAD = Uint8Array.from({ length: 160 }, (_, i) => (i * 37) & 0xff);
const SUITES: SrtpSuite[] = [
  "AES_CM_128_HMAC_SHA1_80",
  "AES_CM_128_HMAC_SHA1_32",
  "AES_256_CM_HMAC_SHA1_80",
  "AEAD_AES_128_GCM",
  "AEAD_AES_256_GCM",
];

/** Packets per second of `round` (which handles packet `i`), median of RUNS after a warm-up. */
function rate(round: (i: number) => void): number {
  for (let i = 0; i < N / 4; i++) round(i);
  const runs: number[] = [];
  let i = N / 4;
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    for (let k = 0; k < N; k++) round(i++);
    runs.push(N / ((performance.now() - t) / 1000));
  }
  return median(runs);
}

const packet = (i: number) =>
  buildRtp({ payloadType: 0, sequence: i & 0xffff, timestamp: (i * 160) >>> 0, ssrc: 0x1234abcd }, PAYLOAD);

function contexts(suite: SrtpSuite): { tx: SrtpContext; rx: SrtpContext } {
  const s = SRTP_SUITES[suite];
  const key = Uint8Array.from(randomBytes(s.keyLength + s.saltLength));
  return { tx: new SrtpContext(suite, key), rx: new SrtpContext(suite, key) };
}

export function benchSrtp(): void {
  let sink = 0;
  const plain = rate((i) => {
    sink += packet(i).length;
  });
  line("plain RTP packetization (baseline), packets/s", fmt(plain));
  // The ratio is time per packet against the baseline's: what SRTP adds to building the packet.
  const per = (pps: number) => `${fmt(pps)} (${fmt(plain / pps, 1)}×)`;
  console.log("round trip = packetize + protect + unprotect; (×) = time per packet over the baseline's");
  for (const suite of SUITES) {
    const { tx, rx } = contexts(suite);
    const both = rate((i) => {
      const r = rx.unprotectRtp(tx.protectRtp(packet(i)));
      if (!r.ok) throw new Error(`${suite}: ${r.reason}`);
      sink += r.packet.length;
    });
    line(`${suite} round trip, packets/s`, per(both));
    if (suite === "AES_CM_128_HMAC_SHA1_80") {
      // One call: 50 frames a second protected, 50 unprotected.
      line("  share of one core per call (50 pps each way)", `${fmt((50 / both) * 100, 3)} %`);
    }
  }
  // After the suites, so the sealed packets' garbage does not weigh on their comparison.
  const suite = "AES_CM_128_HMAC_SHA1_80";
  const tx = contexts(suite).tx;
  const protect = rate((i) => {
    sink += tx.protectRtp(packet(i)).length;
  });
  // Unprotect alone reads packets sealed beforehand (as many as rate() asks for), untimed.
  const sender = contexts(suite);
  const sealed = Array.from({ length: N / 4 + N * RUNS }, (_, i) => sender.tx.protectRtp(packet(i)));
  let k = 0;
  const unprotect = rate(() => {
    const r = sender.rx.unprotectRtp(sealed[k++]);
    if (!r.ok) throw new Error(`unprotect: ${r.reason}`);
  });
  line(`${suite} packetize + protect, packets/s`, per(protect));
  line(`${suite} unprotect, packets/s`, fmt(unprotect));
  if (sink === 0) console.log("(nothing measured)");
}

if (import.meta.main) benchSrtp();
