import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ConfigError, loadConfig, parseConfig } from "../../src/config/load.ts";

/** The issue lines of a rejected configuration. */
function issues(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err.issues;
  }
  assert.fail(`expected ${JSON.stringify(input)} to be rejected`);
}

describe("parseConfig defaults", () => {
  test("an empty object gives a default for every key", () => {
    assert.deepEqual(parseConfig({}), {
      site: { name: "Hotel", timezone: null },
      api: { listen: "127.0.0.1:8080", allow: null },
      pms: {
        protocol: "fias",
        transport: "tcp",
        mode: "server",
        host: "127.0.0.1",
        port: 5010,
        bind: null,
        serial: { device: null, baud: 9600, dataBits: 8, parity: "none", stopBits: 1 },
        charset: "latin1",
        splitGuestName: true,
        aliveSeconds: 300,
        traceSize: 500,
        resyncOnLink: false,
        framing: "stx-etx",
        linkGraceSeconds: 10,
        syncLinkRecords: true,
        allow: null,
        maxFrameBytes: 2000,
        maxGarbageBytesPerSecond: 65_536,
        mitel: {
          profile: "sx2000",
          roomWidth: null,
          answerSeconds: 3,
          enqAttempts: 21,
          messageAttempts: 6,
          resyncIdleSeconds: 300,
          requireEnq: false,
          maidStatus: null,
          moveWindowSeconds: 10,
        },
      },
      rooms: {
        extensionTemplate: "${room}",
        nameTemplate: "${vip} ${first} ${last} ${extension}",
        vacantNameTemplate: "Vacant ${extension}",
        vipLabels: {},
        checkinClassOfService: 3,
        checkoutClassOfService: 0,
      },
      pbx: { links: [], pollMs: 1000 },
      phones: { networks: ["127.0.0.0/8", "::1/128"], sipPort: 5060, transport: "udp" },
      sip: {
        bind: "127.0.0.1",
        local: { port: 5060, transport: "udp" },
        pbx: {
          address: null,
          port: 5060,
          expiresSeconds: 3600,
          realm: null,
          domain: null,
          registerUsing: "pbx-address",
        },
        proxy: null,
        tls: { caFile: null, serverName: null, verify: true },
        ports: [],
        media: { portMin: 16384, portMax: 16999, codecs: ["PCMU", "PCMA"], srtp: null },
        mwi: { ratePerSecond: 50, concurrency: 20, retries: 5, intervalSeconds: 10 },
        limits: {
          serverTransactions: 4096,
          serverTransactionsPerSource: 256,
          subscriptionsPerSource: 64,
          subscriptionsTotal: 4096,
          connectionsPerSource: 16,
        },
      },
      wakeup: {
        lateMinutes: 30,
        retries: 2,
        retryIntervalMinutes: 5,
        rings: 4,
        snoozeMinutes: 5,
        snoozeLimit: 3,
        answeredWithoutKey: "retry",
        menuRepeats: 3,
        keyWaitSeconds: 6,
        escalation: { extension: null, vipOnly: false, retries: 1, language: "en" },
        pollSeconds: 15,
      },
      ivr: {
        housekeeping: ["500"],
        wakeup: ["501"],
        minibar: [],
        defaultService: null,
        digitTimeoutSeconds: 5,
        maxTries: 3,
      },
      voicemail: {
        enabled: true,
        mailboxFrom: ["target", "history-info", "diversion", "name-digits", "called-room", "access-number"],
        diversionEntry: "newest",
        accessNumbers: ["600"],
        operator: null,
        announceRoom: false,
        autoLogin: true,
        keymap: "duvoice",
        maxSeconds: 180,
        minSeconds: 2,
        silenceSeconds: 5,
        minFreeMb: 200,
        archiveDays: 7,
        purgeAt: "03:30",
      },
      companion: { listen: null, networks: ["127.0.0.0/8", "::1/128"], phonesFile: null, callbackUrl: null },
      snom: {
        idleTemplate: "${first} ${last}",
        vacantText: "",
        lockWhenBarred: false,
        welcome: null,
        applianceUrl: null,
      },
      postings: {
        enabled: false,
        mode: "pre-costed",
        pulses: false,
        tariffs: { currencyDigits: 2, freePrefixes: ["112", "911"], lines: [] },
        callTrunks: null,
      },
      log: { level: "info" },
      metrics: { public: false, listen: null },
      backup: { nightlyAt: "03:30", keepDays: 7 },
      dataDir: "./data",
    });
  });

  test("null and undefined are the empty configuration", () => {
    assert.deepEqual(parseConfig(null), parseConfig({}));
    assert.deepEqual(parseConfig(undefined), parseConfig({}));
  });

  test("given values win and the rest of the section keeps its defaults", () => {
    const c = parseConfig({ pms: { port: 7001, charset: "cp850" }, site: { timezone: "Europe/Rome" } });
    assert.equal(c.pms.port, 7001);
    assert.equal(c.pms.charset, "cp850");
    assert.equal(c.pms.host, "127.0.0.1");
    assert.equal(c.site.timezone, "Europe/Rome");
    assert.equal(c.site.name, "Hotel");
  });

  test("pms transport and the serial line: defaults 9600 8N1, no device", () => {
    const d = parseConfig({});
    assert.equal(d.pms.transport, "tcp");
    assert.deepEqual(d.pms.serial, { device: null, baud: 9600, dataBits: 8, parity: "none", stopBits: 1 });
    const c = parseConfig({
      pms: { transport: "serial", serial: { device: "/dev/ttyS0", dataBits: 7, parity: "even" } },
    });
    assert.deepEqual(c.pms.serial, { device: "/dev/ttyS0", baud: 9600, dataBits: 7, parity: "even", stopBits: 1 });
    assert.match(issues({ pms: { serial: { parity: "mark" } } })[0], /^pms\.serial\.parity: /);
    assert.match(issues({ pms: { serial: { dataBits: 6 } } })[0], /^pms\.serial\.dataBits: /);
    assert.match(issues({ pms: { transport: "udp" } })[0], /^pms\.transport: /);
  });

  test("VIP labels by level and the guest-name split switch", () => {
    const c = parseConfig({ rooms: { vipLabels: { "1": "VIP", "2": "VVIP" } }, pms: { splitGuestName: false } });
    assert.deepEqual(c.rooms.vipLabels, { "1": "VIP", "2": "VVIP" });
    assert.equal(c.pms.splitGuestName, false);
    assert.match(issues({ rooms: { vipLabels: { "1": 1 } } })[0], /^rooms\.vipLabels\.1: .*Expected string/);
    assert.match(issues({ rooms: { vipLabels: { "": "VIP" } } })[0], /^rooms\.vipLabels/);
    assert.match(issues({ pms: { splitGuestName: "yes" } })[0], /^pms\.splitGuestName: .*Expected boolean/);
  });

  test("a PBX link gets its defaults", () => {
    const c = parseConfig({ pbx: { links: [{ type: "log", name: "commissioning" }] } });
    assert.deepEqual(c.pbx.links, [
      { type: "log", name: "commissioning", enabled: true, retries: 3, intervalSeconds: 60, debug: false },
    ]);
  });
});

