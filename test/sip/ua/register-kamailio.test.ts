/**
 * SIP ports registering with Kamailio (test/peers/fixtures) over UDP, TCP and TLS. The proof of a
 * registration is Kamailio's own location table (`kamcmd ul.dump`), never our state alone.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { parseConfig } from "../../../src/config/load.ts";
import { memoryLogger, silentLogger } from "../../../src/lib/logger.ts";
import { SipPorts } from "../../../src/sip/ua/ports.ts";
import { scaledClock } from "../../helpers/scaled-clock.ts";
import { eventually, freePort } from "../../integration/support.ts";
import { peerSkip } from "../../peers/available.ts";
import { type Kamailio, startKamailio } from "../../peers/kamailio.ts";

const USERS = ["2001", "2002", "2003", "2004", "2005", "2006", "2007", "2008", "2009", "2010"];

function sipConfig(
  k: Kamailio,
  transport: "udp" | "tcp" | "tls",
  localPort: number,
  users: readonly string[],
  extra: object = {},
) {
  return parseConfig({
    sip: {
      bind: "127.0.0.1",
      local: { port: localPort, transport },
      pbx: { address: "127.0.0.1", port: transport === "tls" ? k.tlsPort : k.sipPort, expiresSeconds: 600 },
      tls: { caFile: k.caFile ?? null, serverName: "localhost" },
      ports: users.map((user) => ({ user, password: "secret", displayName: `Port ${user}` })),
      ...extra,
    },
  }).sip;
}

/** AoR → contact lines from Kamailio's location table. */
function contacts(k: Kamailio): Map<string, string> {
  const out = new Map<string, string>();
  let aor = "";
  for (const line of k.ulDump().split("\n")) {
    const t = line.trim();
    if (t.startsWith("AoR:")) aor = t.slice(4).trim();
    if (t.startsWith("Address:")) out.set(aor, t.slice(8).trim());
  }
  return out;
}

describe("SIP ports register with Kamailio", { skip: peerSkip("kamailio", "kamailio-tls", "openssl") }, () => {
  let k: Kamailio;
  before(async () => {
    k = await startKamailio({ sipPort: await freePort(), tlsPort: await freePort(), ctlPort: await freePort() });
  });
  after(async () => {
    await k.stop();
  });

  test("10 ports over UDP register, show in ul.dump, and unregister on stop", async () => {
    const ports = new SipPorts({
      config: sipConfig(k, "udp", await freePort(), USERS),
      clock: scaledClock(1),
      logger: silentLogger,
    });
    await ports.start();
    try {
      await eventually("all 10 registered", () => ports.status().every((s) => s.state === "registered"), 5000);
      const table = contacts(k);
      for (const u of USERS)
        assert.match(table.get(u) ?? "", new RegExp(`^sip:${u}@127\\.0\\.0\\.1:${ports.endpoint.port}`));
      const s = ports.status()[0];
      assert.equal(s.lastResponse, "200 OK");
      assert.ok(s.registeredUntil && Date.parse(s.registeredUntil) > Date.now() + 500_000);
    } finally {
      await ports.stop();
    }
    assert.equal(contacts(k).size, 0, "Expires: 0 removed every binding");
  });

  test("10 ports over TCP and 10 over TLS (the self-signed certificate trusted through caFile)", async () => {
    for (const [transport, users] of [
      ["tcp", USERS],
      ["tls", USERS],
    ] as const) {
      const ports = new SipPorts({
        config: sipConfig(k, transport, await freePort(), users),
        clock: scaledClock(1),
        logger: silentLogger,
      });
      await ports.start();
      try {
        await eventually(`${transport} registered`, () => ports.status().every((s) => s.state === "registered"), 5000);
        const table = contacts(k);
        for (const u of users) assert.match(table.get(u) ?? "", new RegExp(`transport=${transport}`, "i"));
      } finally {
        await ports.stop();
      }
      assert.equal(contacts(k).size, 0, `${transport}: every binding removed on stop`);
    }
  });

  test("through an outbound proxy, with the SIP domain as Request-URI and AoR (registerUsing: domain)", async () => {
    const config = sipConfig(k, "udp", await freePort(), ["2003"], {
      pbx: { address: "192.0.2.1", port: 5060, domain: "hotel.test", registerUsing: "domain", expiresSeconds: 600 },
      proxy: { address: "127.0.0.1", port: k.sipPort },
    });
    const ports = new SipPorts({ config, clock: scaledClock(1), logger: silentLogger });
    await ports.start();
    try {
      await eventually("registered via the proxy", () => ports.status()[0].state === "registered", 5000);
      await k.waitForLog("REGISTERED sip:2003@hotel.test");
      assert.ok(contacts(k).has("2003"));
    } finally {
      await ports.stop();
    }
  });

  test("TLS without the CA fails certificate verification; nothing registers", async () => {
    const config = sipConfig(k, "tls", await freePort(), ["2007"]);
    config.tls.caFile = null;
    const ports = new SipPorts({ config, clock: scaledClock(1), logger: silentLogger });
    await ports.start();
    try {
      await eventually("failed", () => ports.status()[0].state === "failed", 5000);
      assert.match(ports.status()[0].lastError ?? "", /transport error/);
      assert.equal(contacts(k).has("2007"), false);
    } finally {
      await ports.stop();
    }
  });

  test("a wrong password is an auth failure on that port only; the password appears nowhere", async () => {
    const config = sipConfig(k, "udp", await freePort(), ["2008", "2009"]);
    config.ports[1].password = "not-the-secret";
    const log = memoryLogger();
    const ports = new SipPorts({ config, clock: scaledClock(1), logger: log, authRetryMs: 60_000, debug: () => true });
    await ports.start();
    try {
      await eventually(
        "settled",
        () => ports.status()[0].state === "registered" && ports.status()[1].state === "auth-failed",
        5000,
      );
      assert.equal(contacts(k).has("2009"), false);
      assert.ok(contacts(k).has("2008"));
      await k.waitForLog("AUTH FAIL rc=-2 user=2009");
      assert.ok(!JSON.stringify(ports.status()).includes("not-the-secret"));
      const packets = log.lines.filter((l) => l.msg === "sip packet").map((l) => String(l.text));
      const withAuth = packets.filter((t) => /^Authorization:/im.test(t));
      assert.ok(withAuth.length >= 2, "the debug packet log shows the authenticated REGISTERs");
      for (const t of withAuth) assert.match(t, /response="\*\*\*"/, "digest response masked");
      assert.ok(!JSON.stringify(log.lines).includes("not-the-secret"), "the password is never logged");
    } finally {
      await ports.stop();
    }
  });
});

