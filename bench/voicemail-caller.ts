/**
 * The callers and the room phone of the voicemail bench (./voicemail.ts), in a worker thread: callers
 * and phones have their own CPUs, and their packet handling must not be stamped on the appliance's
 * event loop (nor counted in its CPU).
 *
 * Callers: a small UAC on our own SIP message and SDP code, UDP only, one SIP socket for every call
 * (as a PBX trunk would forward them). Each call is an INVITE to the appliance's SIP port, Request-URI
 * the access number 600, with `Diversion: <sip:<room>@127.0.0.1>;reason=no-answer` (a guest's
 * extension forwarded on no answer: a deposit for that room), offering PCMU/PCMA + telephone-event;
 * ACK for the 200 (again for each retransmitted 200); then it waits for the beep, streams the
 * message's μ-law as 20 ms PCMU packets paced against absolute deadlines (one timer for all calls),
 * and sends BYE `HANGUP_GAP_MS` after the last packet.
 *
 * Waiting for the beep: the appliance plays the greeting, then the beep (src/voice/tone.ts, 1 kHz for
 * 250 ms = 13 frames, each `play` a new talkspurt with the marker bit), and starts recording in the
 * same event-loop turn as it sends the beep's last frame. A caller recognises the beep by its first
 * frame's bytes (a marker packet whose payload is exactly the beep's first 160 bytes) and starts
 * speaking 20 ms after the beep's last frame has arrived (or 400 ms after its first, if one were
 * lost). Greeting language and length do not matter, and nothing sent can fall before the recorder.
 *
 * Room phone: one UDP SIP address that every room's phone address points at; it answers each NOTIFY
 * 200 and notes its Request-URI user (the room's extension), the Voice-Message counts and the time.
 *
 * Times are `performance.timeOrigin + performance.now()` (ms, sub-ms precision); the main thread
 * measures the offset between its clock and this one (`clock` op) before comparing them.
 */
import dgram from "node:dgram";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import {
  buildErrorResponse,
  formatNameAddr,
  newTag,
  parseMessage,
  type SipRequest,
  type SipResponse,
  serialize,
  sipUri,
  type Uri,
} from "../src/sip/message/index.ts";
import { encodeUlaw } from "../src/sip/rtp/g711.ts";
import { buildOffer, formatSdp, negotiate, parseSdp } from "../src/sip/sdp/index.ts";
import { startRequest } from "../src/sip/ua/request.ts";
import { beep } from "../src/voice/tone.ts";

const ROLE = "bench-voicemail-caller";
const HOST = "127.0.0.1";
const FRAME_MS = 20;
const FRAME_BYTES = 160;
const T1 = 500;
/** A call that has not heard the beep this long after its 200 OK fails (and hangs up). */
const BEEP_TIMEOUT_MS = 30_000;
/** Speaking starts this long after the beep's last frame arrived. */
const AFTER_BEEP_MS = 20;
/** Fallback when a beep frame went missing: speak this long after its first frame. */
const BEEP_FALLBACK_MS = 400;
/**
 * The phone hangs up this long after its last packet (`VM_HANGUP_GAP_MS`, default 20: a phone's next
 * frame time). When many calls hang up at once the appliance may read a BYE before RTP that arrived
 * earlier; the recorder takes late audio for a grace period after the hang-up (voice/sip-channel.ts).
 */
export const HANGUP_GAP_MS = Number(process.env.VM_HANGUP_GAP_MS) || 20;
/** Frames sent back to back at most when the worker fell behind (as the appliance's pacer). */
const MAX_BURST = 3;

export const now = (): number => performance.timeOrigin + performance.now();

/** One caller leaving one message. */
export interface CallSpec {
  id: number;
  /** The room's extension, in the Diversion header. */
  room: string;
  /** Length of the message, a multiple of 20 ms. */
  ms: number;
  /** Seed of the message's audio (speechLike). */
  seed: number;
}

export interface CallResult {
  id: number;
  room: string;
  ok: boolean;
  error?: string;
  inviteAt: number;
  answeredAt: number;
  /** When the beep's last frame arrived (or the fallback fired). */
  beepAt: number;
  /** Packets from the appliance before the beep ended (greeting and beep). */
  promptPackets: number;
  streamStartAt: number;
  /** The last frame sent. */
  streamEndAt: number;
  framesSent: number;
  /** Worst lateness of a frame against its deadline, ms (this thread's pacing). */
  lateMaxMs: number;
  byeAt: number;
  byeOkAt: number;
}