describe("parseConfig errors name the key path", () => {
  test("an unknown key", () => {
    assert.deepEqual(issues({ pms: { prot: "fias" } }), ["pms.prot: unknown key (not part of the configuration)"]);
    assert.deepEqual(issues({ colour: "blue" }), ["colour: unknown key (not part of the configuration)"]);
    assert.deepEqual(issues({ pbx: { links: [{ type: "log", name: "a", retry: 1 }] } }), [
      "pbx.links.0.retry: unknown key (not part of the configuration)",
    ]);
  });

  test("a wrong type names the path and what was expected", () => {
    const [line] = issues({ pms: { port: "5010" } });
    assert.match(line, /^pms\.port: /);
    assert.match(line, /Expected number/);
    const [bool] = issues({ pms: { resyncOnLink: "yes" } });
    assert.match(bool, /^pms\.resyncOnLink: .*Expected boolean/);
  });

  test("values out of range", () => {
    assert.match(issues({ pms: { port: 70000 } })[0], /^pms\.port: .*<=65535/);
    assert.match(issues({ rooms: { checkinClassOfService: 5 } })[0], /^rooms\.checkinClassOfService: .*<=3/);
    assert.match(issues({ pbx: { links: [{ type: "log", name: "a", retries: -1 }] } })[0], /^pbx\.links\.0\.retries: /);
    assert.match(issues({ pms: { charset: "ebcdic" } })[0], /^pms\.charset: /);
    assert.match(issues({ log: { level: "loud" } })[0], /^log\.level: /);
  });

  test("an unknown PBX link type", () => {
    assert.match(issues({ pbx: { links: [{ type: "sip", name: "a" }] } })[0], /^pbx\.links\.0\.type: /);
  });

  test("a time zone that does not exist", () => {
    assert.deepEqual(issues({ site: { timezone: "Mars/Olympus_Mons" } }), [
      "site.timezone: expected an IANA time zone such as Europe/Rome",
    ]);
  });

  test("api.listen must be HOST:PORT", () => {
    for (const listen of ["8080", ":8080", "localhost", "127.0.0.1:99999", "127.0.0.1:http", 8080]) {
      const [line] = issues({ api: { listen } });
      assert.match(line, /^api\.listen: /, `for ${JSON.stringify(listen)}`);
    }
    assert.equal(parseConfig({ api: { listen: "0.0.0.0:80" } }).api.listen, "0.0.0.0:80");
    assert.equal(parseConfig({ api: { listen: "[::1]:8080" } }).api.listen, "[::1]:8080");
  });

  test("a root that is not an object", () => {
    assert.match(issues("config")[0], /^\(root\): /);
  });

  test("every issue is reported at once, and the message lists them", () => {
    try {
      parseConfig({ pms: { port: "x", prot: 1 }, site: { timezone: "Nowhere/Here" } }, "bellhop.json");
      assert.fail("expected a ConfigError");
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.issues.length, 3);
      assert.match(err.message, /^invalid configuration in bellhop\.json:/);
      for (const line of err.issues) assert.ok(err.message.includes(line));
    }
  });
});