describe("registration refresh against Kamailio's limits", { skip: peerSkip("kamailio") }, () => {
  test("MAX_EXPIRES=60: the granted 60 s is honoured and refreshed; NONCE_EXPIRE=5: a stale nonce is retried, not a failure", async () => {
    const k = await startKamailio({
      sipPort: await freePort(),
      ctlPort: await freePort(),
      defines: ["MAX_EXPIRES=60", "NONCE_EXPIRE=5"],
    });
    // Timers run 5x faster: the refresh due 30 s after a 60 s grant comes after ~6 s, when the nonce is stale.
    const ports = new SipPorts({
      config: sipConfig(k, "udp", await freePort(), ["2010"]),
      clock: scaledClock(5),
      logger: silentLogger,
    });
    try {
      await ports.start();
      await eventually("registered", () => ports.status()[0].state === "registered", 5000);
      const until = Date.parse(ports.status()[0].registeredUntil ?? "");
      assert.ok(until < Date.now() + 61_000, "the registrar's 60 s, not our 600 s");
      await k.waitForLog("AUTH FAIL rc=-4 user=2010", 12_000);
      await eventually(
        "re-registered after the stale nonce",
        () => k.log().split("REGISTERED sip:2010").length - 1 >= 2,
        5000,
      );
      const s = ports.status()[0];
      assert.equal(s.state, "registered");
      assert.equal(s.lastError, null, "a stale nonce is not a failure");
      assert.ok(contacts(k).has("2010"));
    } finally {
      await ports.stop();
      await k.stop();
    }
  });
});

describe("the appliance's SIP ports through the API", { skip: peerSkip("kamailio") }, () => {
  test("GET /api/v1/sip/ports shows each port registered, without passwords; stop unregisters", async () => {
    const { startAppliance } = await import("../../../src/app/appliance.ts");
    const { tempDir, MIGRATIONS } = await import("../../helpers/store.ts");
    const { createToken } = await import("../../../src/store/tokens.ts");
    const k = await startKamailio({ sipPort: await freePort(), ctlPort: await freePort() });
    const t = tempDir();
    try {
      const config = parseConfig({
        pms: { port: await freePort() },
        sip: {
          local: { port: await freePort() },
          pbx: { address: "127.0.0.1", port: k.sipPort },
          ports: [
            { user: "2001", password: "secret" },
            { user: "2002", password: "secret" },
          ],
        },
      });
      const app = await startAppliance({
        config,
        dataDir: t.dir,
        migrationsFolder: MIGRATIONS,
        logger: silentLogger,
        version: "t",
      });
      try {
        const token = await app.store.tx((tx) => createToken(tx, "tech", "installer", Date.now()));
        const get = async () => {
          const r = await app.api.request("/api/v1/sip/ports", { headers: { authorization: `Bearer ${token}` } });
          return (await r.json()) as { enabled: boolean; ports: { user: string; state: string }[] };
        };
        await eventually(
          "both registered",
          async () => (await get()).ports.every((p) => p.state === "registered"),
          5000,
        );
        const body = await get();
        assert.equal(body.enabled, true);
        assert.deepEqual(
          body.ports.map((p) => p.user),
          ["2001", "2002"],
        );
        assert.ok(!JSON.stringify(body).includes("secret"));
        assert.equal(contacts(k).size, 2);
      } finally {
        await app.stop();
      }
      assert.equal(contacts(k).size, 0, "a clean stop unregisters every port");
    } finally {
      t.cleanup();
      await k.stop();
    }
  });
});
