import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { afterEach, describe, test } from "node:test";
import { FakeClock } from "../../../src/lib/clock.ts";
import { silentLogger } from "../../../src/lib/logger.ts";
import { RtpPortPool, RtpSession } from "../../../src/sip/rtp/session.ts";
import { bindUdp, dgramUdp, setDefaultUdpFactory, type UdpFactory, type UdpSocket } from "../../../src/sip/rtp/udp.ts";
import { udpContract } from "./udp-contract.ts";

udpContract("node:dgram", dgramUdp);

const opened: { close(): unknown }[] = [];
afterEach(async () => {
  setDefaultUdpFactory(dgramUdp);
  for (const s of opened.splice(0)) await s.close();
});

/** dgramUdp, noting every port it was asked to bind. */
function counting(): { factory: UdpFactory; ports: number[] } {
  const ports: number[] = [];
  return {
    ports,
    factory: (type, address, port) => {
      ports.push(port);
      return dgramUdp(type, address, port);
    },
  };
}

const pool = (o: { udp?: UdpFactory } = {}) => {
  const base = 20000 + 2 * Math.floor(Math.random() * 5000);
  return new RtpPortPool(base, base + 198, o);
};

async function waitFor(what: string, cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe("media socket openers", () => {
  test("bindUdp uses the default opener, which the composition root may replace", async () => {
    const c = counting();
    setDefaultUdpFactory(c.factory);
    const s: UdpSocket = await bindUdp("udp4", "127.0.0.1", 0);
    opened.push(s);
    assert.deepEqual(c.ports, [0]);
  });

  test("an opener given to the port pool opens the sessions' RTP and SRTCP sockets", async () => {
    const c = counting();
    const fallback = counting();
    setDefaultUdpFactory(fallback.factory);
    const s = await RtpSession.open({
      bind: "127.0.0.1",
      ports: pool({ udp: c.factory }),
      clock: new FakeClock(),
      logger: silentLogger,
    });
    opened.push(s);
    assert.deepEqual(c.ports, [s.local.port]);
    const key = () => new Uint8Array(randomBytes(30));
    s.setSrtp({ suite: "AES_CM_128_HMAC_SHA1_80", local: key(), remote: key(), rtcpMux: false });
    await waitFor("the RTCP bind", () => c.ports.length === 2);
    assert.deepEqual(c.ports, [s.local.port, s.local.port + 1]);
    assert.deepEqual(fallback.ports, []);
  });

  test("a pool without an opener takes the default at bind time", async () => {
    const c = counting();
    const p = pool();
    setDefaultUdpFactory(c.factory);
    const s = await RtpSession.open({ bind: "127.0.0.1", ports: p, clock: new FakeClock(), logger: silentLogger });
    opened.push(s);
    assert.deepEqual(c.ports, [s.local.port]);
  });
});