export interface NotifySeen {
  /** Request-URI user: the room's extension. */
  user: string;
  waiting: boolean;
  newMessages: number;
  oldMessages: number;
  at: number;
}

export interface Callers {
  /** Where every room's phone address points (127.0.0.1:port). */
  phonePort: number;
  /** Generates the calls' audio ahead (so it is not made, nor counted, while calls run). */
  prepare(specs: CallSpec[]): Promise<void>;
  /** Places the calls at once to the appliance's SIP port; resolves when all ended. */
  place(specs: CallSpec[], target: { address: string; port: number }): Promise<CallResult[]>;
  /** Drops the calls' audio (kept until then, so RSS measured around the calls does not see it go). */
  forget(specs: CallSpec[]): Promise<void>;
  /** NOTIFYs the phone took since the last call (drained). */
  notifies(): Promise<NotifySeen[]>;
  /** This thread's CPU time (µs). */
  cpu(): Promise<{ user: number; system: number }>;
  /** This thread's clock minus the caller's, ms (the best of a few round trips). */
  clockOffset(): Promise<number>;
  stop(): Promise<void>;
}

/** A tiny seeded PRNG (mulberry32): the same message for the same seed in either thread. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `ms` of speech-like μ-law: "syllables" of 150–350 ms (a voiced tone, 100–260 Hz with two
 * harmonics and a gliding pitch, −14 dBFS peak, 10 ms ramps) separated by 30–90 ms pauses of quiet
 * noise (±40 of 32767: silence to the sound meter, yet never the 0xFF a recorder fills gaps with).
 * It ends on a syllable, so a recorder's trailing-silence trim keeps all of it; the pauses are far
 * from the 5 s that end a recording. Every sample carries a little dither, so no two 20 ms frames
 * are alike and each frame of a recording can be checked against what was sent.
 */
export function speechLike(seed: number, ms: number): Uint8Array {
  const rand = prng(seed);
  const n = Math.round(ms * 8);
  const out = new Uint8Array(n);
  const minSyllable = 150 * 8;
  const peak = 32767 * 10 ** (-14 / 20);
  const ramp = 10 * 8;
  let i = 0;
  while (i < n) {
    let len = Math.round((150 + rand() * 200) * 8);
    const gap = Math.round((30 + rand() * 60) * 8);
    if (n - (i + len) < gap + minSyllable) len = n - i;
    const f0 = 100 + rand() * 160;
    const glide = (rand() - 0.5) * 60;
    let phase = 0;
    for (let k = 0; k < len; k++) {
      const f = f0 + (glide * k) / len;
      phase += (2 * Math.PI * f) / 8000;
      const edge = Math.min(k, len - 1 - k);
      const gain = edge < ramp ? edge / ramp : 1;
      const v = (Math.sin(phase) + 0.5 * Math.sin(2 * phase) + 0.25 * Math.sin(3 * phase)) / 1.75;
      out[i + k] = encodeUlaw(Math.round(peak * gain * v + (rand() - 0.5) * 6));
    }
    i += len;
    const end = Math.min(n, i + gap);
    for (; i < end; i++) out[i] = encodeUlaw(Math.round((rand() - 0.5) * 80));
  }
  return out;
}

