import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PhonesFileWatcher, parsePhonesFile } from "../../src/cti/phones-file.ts";
import { FakeClock } from "../../src/lib/clock.ts";
import { memoryLogger } from "../../src/lib/logger.ts";

/** A 24U server configuration file in the seed's layout: key = value, # comments, phone lines. */
const SEED_STYLE = `# Server uses this port to listen to connections. Default number is 26535
serverPort = 26535
# Log file path and name
serverLogFilePath = 24uPhoneCompanionServer.log
# Id of your provider: "ringcentral", "alliancephones" or "custom"
providerId = ringcentral
providerHostname = pbx.yourhostname.com
providerPort = 443
providerClientSecret = ubJtxGDeS9a7OXXXXXXXXXXXcGWrRMSrXRc0hkb_M
providerPassword = yourpassword
providerProtocol = HTTPS
providerMinProtocolVersion = TLS1_VERSION
providerVerifyDepth = 4
# Please list all phones that should be controlled/monitored, one per line.
phone=101@10.20.0.31 snom.cfg
phone=102@10.20.0.32 snom.cfg username password
\tphone = 103@[fd00::33]:8080   /etc/24u/snom715.cfg
`;

describe("the 24U phones file", () => {
  test("the seed's format: comments, provider keys ignored, phones with and without user and password", () => {
    const r = parsePhonesFile(SEED_STYLE);
    assert.ok(r.ok, r.ok ? "" : r.error);
    assert.deepEqual(r.content.phones, [
      { extension: "101", host: "10.20.0.31", ip: "10.20.0.31", configFile: "snom.cfg" },
      {
        extension: "102",
        host: "10.20.0.32",
        ip: "10.20.0.32",
        configFile: "snom.cfg",
        user: "username",
        password: "password",
      },
      { extension: "103", host: "[fd00::33]:8080", ip: "fd00::33", configFile: "/etc/24u/snom715.cfg" },
    ]);
    assert.equal(r.content.serverPort, 26535);
    assert.ok(r.content.ignoredKeys.includes("providerId"));
    assert.ok(r.content.ignoredKeys.includes("serverLogFilePath"));
  });

  test("CR LF files and a BOM are read; an empty file has no phones", () => {
    const r = parsePhonesFile("\uFEFFphone=7@10.0.0.7 snom.cfg\r\n# done\r\n");
    assert.ok(r.ok);
    assert.equal(r.content.phones[0]?.ip, "10.0.0.7");
    assert.deepEqual(parsePhonesFile(""), { ok: true, content: { phones: [], ignoredKeys: [] } });
  });

  test("what does not parse names the line, and never quotes a password back", () => {
    const bad = (text: string) => {
      const r = parsePhonesFile(text);
      assert.ok(!r.ok, `${JSON.stringify(text)} should not parse`);
      return r.error;
    };
    assert.match(bad("phone=101@10.0.0.1"), /line 1: phone: expected EXT@IP cfgfile/);
    assert.match(bad("# x\nphone=101@10.0.0.1 snom.cfg user"), /line 2: .*user name without a password/);
    assert.match(bad("phone=101@pbx.example snom.cfg"), /not an IP address/);
    assert.match(bad("phone=10 1@10.0.0.1 snom.cfg"), /line 1/);
    assert.match(bad("phone=101@10.0.0.1 snom.cfg\nphone=101@10.0.0.2 snom.cfg"), /101 is listed already on line 1/);
    assert.match(bad("serverPort = lots"), /serverPort/);
    assert.match(bad("just some words"), /line 1: expected key = value/);
    assert.doesNotMatch(bad("phone=101@nowhere snom.cfg admin s3cret-pass"), /s3cret/);
  });
});

describe("PhonesFileWatcher", () => {
  test("re-read every 5 s on the clock; changes apply at once; a broken file keeps the last good phones, logged once", async () => {
    const clock = new FakeClock();
    const logger = memoryLogger();
    let text = "phone=101@10.20.0.31 snom.cfg\n";
    let reads = 0;
    const w = new PhonesFileWatcher({
      path: "/etc/24u.cfg",
      clock,
      logger,
      read: async () => {
        reads++;
        return text;
      },
    });
    await w.start();
    assert.equal(w.get("101")?.ip, "10.20.0.31");
    assert.equal(reads, 1);

    // Changed: a phone moves, another is added; nothing happens before the 5 s are up.
    text = "phone=101@10.20.0.41 snom.cfg\nphone=102@10.20.0.32 snom.cfg admin pw\n";
    clock.advance(4999);
    await w.idle();
    assert.equal(reads, 1);
    assert.equal(w.get("101")?.ip, "10.20.0.31");
    clock.advance(1);
    await w.idle();
    assert.equal(reads, 2);
    assert.equal(w.get("101")?.ip, "10.20.0.41");
    assert.deepEqual(w.get("102")?.user, "admin");
    assert.equal(w.status().phones, 2);
    assert.ok(
      logger.lines.some((l) => l.msg === "CTI phones file changed; applied" && l.added === 1 && l.changed === 1),
    );

    // Broken: the last good phones stay, the error is shown and logged once however often it is read.
    text = "phone=101@10.20.0.41\nphone=102@10.20.0.32 snom.cfg admin pw\n";
    for (let i = 0; i < 4; i++) {
      clock.advance(5000);
      await w.idle();
    }
    assert.equal(w.get("101")?.ip, "10.20.0.41");
    assert.equal(w.get("102")?.ip, "10.20.0.32");
    assert.match(w.status().error ?? "", /line 1/);
    const errors = () => logger.lines.filter((l) => l.level === "error").length;
    assert.equal(errors(), 1);

    // Fixed: applied, the error cleared; a phone removed is gone.
    text = "phone=102@10.20.0.32 snom.cfg admin pw\n";
    clock.advance(5000);
    await w.idle();
    assert.equal(w.get("101"), undefined);
    assert.equal(w.status().error, null);

    // Unreadable: logged once, the phones stay.
    const readsBefore = reads;
    text = "";
    const failing = new PhonesFileWatcher({
      path: "/nope.cfg",
      clock,
      logger,
      read: async () => {
        reads++;
        throw new Error("ENOENT: no such file");
      },
    });
    await failing.start();
    clock.advance(15_000);
    await failing.idle();
    assert.equal(failing.status().phones, 0);
    assert.match(failing.status().error ?? "", /ENOENT/);
    assert.equal(errors(), 2, "one line for the unreadable file, not one per read");
    assert.ok(reads > readsBefore + 2);
    w.stop();
    failing.stop();
    assert.equal(clock.pendingTimers(), 0);
  });
});
