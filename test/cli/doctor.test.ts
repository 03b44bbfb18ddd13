/**
 * `bellhop doctor` against real far ends on loopback: a TCP listener as the PMS, a UDP responder
 * as the PBX answering OPTIONS, a real database file (sound, then corrupt), a certificate made by
 * openssl. Only the clock probe is substituted, since a test machine may run no systemd.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { parseArgs } from "../../src/cli/args.ts";
import { runCli } from "../../src/cli/commands.ts";
import { doctorCommand } from "../../src/cli/doctor.ts";
import { systemProbes } from "../../src/services/doctor-system.ts";
import { openStore } from "../../src/store/db.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { which } from "../peers/available.ts";

const LINE = /^(ok {2}|warn|FAIL) \S.* \S/;
const synced = { ...systemProbes, run: async () => ({ code: 0, stdout: "yes\n", stderr: "" }) };

describe("bellhop doctor", () => {
  let pms: Server;
  let pbx: Socket;
  let pmsPort: number;
  let pbxPort: number;
  let closedPort: number;
  const options: string[] = [];
  const tmp = tempDir("bellhop-doctor-");

  beforeAll(async () => {
    pms = createServer((s) => s.destroy()).listen(0, "127.0.0.1");
    await new Promise((r) => pms.once("listening", r));
    pmsPort = (pms.address() as { port: number }).port;
    const spare = createServer().listen(0, "127.0.0.1");
    await new Promise((r) => spare.once("listening", r));
    closedPort = (spare.address() as { port: number }).port;
    await new Promise((r) => spare.close(r));
    pbx = createSocket("udp4");
    pbx.on("message", (msg, from) => {
      const text = msg.toString("latin1");
      options.push(text);
      const callId = /^Call-ID: (.*)$/m.exec(text)?.[1]?.trim() ?? "";
      const via = /^Via: (.*)$/m.exec(text)?.[1]?.trim() ?? "";
      pbx.send(
        `SIP/2.0 200 OK\r\nVia: ${via}\r\nCall-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
        from.port,
        from.address,
      );
    });
    await new Promise<void>((r) => pbx.bind(0, "127.0.0.1", r));
    pbxPort = pbx.address().port;
  });

  afterAll(() => {
    pms?.close();
    pbx?.close();
    tmp.cleanup();
  });

  async function run(config: unknown, data: string, system = synced) {
    const file = join(tmp.dir, `config-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(config));
    const out: string[] = [];
    const code = await doctorCommand(parseArgs(["doctor", "--config", file, "--data", data]), {
      stdout: { write: (s: string) => out.push(s) },
      system,
    });
    const lines = out.join("").trimEnd().split("\n");
    return { code, lines, line: (name: string) => lines.find((l) => l.slice(5).startsWith(`${name} `)) ?? "" };
  }

  const hotel = () => ({
    api: { listen: "127.0.0.1:8080" },
    pms: { mode: "client", host: "127.0.0.1", port: pmsPort, bind: "127.0.0.1" },
    sip: {
      bind: "127.0.0.1",
      pbx: { address: "127.0.0.1", port: pbxPort },
      ports: [{ user: "w1", password: "pw-not-shown" }],
    },
  });

  test("a sound installation: every line ok (disk as the machine has it), exit 0 unless one failed", async () => {
    const data = join(tmp.dir, "good");
    (await openStore({ dataDir: data, migrationsFolder: MIGRATIONS })).close();
    const r = await run(hotel(), data);
    for (const l of r.lines) expect(l).toMatch(LINE);
    expect(r.line("database")).toBe("ok   database           integrity_check ok");
    expect(r.line("clock")).toStartWith("ok ");
    expect(r.line("pms address")).toStartWith("ok ");
    expect(r.line("sip address")).toStartWith("ok ");
    expect(r.line("pms reachable")).toBe(`ok   pms reachable      127.0.0.1:${pmsPort} accepts connections`);
    expect(r.line("pbx reachable")).toBe(
      `ok   pbx reachable      PBX 127.0.0.1:${pbxPort} (udp) answered OPTIONS: 200 OK`,
    );
    expect(options.at(-1)).toStartWith(`OPTIONS sip:127.0.0.1:${pbxPort} SIP/2.0\r\n`);
    expect(r.code).toBe(r.lines.some((l) => l.startsWith("FAIL")) ? 1 : 0);
    expect(r.lines.join("\n")).not.toContain("pw-not-shown");
  });

  test("a corrupt database, a PMS that refuses, a PBX that is silent, an address not on this machine: FAIL, exit 1", async () => {
    const data = join(tmp.dir, "bad");
    (await openStore({ dataDir: data, migrationsFolder: MIGRATIONS })).close();
    for (const f of ["bellhop.db-wal", "bellhop.db-shm"]) rmSync(join(data, f), { force: true });
    writeFileSync(join(data, "bellhop.db"), "this is not a database, just text long enough to be read as a header.");
    const silent = createSocket("udp4");
    await new Promise<void>((r) => silent.bind(0, "127.0.0.1", r));
    try {
      const config = hotel();
      config.pms.port = closedPort;
      config.sip.pbx.port = silent.address().port;
      config.pms.bind = "192.0.2.77";
      config.pms.host = "127.0.0.1";
      const r = await run(config, data);
      expect(r.code).toBe(1);
      expect(r.line("database")).toMatch(/^FAIL database {11}cannot read the database: .* — fix: restore/);
      expect(r.line("pms address")).toMatch(
        /^FAIL pms address +pms\.bind 192\.0\.2\.77 is not an address of this machine/,
      );
      expect(r.line("pms reachable")).toStartWith("FAIL pms reachable");
      expect(r.line("pbx reachable")).toMatch(/no answer within 4000 ms \(SIP OPTIONS\) — fix: /);
    } finally {
      silent.close();
    }
  }, 20_000);

  test("no database yet: FAIL with the command that makes one", async () => {
    const r = await run({ pms: { mode: "server" } }, join(tmp.dir, "empty"));
    expect(r.line("database")).toMatch(/^FAIL database +no database in .* — fix: run bellhop migrate/);
    expect(r.line("pms reachable")).toStartWith("warn pms reachable      not probed: the PMS dials");
    expect(r.code).toBe(1);
  });

  test.skipIf(!which("openssl"))("TLS: a certificate expiring within 30 days warns, with its subject", async () => {
    const data = join(tmp.dir, "tls");
    (await openStore({ dataDir: data, migrationsFolder: MIGRATIONS })).close();
    const cert = join(tmp.dir, "pbx.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "10",
        "-subj",
        "/CN=pbx.hotel.test",
        "-keyout",
        join(tmp.dir, "pbx.key"),
        "-out",
        cert,
      ],
      { stdio: "ignore" },
    );
    const r = await run({ ...hotel(), sip: { ...hotel().sip, tls: { caFile: cert } } }, data);
    expect(r.line("tls")).toMatch(
      /^warn tls +sip\.tls\.caFile: CN=pbx\.hotel\.test expires in (9|10) days .* — fix: renew/,
    );
    const missing = await run(
      { ...hotel(), sip: { ...hotel().sip, tls: { caFile: join(tmp.dir, "nope.pem") } } },
      data,
    );
    expect(missing.line("tls")).toMatch(/^FAIL tls +sip\.tls\.caFile .*nope\.pem: cannot read it/);
  });

  test("registered as a command: a wrong configuration is one FAIL line and exit 1", async () => {
    const file = join(tmp.dir, "wrong.json");
    writeFileSync(file, JSON.stringify({ pms: { prot: 1 } }));
    const out: string[] = [];
    const code = await runCli(["doctor", "--config", file], {
      version: "1",
      migrationsFolder: MIGRATIONS,
      serve: async () => ({ port: 0, close: async () => {} }),
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: () => {} },
      stopSignal: new Promise(() => {}),
    });
    expect(code).toBe(1);
    expect(out.join("")).toMatch(/^FAIL config +pms\.prot: unknown key.* — fix: correct the configuration file/);
  });
});