/** Starts the callers and the room phone in a worker thread. */
export async function startCallers(): Promise<Callers> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: ROLE } });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let failed: Error | null = null;
  const failAll = (err: Error) => {
    failed = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on("error", (err) => failAll(err instanceof Error ? err : new Error(String(err))));
  worker.on("exit", () => failAll(new Error("the caller worker exited")));
  let onReady: ((m: { phonePort: number } | { error: string }) => void) | null = null;
  worker.on("message", (m: { rid?: number; value?: unknown; ready?: boolean; phonePort?: number; error?: string }) => {
    if (m.rid === undefined) {
      onReady?.(m.error ? { error: m.error } : { phonePort: m.phonePort as number });
      return;
    }
    const p = pending.get(m.rid);
    if (!p) return;
    pending.delete(m.rid);
    if (m.error) p.reject(new Error(m.error));
    else p.resolve(m.value);
  });
  const ready = await new Promise<{ phonePort: number } | { error: string }>((r) => {
    onReady = r;
  });
  if ("error" in ready) {
    await worker.terminate();
    throw new Error(`voicemail callers: ${ready.error}`);
  }
  const request = <T>(op: string, args: Record<string, unknown> = {}): Promise<T> => {
    if (failed) return Promise.reject(failed);
    const rid = ++nextId;
    return new Promise<T>((resolve, reject) => {
      pending.set(rid, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ op, rid, ...args });
    });
  };
  let stopped: Promise<void> | null = null;
  return {
    phonePort: ready.phonePort,
    prepare: (specs) => request("prepare", { specs }),
    place: (specs, target) => request("place", { specs, target }),
    forget: (specs) => request("forget", { specs }),
    notifies: () => request("notifies"),
    cpu: () => request("cpu"),
    async clockOffset() {
      let best = { rtt: Number.POSITIVE_INFINITY, offset: 0 };
      for (let i = 0; i < 12; i++) {
        const t0 = now();
        const w = await request<number>("clock");
        const t1 = now();
        if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: w - (t0 + t1) / 2 };
      }
      return best.offset;
    },
    stop() {
      stopped ??= (async () => {
        await request("stop").catch(() => {});
        await worker.terminate();
      })();
      return stopped;
    },
  };
}

// ─── the worker ────────────────────────────────────────────────────────────────────────────────

/** A stream the shared pacer sends for. */
interface Stream {
  due: number;
  /** Sends the frame due at `due`; false once the last one went. */
  next(t: number): boolean;
}

/** One timer for every call's frames, against absolute deadlines (like the appliance's pacer). */
class Pacer {
  private readonly streams = new Set<Stream>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedFor = Number.POSITIVE_INFINITY;

  add(s: Stream): void {
    this.streams.add(s);
    if (s.due < this.armedFor) this.arm(s.due);
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = at;
    this.timer = setTimeout(() => this.tick(), Math.max(0, at - now()));
  }

  private tick(): void {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const t = now();
    let next = Number.POSITIVE_INFINITY;
    for (const s of this.streams) {
      let burst = 0;
      while (s.due <= t && burst < MAX_BURST) {
        burst++;
        if (!s.next(t)) {
          this.streams.delete(s);
          break;
        }
      }
      if (this.streams.has(s)) next = Math.min(next, s.due);
    }
    if (next < Number.POSITIVE_INFINITY) this.arm(next);
  }
}

interface Dialog {
  callId: string;
  fromTag: string;
  /** The INVITE's final response handler and the ACK to resend for a retransmitted 200. */
  onInviteResponse: (r: SipResponse) => void;
  onByeResponse: (r: SipResponse) => void;
  ack: Uint8Array | null;
  /** The appliance sent BYE. */
  remoteBye: () => void;
}

