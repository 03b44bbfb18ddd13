/**
 * Issue 11 §2 end to end: the appliance's ports register with Kamailio over TLS (the Zoom setup) and
 * the IVR answers the calls that reach them. A sipp caller (room 101's phone) dials all five
 * ports at once through Kamailio and keys the housekeeping code 1 23 #; the proof is the `RE RS1 ID23` the
 * PMS simulator receives for each call, and what `GET /api/v1/sip/ports` shows. Then Kamailio drops
 * the ports' TLS connection, and the same calls work again on the new one.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import type { FiasRecord } from "../../src/pms/fias/record.ts";
import { generateHotel } from "../../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../../src/sim/pms/simulator.ts";
import type { PortStatus } from "../../src/sip/ua/registration.ts";
import { createToken } from "../../src/store/tokens.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { peerSkip } from "../peers/available.ts";
import { type Kamailio, startKamailio } from "../peers/kamailio.ts";
import { startSipp } from "../peers/sipp.ts";
import { eventually, freePort, HOST } from "./support.ts";

const skip = peerSkip("kamailio", "kamailio-tls", "sipp", "openssl");
const USERS = ["2001", "2002", "2003", "2004", "2005"];

describe("the IVR answers calls to ports registered over TLS (RFC 5626 flows)", { skip }, () => {
  let k: Kamailio;
  let sim: PmsSimulator;
  let app: Appliance;
  let token: string;
  const tmp = tempDir("bellhop-tls-inbound-");

  before(async () => {
    k = await startKamailio({
      sipPort: await freePort(),
      tlsPort: await freePort(),
      ctlPort: await freePort(),
      defines: ["WITH_FLOW_CUT"],
    });
    sim = new PmsSimulator({ hotel: generateHotel({ rooms: 1, occupancy: 0 }) });
    const pmsPort = await sim.listen(0, HOST);
    const rtpBase = 22000 + 2 * Math.floor(Math.random() * 2000);
    const config = parseConfig({
      pms: { mode: "client", host: HOST, port: pmsPort },
      api: { listen: `127.0.0.1:${await freePort()}` },
      sip: {
        local: { port: await freePort(), transport: "tls" },
        pbx: { address: "127.0.0.1", port: k.tlsPort, expiresSeconds: 600 },
        tls: { caFile: k.caFile ?? null, serverName: "localhost" },
        ports: USERS.map((user) => ({ user, password: "secret" })),
        // Signalling is under test here; sipp offers plain RTP (SRTP over TLS has its own tests).
        media: { portMin: rtpBase, portMax: rtpBase + 200, srtp: "off" },
      },
      // Kamailio delivers the call to the port's own number: the housekeeping service answers it.
      ivr: { defaultService: "housekeeping" },
    });
    app = await startAppliance({
      config,
      dataDir: join(tmp.dir, "data"),
      migrationsFolder: MIGRATIONS,
      logger: silentLogger,
      version: "test",
      link: { initWaitMs: 100, backoff: { initialMs: 50, maxMs: 500 } },
    });
    token = await app.store.tx((tx) => createToken(tx, "tech", "installer", Date.now()));
    await sim.whenLinked(10_000);
    sim.send("GI|RN101|G#101|GNGuest|GLEA|");
    await eventually("5 TLS ports registered", () => (app.sip?.freePorts() ?? 0) === 5, 15_000);
  });

  after(async () => {
    await app?.stop();
    await sim?.close();
    await k?.stop();
    tmp.cleanup();
  });

  async function apiPorts(): Promise<PortStatus[]> {
    const r = await app.api.request("/api/v1/sip/ports", { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200);
    return ((await r.json()) as { ports: PortStatus[] }).ports;
  }

  const housekeeping = (r: FiasRecord) => r.type === "RE" && r.fields.RN === "101" && r.fields.RS === "1";

  /** Room 101's phone calls every port at once through Kamailio, keying 1 23 # on each call. */
  async function callEachPort(): Promise<void> {
    const callers = await Promise.all(
      USERS.map((user) =>
        startSipp({
          scenario: "uac-call-dtmf.xml",
          user,
          remote: `127.0.0.1:${k.sipPort}`,
          max: 1,
          extra: ["-timeout", "30s"],
        }),
      ),
    );
    try {
      for (const _ of USERS) {
        const re = await sim.waitFor(housekeeping, 25_000);
        assert.equal(re.fields.ID, "23", "the code keyed reached the PMS");
      }
      for (const [i, c] of callers.entries()) {
        const code = await c.exited;
        assert.equal(code, 0, `port ${USERS[i]}: the call ended cleanly:\n${c.messages().slice(-2000)}\n${c.errors()}`);
      }
    } finally {
      for (const c of callers) await c.stop();
    }
    for (const user of USERS)
      assert.match(k.log(), new RegExp(`RELAY INVITE to sip:${user}@127\\.0\\.0\\.1:\\d+;transport=tls;ob`));
  }

  test("each of five ports answers a call and takes the housekeeping code; the API shows the flows", {
    timeout: 120_000,
  }, async () => {
    const ports = await apiPorts();
    assert.deepEqual(
      ports.map((p) => [p.user, p.state, p.flow?.outbound, p.flowsLost]),
      USERS.map((u) => [u, "registered", true, 0]),
    );
    await callEachPort();
    assert.doesNotMatch(k.log(), /error on sending to next hop|tcpconn_1st_send/, "no 477 any more");
  });

  test("Kamailio drops the TLS connection: the ports register again at once, and calls reach them", {
    timeout: 120_000,
  }, async () => {
    const received = new Set(
      k
        .ulDump()
        .split("\n")
        .filter((l) => l.includes("Received:"))
        .map((l) => l.trim().replace(/^Received: sip:([^;]+);.*$/, "$1")),
    );
    assert.equal(received.size, 1, `one flow: ${[...received]}`);
    await k.cutFlow([...received][0]);
    await eventually(
      "the API shows every port registered again on a new flow",
      async () => (await apiPorts()).every((p) => p.state === "registered" && p.flowsLost === 1 && p.flow !== null),
      20_000,
    );
    const ports = await apiPorts();
    assert.ok(ports.every((p) => p.lastError === null));
    await callEachPort();
  });
});