describe("loadConfig", () => {
  const withFile = (content: string, fn: (file: string) => void) => {
    const dir = mkdtempSync(join(tmpdir(), "bellhop-config-"));
    try {
      const file = join(dir, "bellhop.json");
      writeFileSync(file, content);
      fn(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test("no file means the built-in defaults", () => {
    assert.deepEqual(loadConfig(undefined), parseConfig({}));
  });

  test("reads a JSON file", () => {
    withFile(JSON.stringify({ pms: { port: 7001 } }), (file) => {
      assert.equal(loadConfig(file).pms.port, 7001);
    });
  });

  test("names the file when it is not valid JSON or not valid configuration", () => {
    withFile("{ pms: ", (file) => {
      assert.throws(
        () => loadConfig(file),
        (err: Error) => err instanceof ConfigError && err.message.includes(file),
      );
    });
    withFile(JSON.stringify({ pms: { prot: 1 } }), (file) => {
      assert.throws(
        () => loadConfig(file),
        (err: Error) => err instanceof ConfigError && err.message.includes(file) && err.message.includes("pms.prot"),
      );
    });
  });

  test("a missing file", () => {
    assert.throws(
      () => loadConfig("/nonexistent/bellhop.json"),
      /cannot read config file \/nonexistent\/bellhop\.json/,
    );
  });
});
