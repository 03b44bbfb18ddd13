/**
 * @module sip/rtp/media-tally
 * The appliance's media counters since start (`GET /api/v1/sip/ports`, `media`): calls with SRTP and
 * with plain RTP, and SRTP packets dropped by reason. One place sums them: each RtpSession reports
 * itself while it lives and hands in its final stats when it closes, so a snapshot is the ended
 * calls' totals plus the live calls' counters, and a call is counted once whenever it is read.
 *
 * A session counts as a call once the SDP pointed it somewhere (`setRemote`): one opened for an
 * INVITE that was then refused carried no media and counts as neither.
 */
import type { SrtpStats } from "./srtp-layer.ts";

export interface MediaCounters {
  /** Calls whose media was SRTP (ended and live). */
  callsSrtp: number;
  /** Calls whose media was plain RTP (ended and live). */
  callsRtp: number;
  /** Calls with media now. */
  callsLive: number;
  /** SRTP/SRTCP packets that failed authentication, summed over calls. */
  srtpAuthFailures: number;
  /** Replayed SRTP/SRTCP packets dropped. */
  srtpReplays: number;
  /** What arrived on an SRTP call's ports and was not SRTP (STUN, plain RTCP, garbage). */
  srtpNotSrtp: number;
}

/** What the tally reads from a session: whether it carried media, and its SRTP drops. */
export interface TalliedSession {
  readonly hasMedia: boolean;
  stats(): { srtp: SrtpStats | null };
}

export class MediaTally {
  private readonly live = new Set<TalliedSession>();
  private readonly ended: MediaCounters = zero();

  /** A session opened. */
  opened(s: TalliedSession): void {
    this.live.add(s);
  }

  /** A session closed: its counters join the totals (once). */
  closed(s: TalliedSession): void {
    if (!this.live.delete(s)) return;
    add(this.ended, s);
  }

  snapshot(): MediaCounters {
    const out = { ...this.ended };
    for (const s of this.live) {
      if (add(out, s)) out.callsLive++;
    }
    return out;
  }
}

function zero(): MediaCounters {
  return { callsSrtp: 0, callsRtp: 0, callsLive: 0, srtpAuthFailures: 0, srtpReplays: 0, srtpNotSrtp: 0 };
}

/** Adds one session to `to`; false when it carried no media (not a call). */
function add(to: MediaCounters, s: TalliedSession): boolean {
  if (!s.hasMedia) return false;
  const srtp = s.stats().srtp;
  if (!srtp) {
    to.callsRtp++;
    return true;
  }
  to.callsSrtp++;
  to.srtpAuthFailures += srtp.srtpAuthFailures;
  to.srtpReplays += srtp.srtpReplays;
  to.srtpNotSrtp += srtp.srtpNotSrtp;
  return true;
}
