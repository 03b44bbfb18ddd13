import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseConfig } from "../../src/config/load.ts";
import { type DoctorCheck, type DoctorInput, doctorFailed, formatCheck, runDoctor } from "../../src/services/doctor.ts";
import type { LiveState, ReachProbes } from "../../src/services/doctor-reach.ts";
import type { SystemProbes } from "../../src/services/doctor-system.ts";

const GB = 1024 ** 3;

function system(over: Partial<SystemProbes> = {}): SystemProbes {
  return {
    diskSpace: async () => ({ free: 20 * GB, total: 40 * GB }),
    run: async () => ({ code: 0, stdout: "yes\n", stderr: "" }),
    addresses: () => ["127.0.0.1", "::1", "10.10.0.2", "10.20.0.2"],
    readFile: () => {
      throw new Error("no such file");
    },
    ...over,
  };
}

function reach(over: Partial<ReachProbes> = {}): ReachProbes {
  return {
    tcpConnect: async () => {},
    sipOptions: async () => "200 OK",
    serialDevice: () => undefined,
    ...over,
  };
}

/** A two-NIC appliance: PMS client on 10.10.0.2, SIP on 10.20.0.2 with two ports and a Zoom link. */
const HOTEL = {
  api: { listen: "10.10.0.2:8080", allow: ["10.10.0.0/24"] },
  pms: { mode: "client", host: "10.10.0.9", port: 5010, bind: "10.10.0.2" },
  sip: {
    bind: "10.20.0.2",
    pbx: { address: "10.20.0.1" },
    ports: [
      { user: "wake1", password: "s3cret-port-password" },
      { user: "wake2", password: "s3cret-port-password" },
    ],
  },
  pbx: {
    links: [
      {
        type: "zoom",
        name: "zoom",
        enabled: true,
        accountId: "acc",
        clientId: "cid",
        clientSecret: "zoom-client-secret-value",
      },
    ],
  },
};

function input(over: Omit<Partial<DoctorInput>, "config"> & { config?: unknown } = {}): DoctorInput {
  const { config, ...rest } = over;
  return {
    config: parseConfig(config ?? HOTEL),
    dataDir: "/var/lib/bellhop",
    now: Date.UTC(2026, 11, 6),
    integrity: async () => [],
    system: system(),
    reach: reach({ probeLinks: async () => [{ name: "zoom", type: "zoom", detail: "probe ok" }] }),
    ...rest,
  };
}

const byName = (checks: DoctorCheck[], name: string) => checks.filter((c) => c.name === name);