async function runWorker(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const bind = (s: dgram.Socket) =>
    new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.bind(0, HOST, () => {
        s.off("error", reject);
        resolve();
      });
    });
  const sip = dgram.createSocket("udp4");
  const phone = dgram.createSocket("udp4");
  try {
    await bind(sip);
    await bind(phone);
  } catch (err) {
    port.postMessage({ error: `cannot bind: ${(err as Error).message}` });
    return;
  }
  sip.on("error", () => {});
  phone.on("error", () => {});
  const sipPort = sip.address().port;
  const pacer = new Pacer();
  const audio = new Map<number, Uint8Array>();
  const dialogs = new Map<string, Dialog>();
  let notifies: NotifySeen[] = [];
  const beepAudio = beep();
  const beepFirst = beepAudio.subarray(0, FRAME_BYTES);
  const beepFrames = Math.ceil(beepAudio.length / FRAME_BYTES);

  // The room phone: 200 to every request, NOTIFYs noted.
  phone.on("message", (bytes: Uint8Array, rinfo: dgram.RemoteInfo) => {
    const at = now();
    const parsed = parseMessage(bytes);
    if (!parsed.ok || parsed.message.kind !== "request") return;
    const req = parsed.message;
    if (req.method === "NOTIFY") {
      const body = new TextDecoder().decode(req.body);
      const vm = /Voice-Message:\s*(\d+)\/(\d+)/i.exec(body);
      notifies.push({
        user: req.uri.kind === "sip" ? (req.uri.user ?? "") : "",
        waiting: /Messages-Waiting:\s*yes/i.test(body),
        newMessages: vm ? Number(vm[1]) : -1,
        oldMessages: vm ? Number(vm[2]) : -1,
        at,
      });
    }
    if (req.method !== "ACK") phone.send(serialize(buildErrorResponse(req, 200, "OK")), rinfo.port, rinfo.address);
  });

  // The callers' SIP socket: responses go to their dialog; the appliance's BYE is answered.
  sip.on("message", (bytes: Uint8Array, rinfo: dgram.RemoteInfo) => {
    const parsed = parseMessage(bytes);
    if (!parsed.ok) return;
    const m = parsed.message;
    const d = dialogs.get(m.callId);
    if (m.kind === "response") {
      if (!d) return;
      if (m.cseq.method === "INVITE") d.onInviteResponse(m);
      else if (m.cseq.method === "BYE") d.onByeResponse(m);
      return;
    }
    if (m.method === "ACK") return;
    const ok = m.method !== "BYE" || d !== undefined;
    sip.send(
      serialize(buildErrorResponse(m, ok ? 200 : 481, ok ? "OK" : "Call/Transaction Does Not Exist")),
      rinfo.port,
      rinfo.address,
    );
    if (m.method === "BYE") d?.remoteBye();
  });

  const local = { address: HOST, port: sipPort, transport: "udp" as const };

  const placeCall = async (spec: CallSpec, target: { address: string; port: number }): Promise<CallResult> => {
    const r: CallResult = {
      id: spec.id,
      room: spec.room,
      ok: false,
      inviteAt: 0,
      answeredAt: 0,
      beepAt: 0,
      promptPackets: 0,
      streamStartAt: 0,
      streamEndAt: 0,
      framesSent: 0,
      lateMaxMs: 0,
      byeAt: 0,
      byeOkAt: 0,
    };
    const samples = audio.get(spec.id) ?? speechLike(spec.seed, spec.ms);
    const media = dgram.createSocket("udp4");
    media.on("error", () => {});
    await bind(media);
    const callId = `${crypto.randomUUID()}@${HOST}`;
    const fromTag = newTag();
    const caller = `06${String(1_000_000 + spec.id).slice(1)}`;
    const fromUri = sipUri(HOST, { user: caller, port: sipPort });
    const timers: ReturnType<typeof setTimeout>[] = [];
    let remoteEnded = false;
    /** Set once answered: ends the call from our side (a call that failed after the answer too). */
    let hangUp: (() => Uint8Array) | null = null;
    let wakeRemote: (() => void) | null = null;
    const d: Dialog = {
      callId,
      fromTag,
      onInviteResponse: () => {},
      onByeResponse: () => {},
      ack: null,
      remoteBye: () => {
        remoteEnded = true;
        wakeRemote?.();
      },
    };
    dialogs.set(callId, d);
    const send = (msg: SipRequest) => sip.send(serialize(msg), target.port, target.address);
    try {
      // INVITE, retransmitted (T1, 2·T1, …) until a response.
      const inviteUri = sipUri(target.address, { user: "600", port: target.port });
      const invite = startRequest({
        method: "INVITE",
        uri: inviteUri,
        from: { uri: fromUri, tag: fromTag },
        to: { uri: sipUri(target.address, { user: "600" }) },
        callId,
        cseq: 1,
        local,
      });
      invite.headers.append("Contact", `<sip:${caller}@${HOST}:${sipPort}>`);
      invite.headers.append("Diversion", `<sip:${spec.room}@${HOST}>;reason=no-answer`);
      invite.headers.append("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS");
      invite.headers.append("User-Agent", "bellhop-bench-vm-caller");
      invite.headers.append("Content-Type", "application/sdp");
      const offer = buildOffer({ address: HOST, port: media.address().port, sessionId: spec.id + 1, version: 1 });
      invite.body = new TextEncoder().encode(formatSdp(offer));
      const inviteBytes = serialize(invite);
      const answered = await new Promise<SipResponse>((resolve, reject) => {
        let heard = false;
        const retransmit = (wait: number) => {
          if (heard) return;
          if (wait > 16_000) {
            reject(new Error("no answer to the INVITE"));
            return;
          }
          sip.send(inviteBytes, target.port, target.address);
          timers.push(setTimeout(() => retransmit(wait * 2), wait));
        };
        d.onInviteResponse = (resp) => {
          heard = true;
          if (resp.status < 200) return;
          if (resp.status >= 300) {
            // ACK for a failure: same branch, the response's To.
            const ack = startRequest({
              method: "ACK",
              uri: inviteUri,
              from: { uri: fromUri, tag: fromTag },
              to: { uri: sipUri(target.address, { user: "600" }) },
              callId,
              cseq: 1,
              local,
            });
            ack.headers.set("Via", invite.headers.get("Via") as string);
            ack.headers.set("To", resp.headers.get("To") as string);
            send(ack);
            reject(new Error(`INVITE answered ${resp.status} ${resp.reason}`));
            return;
          }
          resolve(resp);
        };
        r.inviteAt = now();
        retransmit(T1);
      });
      r.answeredAt = now();
      const toTag = answered.to.tag;
      const contact = answered.contacts === "*" ? undefined : answered.contacts[0];
      const remoteTarget: Uri = contact?.uri ?? inviteUri;
      const toValue = formatNameAddr({ uri: sipUri(target.address, { user: "600" }), tag: toTag });
      const inDialog = (method: string, cseq: number) => {
        const req = startRequest({
          method,
          uri: remoteTarget as ReturnType<typeof sipUri>,
          from: { uri: fromUri, tag: fromTag },
          to: { uri: sipUri(target.address, { user: "600" }) },
          callId,
          cseq,
          local,
        });
        req.headers.set("To", toValue);
        return req;
      };
      hangUp = () => serialize(inDialog("BYE", 2));
      d.ack = serialize(inDialog("ACK", 1));
      sip.send(d.ack, target.port, target.address);
      // A retransmitted 200 (our ACK lost or late) gets the same ACK again.
      d.onInviteResponse = (resp) => {
        if (resp.status === 200 && d.ack) sip.send(d.ack, target.port, target.address);
      };
      const answer = parseSdp(new TextDecoder().decode(answered.body));
      if (!answer.ok) throw new Error(`unusable SDP answer: ${answer.reason}`);
      const neg = negotiate(answer.sdp, { preferred: ["PCMU"] });
      if (!neg.ok) throw new Error(`the answer has no PCMU: ${neg.reason}`);
      const remote = neg.remote;

      // The greeting plays; the beep's first frame is recognised by its bytes, its last by count.
      await new Promise<void>((resolve, reject) => {
        let beepSeq = -1;
        let done = false;
        const go = () => {
          if (done) return;
          done = true;
          r.beepAt = now();
          resolve();
        };
        timers.push(
          setTimeout(() => {
            if (!done) reject(new Error(`no beep within ${BEEP_TIMEOUT_MS / 1000} s of the answer`));
            done = true;
          }, BEEP_TIMEOUT_MS),
        );
        wakeRemote = () => {
          if (!done) reject(new Error("the appliance hung up before the beep"));
          done = true;
        };
        media.on("message", (p: Uint8Array) => {
          if (done || p.length < 12 || p[0] >> 6 !== 2) return;
          r.promptPackets++;
          const seq = ((p[2] as number) << 8) | (p[3] as number);
          const marker = ((p[1] as number) & 0x80) !== 0;
          const offset = 12 + 4 * ((p[0] as number) & 0x0f);
          if (
            marker &&
            p.length - offset >= FRAME_BYTES &&
            equalBytes(p.subarray(offset, offset + FRAME_BYTES), beepFirst)
          ) {
            beepSeq = seq;
            timers.push(setTimeout(go, BEEP_FALLBACK_MS));
          }
          if (beepSeq >= 0 && ((seq - beepSeq) & 0xffff) === beepFrames - 1) go();
        });
      });
      if (remoteEnded) throw new Error("the appliance hung up");

      // The message: PCMU frames on absolute deadlines, then BYE HANGUP_GAP_MS after the last.
      const frames = Math.ceil(samples.length / FRAME_BYTES);
      const ssrc = crypto.getRandomValues(new Uint32Array(1))[0] as number;
      let seq = crypto.getRandomValues(new Uint16Array(1))[0] as number;
      const ts0 = crypto.getRandomValues(new Uint32Array(1))[0] as number;
      const pt = neg.codec.pt;
      await new Promise<void>((resolve) => {
        const start = now() + AFTER_BEEP_MS;
        let k = 0;
        const stream: Stream = {
          due: start,
          next(t) {
            if (remoteEnded) {
              resolve();
              return false;
            }
            if (k === 0) r.streamStartAt = t;
            r.lateMaxMs = Math.max(r.lateMaxMs, t - stream.due);
            const pkt = new Uint8Array(12 + FRAME_BYTES);
            const ts = (ts0 + k * FRAME_BYTES) >>> 0;
            pkt[0] = 0x80;
            pkt[1] = (k === 0 ? 0x80 : 0) | pt;
            pkt[2] = seq >> 8;
            pkt[3] = seq & 0xff;
            pkt[4] = ts >>> 24;
            pkt[5] = (ts >>> 16) & 0xff;
            pkt[6] = (ts >>> 8) & 0xff;
            pkt[7] = ts & 0xff;
            pkt[8] = ssrc >>> 24;
            pkt[9] = (ssrc >>> 16) & 0xff;
            pkt[10] = (ssrc >>> 8) & 0xff;
            pkt[11] = ssrc & 0xff;
            const from = k * FRAME_BYTES;
            const n = Math.min(FRAME_BYTES, samples.length - from);
            pkt.set(samples.subarray(from, from + n), 12);
            if (n < FRAME_BYTES) pkt.fill(0xff, 12 + n);
            media.send(pkt, remote.port, remote.address);
            r.framesSent++;
            seq = (seq + 1) & 0xffff;
            k++;
            stream.due = start + k * FRAME_MS;
            if (k < frames) return true;
            r.streamEndAt = t;
            resolve();
            return false;
          },
        };
        pacer.add(stream);
      });
      if (remoteEnded) throw new Error("the appliance hung up during the message");
      await new Promise((res) => setTimeout(res, HANGUP_GAP_MS));

      // BYE, retransmitted until answered.
      const bye = (hangUp as () => Uint8Array)();
      hangUp = null;
      await new Promise<void>((resolve, reject) => {
        let answeredBye = false;
        d.onByeResponse = (resp) => {
          if (resp.status < 200 || answeredBye) return;
          answeredBye = true;
          r.byeOkAt = now();
          if (resp.status >= 300) reject(new Error(`BYE answered ${resp.status} ${resp.reason}`));
          else resolve();
        };
        const retransmit = (wait: number, total: number) => {
          if (answeredBye) return;
          if (total > 32_000) {
            reject(new Error("no answer to the BYE"));
            return;
          }
          sip.send(bye, target.port, target.address);
          timers.push(setTimeout(() => retransmit(Math.min(wait * 2, 4000), total + wait), wait));
        };
        r.byeAt = now();
        retransmit(T1, 0);
      });
      r.ok = true;
    } catch (err) {
      r.error = (err as Error).message;
      // Answered, then something went wrong: free the appliance's port (one BYE, its answer not awaited).
      if (hangUp && !remoteEnded) sip.send((hangUp as () => Uint8Array)(), target.port, target.address);
    } finally {
      for (const t of timers) clearTimeout(t);
      // The 200's retransmissions and a late answer still find the dialog for a moment.
      setTimeout(() => dialogs.delete(callId), 2000);
      media.close();
    }
    return r;
  };

  port.on(
    "message",
    async (m: { op: string; rid: number; specs?: CallSpec[]; target?: { address: string; port: number } }) => {
      const reply = (value: unknown) => port.postMessage({ rid: m.rid, value });
      try {
        switch (m.op) {
          case "prepare":
            for (const s of m.specs ?? []) if (!audio.has(s.id)) audio.set(s.id, speechLike(s.seed, s.ms));
            reply(null);
            return;
          case "place": {
            const specs = m.specs ?? [];
            const results = await Promise.all(
              specs.map((s) => placeCall(s, m.target as { address: string; port: number })),
            );
            reply(results);
            return;
          }
          case "forget":
            for (const s of m.specs ?? []) audio.delete(s.id);
            reply(null);
            return;
          case "notifies": {
            const out = notifies;
            notifies = [];
            reply(out);
            return;
          }
          case "cpu":
            reply(process.threadCpuUsage());
            return;
          case "clock":
            reply(now());
            return;
          case "stop":
            sip.close();
            phone.close();
            reply(null);
            return;
          default:
            port.postMessage({ rid: m.rid, error: `unknown op ${m.op}` });
        }
      } catch (err) {
        port.postMessage({ rid: m.rid, error: (err as Error).message });
      }
    },
  );
  port.postMessage({ ready: true, phonePort: phone.address().port });
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

if (!isMainThread && (workerData as { role?: string } | undefined)?.role === ROLE) await runWorker();
