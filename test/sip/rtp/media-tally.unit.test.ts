import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MediaTally, type TalliedSession } from "../../../src/sip/rtp/media-tally.ts";
import type { SrtpStats } from "../../../src/sip/rtp/srtp-layer.ts";

function session(hasMedia: boolean, srtp: Omit<SrtpStats, "suite"> | null): TalliedSession & { drops: typeof srtp } {
  const s = {
    hasMedia,
    drops: srtp,
    stats: () => ({ srtp: s.drops ? { suite: "AES_CM_128_HMAC_SHA1_80" as const, ...s.drops } : null }),
  };
  return s;
}

describe("MediaTally", () => {
  test("sums ended and live calls, each once; a session without media is no call", () => {
    const t = new MediaTally();
    const a = session(true, { srtpAuthFailures: 1, srtpReplays: 2, srtpNotSrtp: 3 });
    const b = session(true, null);
    const refused = session(false, null);
    for (const s of [a, b, refused]) t.opened(s);
    assert.deepEqual(t.snapshot(), {
      callsSrtp: 1,
      callsRtp: 1,
      callsLive: 2,
      srtpAuthFailures: 1,
      srtpReplays: 2,
      srtpNotSrtp: 3,
    });
    a.drops = { srtpAuthFailures: 5, srtpReplays: 2, srtpNotSrtp: 3 };
    t.closed(a);
    t.closed(a); // a second close adds nothing
    t.closed(refused);
    const c = session(true, { srtpAuthFailures: 0, srtpReplays: 1, srtpNotSrtp: 0 });
    t.opened(c);
    assert.deepEqual(t.snapshot(), {
      callsSrtp: 2,
      callsRtp: 1,
      callsLive: 2,
      srtpAuthFailures: 5,
      srtpReplays: 3,
      srtpNotSrtp: 3,
    });
    t.closed(b);
    t.closed(c);
    assert.equal(t.snapshot().callsLive, 0);
    assert.equal(t.snapshot().callsRtp, 1);
  });
});