describe("runDoctor", () => {
  test("a healthy installation: every check ok, one line each, no secret anywhere", async () => {
    const checks = await runDoctor(input());
    assert.deepEqual(
      checks.filter((c) => c.status !== "ok"),
      [],
    );
    assert.deepEqual(
      checks.map((c) => c.name),
      [
        "config",
        "database",
        "disk",
        "clock",
        "pms address",
        "sip address",
        "api address",
        "pms reachable",
        "pbx reachable",
        "tls",
        "pbx link zoom",
      ],
    );
    assert.equal(doctorFailed(checks), false);
    const text = checks.map(formatCheck).join("\n");
    assert.match(text, /^ok {3}config {13}valid$/m);
    assert.match(text, /^ok {3}pbx reachable {6}PBX 10\.20\.0\.1:5060 \(udp\) answered OPTIONS: 200 OK$/m);
    for (const secret of ["s3cret-port-password", "zoom-client-secret-value"]) assert.ok(!text.includes(secret));
  });

  test("database: problems, no database, unreadable", async () => {
    const bad = await runDoctor(input({ integrity: async () => ["row 3 missing from index x", "page 7: btree"] }));
    const [db] = byName(bad, "database");
    assert.equal(db?.status, "fail");
    assert.match(db?.detail ?? "", /integrity_check: 2 problem\(s\): row 3 missing/);
    assert.match(db?.fix ?? "", /backup/);
    assert.equal(doctorFailed(bad), true);
    const [missing] = byName(await runDoctor(input({ integrity: async () => "missing" })), "database");
    assert.match(`${missing?.status} ${missing?.fix}`, /^fail .*bellhop migrate/);
    const [broken] = byName(
      await runDoctor(
        input({
          integrity: async () => {
            throw new Error("SQLITE_NOTADB: file is not a database");
          },
        }),
      ),
      "database",
    );
    assert.match(`${broken?.status} ${broken?.detail}`, /^fail cannot read the database: SQLITE_NOTADB/);
  });

  test("disk: under 10% warns, under 2% or 200 MB fails; unknown warns", async () => {
    const disk = async (free: number, total = 100 * GB) =>
      byName(await runDoctor(input({ system: system({ diskSpace: async () => ({ free, total }) }) })), "disk")[0]
        ?.status;
    assert.equal(await disk(50 * GB), "ok");
    assert.equal(await disk(5 * GB), "warn");
    assert.equal(await disk(1 * GB), "fail");
    assert.equal(await disk(150 * 1024 ** 2, 1 * GB), "fail");
    const [unknown] = byName(
      await runDoctor(
        input({
          system: system({
            diskSpace: async () => {
              throw new Error("ENOENT");
            },
          }),
        }),
      ),
      "disk",
    );
    assert.equal(unknown?.status, "warn");
  });

  test("clock: synchronised ok, not synchronised fails, timedatectl missing or failing warns 'unknown'", async () => {
    const clock = async (run: SystemProbes["run"]) =>
      byName(await runDoctor(input({ system: system({ run }) })), "clock")[0];
    assert.equal((await clock(async () => ({ code: 0, stdout: "yes\n", stderr: "" })))?.status, "ok");
    const no = await clock(async () => ({ code: 0, stdout: "no\n", stderr: "" }));
    assert.equal(no?.status, "fail");
    assert.match(no?.fix ?? "", /timedatectl set-ntp true/);
    const absent = await clock(async () => {
      throw Object.assign(new Error("spawn timedatectl ENOENT"), { code: "ENOENT" });
    });
    assert.equal(absent?.status, "warn");
    assert.match(absent?.detail ?? "", /unknown/);
    const noBus = await clock(async () => ({
      code: 1,
      stdout: "",
      stderr: "System has not been booted with systemd\n",
    }));
    assert.match(
      `${noBus?.status} ${noBus?.detail}`,
      /^warn synchronisation unknown \(timedatectl: System has not been booted/,
    );
  });

  test("NIC addresses: a bind address this machine does not have fails and says which", async () => {
    const checks = await runDoctor(input({ system: system({ addresses: () => ["127.0.0.1", "10.10.0.2"] }) }));
    const [sip] = byName(checks, "sip address");
    assert.equal(sip?.status, "fail");
    assert.match(sip?.detail ?? "", /sip\.bind 10\.20\.0\.2 is not an address of this machine/);
    assert.match(sip?.fix ?? "", /appliance\/network/);
    assert.equal(byName(checks, "pms address")[0]?.status, "ok");
    const wildcard = await runDoctor(input({ config: { ...HOTEL, sip: { ...HOTEL.sip, bind: "0.0.0.0" } } }));
    assert.equal(byName(wildcard, "sip address")[0]?.status, "ok");
    const off = await runDoctor(input({ config: { pms: { mode: "server" } } }));
    assert.match(byName(off, "sip address")[0]?.detail ?? "", /SIP off/);
  });

  test("PMS from the CLI: client mode dials it, server mode is not probed, serial checks the device", async () => {
    const refused = await runDoctor(
      input({
        reach: reach({
          tcpConnect: async () => {
            throw new Error("connect ECONNREFUSED 10.10.0.9:5010");
          },
        }),
      }),
    );
    const [pms] = byName(refused, "pms reachable");
    assert.match(`${pms?.status} ${pms?.detail}`, /^fail 10\.10\.0\.9:5010: connect ECONNREFUSED/);
    const server = await runDoctor(
      input({ config: { ...HOTEL, pms: { mode: "server", host: "10.10.0.2", allow: ["10.10.0.9"] } } }),
    );
    assert.equal(byName(server, "pms reachable")[0]?.status, "warn");
    const serial = await runDoctor(
      input({
        config: { ...HOTEL, pms: { transport: "serial", serial: { device: "/dev/ttyUSB0" } } },
        reach: reach({ serialDevice: () => "/dev/ttyUSB0: ENOENT: no such file or directory" }),
      }),
    );
    assert.equal(byName(serial, "pms reachable")[0]?.status, "fail");
  });

  test("the running appliance: PMS link state, SIP registrations and PBX link health", async () => {
    const live: LiveState = {
      pms: { state: "connecting", since: "2026-12-06T09:00:00.000Z" },
      sipPorts: [
        { user: "wake1", state: "registered", lastError: null },
        { user: "wake2", state: "auth-failed", lastError: "403 Forbidden" },
      ],
      links: [{ name: "zoom", type: "zoom", state: "error", lastError: { message: "token: 401 invalid client" } }],
    };
    const checks = await runDoctor(input({ live }));
    const [pms] = byName(checks, "pms reachable");
    assert.match(
      `${pms?.status} ${pms?.detail}`,
      /^fail link connecting since 2026-12-06T09:00:00\.000Z \(client 10\.10\.0\.9:5010\)/,
    );
    const [ports] = byName(checks, "sip ports");
    assert.match(`${ports?.status} ${ports?.detail}`, /^fail 1 of 2 registered; wake2 auth-failed \(403 Forbidden\)/);
    assert.match(ports?.fix ?? "", /passwords/);
    const [zoom] = byName(checks, "pbx link zoom");
    assert.match(`${zoom?.status} ${zoom?.detail}`, /^fail zoom: token: 401 invalid client/);

    const good = await runDoctor(
      input({
        live: {
          pms: { state: "linked" },
          sipPorts: live.sipPorts?.map((p) => ({ ...p, state: "registered" as const })),
          links: [{ name: "zoom", type: "zoom", state: "ok", lastError: null }],
        },
      }),
    );
    assert.deepEqual(
      good.filter((c) => c.status !== "ok").map((c) => c.name),
      [],
    );
  });

  test("PBX not answering OPTIONS fails; a check that throws is its own failure, not the doctor's", async () => {
    const checks = await runDoctor(
      input({
        reach: reach({
          sipOptions: async () => {
            throw new Error("no answer within 4000 ms (SIP OPTIONS)");
          },
          probeLinks: async () => {
            throw new Error("boom");
          },
        }),
      }),
    );
    assert.match(byName(checks, "pbx reachable")[0]?.detail ?? "", /no answer within 4000 ms/);
    const [links] = byName(checks, "pbx links");
    assert.match(`${links?.status} ${links?.detail}`, /^fail the check itself failed: boom/);
  });

  test("configuration warnings: an open API, an unverified PBX certificate", async () => {
    const checks = await runDoctor(
      input({ config: { ...HOTEL, api: { listen: "0.0.0.0:8080" }, sip: { ...HOTEL.sip, tls: { verify: false } } } }),
    );
    assert.equal(byName(checks, "config api.allow")[0]?.status, "warn");
    assert.equal(byName(checks, "config sip.tls")[0]?.status, "warn");
    assert.equal(byName(checks, "api address")[0]?.status, "ok");
  });

  test("formatCheck: FAIL in capitals, the fix after the detail, one line", () => {
    assert.equal(
      formatCheck({ status: "fail", name: "disk", detail: "1 GB free\n(1%)", fix: "free space" }),
      "FAIL disk               1 GB free (1%) — fix: free space",
    );
    assert.equal(formatCheck({ status: "warn", name: "clock", detail: "unknown", fix: "x" }).slice(0, 5), "warn ");
  });
});
