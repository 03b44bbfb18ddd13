/**
 * The answering phone of the wake-up storm (i): one UDP SIP address that answers every INVITE it is
 * sent, for as many extensions as are registered to it (the storm registers 300 with sipp from the
 * same port first), the way bench/../test/peers/fixtures/sipp/uas-guest-phone.xml does — 180 at once,
 * 200 OK 0.5 s later (retransmitted until the ACK), RFC 4733 "1" 1 s after the ACK and "#" 0.6 s
 * after that, 200 OK to the caller's BYE — but built on our own SIP message and SDP code, so it can
 * answer SRTP (sipp cannot): with `srtp` it takes only `RTP/SAVP` offers, answers the strongest
 * offered suite with its own fresh key (sdesAnswerOffer, as our inbound calls do), protects its key
 * presses and authenticates every packet the caller sends (counted: authentication failures must be
 * 0). Without `srtp` it answers plain `RTP/AVP`, so the plain storm of the same run is comparable.
 *
 * It runs in a worker thread: a phone has its own CPU, and its packet handling must not be stamped on
 * the appliance's event loop. Its SIP is as small as the bench needs: UDP only, no authentication,
 * responses to the packet's source (Kamailio), the Record-Route echoed in its answers.
 */
import dgram from "node:dgram";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import {
  buildErrorResponse,
  parseMessage,
  type SipRequest,
  type SipResponse,
  serialize,
} from "../src/sip/message/index.ts";
import { buildDtmfPackets } from "../src/sip/rtp/dtmf.ts";
import { parseRtp } from "../src/sip/rtp/packet.ts";
import { isRtcpPacket, SrtpContext } from "../src/sip/rtp/srtp/index.ts";
import { buildAnswer, formatSdp, negotiate, parseSdp, sdesAnswerOffer, sdesTransports } from "../src/sip/sdp/index.ts";

const ROLE = "bench-guest-phone";
const ANSWER_MS = 500;
const FIRST_KEY_MS = 1000;
const SECOND_KEY_MS = 600;
const T1 = 500;

export interface GuestPhoneOptions {
  /** The UDP port the extensions are registered to (127.0.0.1). */
  port: number;
  /** Answer SRTP only (RTP/SAVP + a=crypto), else plain RTP only. */
  srtp: boolean;
}

export interface GuestPhoneStats {
  invites: number;
  /** INVITEs refused (488): an offer this phone's mode cannot take. */
  refused: number;
  /** 200 OKs acknowledged. */
  answered: number;
  byes: number;
  /** Suites answered, by name (SRTP), or `rtp`. */
  media: Record<string, number>;
  /** Packets from the callers that parsed (and, with SRTP, authenticated). */
  rtpIn: number;
  authFailures: number;
  replays: number;
  /** Dropped for another reason (not RTP, too short). */
  otherDrops: number;
  /** DTMF packets sent. */
  dtmfOut: number;
}

export interface GuestPhone {
  stats(): Promise<GuestPhoneStats>;
  /** Stops the phone and gives its final counters. */
  stop(): Promise<GuestPhoneStats>;
}

interface Setup extends GuestPhoneOptions {
  role: typeof ROLE;
}

/** Starts the phone in a worker thread; resolves once its SIP port is bound. */
export async function startGuestPhone(o: GuestPhoneOptions): Promise<GuestPhone> {
  const setup: Setup = { ...o, role: ROLE };
  const worker = new Worker(new URL(import.meta.url), { workerData: setup });
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
  const ready = await next<{ ready: true } | { error: string }>();
  if ("error" in ready) {
    await worker.terminate();
    throw new Error(`guest phone: ${ready.error}`);
  }
  let stopped: Promise<GuestPhoneStats> | null = null;
  return {
    async stats() {
      const r = next<GuestPhoneStats>();
      worker.postMessage("stats");
      return r;
    },
    stop() {
      stopped ??= (async () => {
        const r = next<GuestPhoneStats>();
        worker.postMessage("stop");
        const s = await r;
        await worker.terminate();
        return s;
      })();
      return stopped;
    },
  };
}

interface Call {
  /** The final response, resent for a retransmitted INVITE. */
  last: SipResponse | null;
  acked: boolean;
  ended: boolean;
  media: dgram.Socket | null;
  /** Schedules the key presses; set once the 200 OK is built. */
  pressKeys: (() => void) | null;
  timers: ReturnType<typeof setTimeout>[];
}

const random32 = () => crypto.getRandomValues(new Uint32Array(1))[0] as number;

async function runPhone(o: Setup): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const stats: GuestPhoneStats = {
    invites: 0,
    refused: 0,
    answered: 0,
    byes: 0,
    media: {},
    rtpIn: 0,
    authFailures: 0,
    replays: 0,
    otherDrops: 0,
    dtmfOut: 0,
  };
  const calls = new Map<string, Call>();
  const sip = dgram.createSocket("udp4");
  try {
    await new Promise<void>((resolve, reject) => {
      sip.once("error", reject);
      sip.bind(o.port, "127.0.0.1", () => resolve());
    });
  } catch (err) {
    port.postMessage({ error: `cannot bind 127.0.0.1:${o.port}: ${(err as Error).message}` });
    return;
  }
  sip.on("error", () => {});
  const contact = `<sip:guest@127.0.0.1:${o.port}>`;

  const end = (call: Call) => {
    call.ended = true;
    for (const t of call.timers) clearTimeout(t);
    call.timers = [];
    const m = call.media;
    call.media = null;
    if (m) setTimeout(() => m.close(), 200); // the caller's last packets still count
  };

  const invite = async (req: SipRequest, to: dgram.RemoteInfo) => {
    const send = (resp: SipResponse) => sip.send(serialize(resp), to.port, to.address);
    const callId = req.callId;
    const known = calls.get(callId);
    if (known) {
      if (known.last) send(known.last);
      return;
    }
    stats.invites++;
    const call: Call = { last: null, acked: false, ended: false, media: null, pressKeys: null, timers: [] };
    calls.set(callId, call);
    const tag = crypto.randomUUID().slice(0, 8);
    const response = (status: number, reason: string) => {
      const r = buildErrorResponse(req, status, reason, { toTag: tag });
      for (const rr of req.headers.getAll("Record-Route")) r.headers.append("Record-Route", rr);
      r.headers.append("Contact", contact);
      return r;
    };
    const refuse = (warning: number) => {
      stats.refused++;
      const r = buildErrorResponse(req, 488, "Not Acceptable Here", { toTag: tag });
      r.headers.append("Warning", `${warning} guest "bench phone"`);
      call.last = r;
      call.ended = true;
      send(r);
    };
    const offer = parseSdp(new TextDecoder().decode(req.body));
    if (!offer.ok) return refuse(305);
    const policy = o.srtp ? "mandatory" : "off";
    const neg = negotiate(offer.sdp, { preferred: ["PCMU", "PCMA"], transports: sdesTransports(policy, "offer") });
    if (!neg.ok) return refuse(neg.warning);
    const sdes = sdesAnswerOffer(policy, offer.sdp.media[neg.mediaIndex] as (typeof offer.sdp.media)[number]);
    if (!sdes.ok) return refuse(sdes.warning);
    const media = dgram.createSocket("udp4");
    media.on("error", () => {});
    await new Promise<void>((resolve) => media.bind(0, "127.0.0.1", () => resolve()));
    call.media = media;
    const keys = sdes.keys;
    const rx = keys ? new SrtpContext(keys.suite, keys.remote.bytes) : null;
    const tx = keys ? new SrtpContext(keys.suite, keys.local.key.bytes) : null;
    const mediaName = keys ? keys.suite : "rtp";
    stats.media[mediaName] = (stats.media[mediaName] ?? 0) + 1;
    media.on("message", (msg: Uint8Array) => {
      let bytes = msg;
      if (rx) {
        // SRTCP goes to the port above this one (the first report 5 s into a call, longer than the
        // storm's calls): RTCP here is another call's, on a port that happens to be its RTP + 1.
        if (isRtcpPacket(msg)) {
          stats.otherDrops++;
          return;
        }
        const r = rx.unprotectRtp(msg);
        if (!r.ok) {
          if (r.reason === "auth") stats.authFailures++;
          else if (r.reason === "replay") stats.replays++;
          else stats.otherDrops++;
          return;
        }
        bytes = r.packet;
      }
      if (parseRtp(bytes).ok) stats.rtpIn++;
      else stats.otherDrops++;
    });
    const answer = buildAnswer(
      offer.sdp,
      neg,
      { address: "127.0.0.1", port: media.address().port, sessionId: random32(), version: 1 },
      sdes.attributes,
    );
    send(response(180, "Ringing"));
    call.timers.push(
      setTimeout(() => {
        if (call.ended) return;
        const ok = response(200, "OK");
        ok.headers.append("Content-Type", "application/sdp");
        ok.body = new TextEncoder().encode(formatSdp(answer));
        call.last = ok;
        // Until the ACK: T1, 2·T1, … (RFC 3261 §13.3.1.4), at most 7 times.
        const resend = (n: number, wait: number) => {
          if (call.acked || call.ended) return;
          send(ok);
          if (n < 7) call.timers.push(setTimeout(() => resend(n + 1, wait * 2), wait));
        };
        resend(0, T1);
      }, ANSWER_MS),
    );
    call.pressKeys = () => {
      const ssrc = random32();
      let seq = random32() & 0xffff;
      let timestamp = random32();
      const press = (digit: string) => {
        const packets = buildDtmfPackets(digit, {
          pt: neg.dtmf?.pt ?? 101,
          ssrc,
          seq,
          timestamp,
          durationMs: 100,
        });
        seq = (seq + packets.length) & 0xffff;
        timestamp = (timestamp + 8000) >>> 0;
        packets.forEach((p, i) => {
          call.timers.push(
            setTimeout(() => {
              if (call.ended || !call.media) return;
              const wire = tx ? tx.protectRtp(p) : p;
              call.media.send(wire, neg.remote.port, neg.remote.address);
              stats.dtmfOut++;
            }, i * 20),
          );
        });
      };
      call.timers.push(setTimeout(() => press("1"), FIRST_KEY_MS));
      call.timers.push(setTimeout(() => press("#"), FIRST_KEY_MS + SECOND_KEY_MS));
    };
  };

  sip.on("message", (bytes: Uint8Array, rinfo: dgram.RemoteInfo) => {
    const parsed = parseMessage(bytes);
    if (!parsed.ok || parsed.message.kind !== "request") return;
    const req = parsed.message;
    const send = (resp: SipResponse) => sip.send(serialize(resp), rinfo.port, rinfo.address);
    const call = calls.get(req.callId);
    switch (req.method) {
      case "INVITE":
        invite(req, rinfo).catch(() => {});
        return;
      case "ACK":
        if (call && !call.acked && call.last?.status === 200) {
          call.acked = true;
          stats.answered++;
          call.pressKeys?.();
        }
        return;
      case "BYE":
        if (call && !call.ended) {
          stats.byes++;
          end(call);
        }
        send(buildErrorResponse(req, call ? 200 : 481, call ? "OK" : "Call/Transaction Does Not Exist"));
        return;
      case "CANCEL":
        send(buildErrorResponse(req, 200, "OK"));
        if (call && !call.acked && !call.ended) end(call);
        return;
      default:
        send(buildErrorResponse(req, 200, "OK"));
    }
  });

  port.on("message", (what: string) => {
    if (what === "stop") {
      for (const call of calls.values()) end(call);
      sip.close();
    }
    port.postMessage({ ...stats, media: { ...stats.media } });
  });
  port.postMessage({ ready: true });
}

if (!isMainThread && (workerData as Setup | undefined)?.role === ROLE) await runPhone(workerData as Setup);
