/**
 * Issue 16 §1 end to end: `appliance/update.sh` from a "support workstation" to a "box" over a real
 * OpenSSH server on 127.0.0.1 (Debian's openssh-server with its own config, host key and user key in
 * a temp folder), the box's paths mapped into the temp folder, and a stand-in systemd
 * (test/helpers/fake-systemd.ts) that runs the real unit file: its ExecStartPre boot check, its
 * ExecStart, Restart=always. The installed version is the compiled binary (built once), linked to
 * the PMS simulator; it runs `bellhop update apply` itself.
 *
 * - a bad signature (another key) is refused: binary, database and service untouched;
 * - a good update (the compiled binary, signed): swapped, restarted, healthy with the PMS link back,
 *   `updated` on GET /api/v1/health;
 * - support's SSH connection killed after the swap: the apply (under nohup on the box) still finishes;
 * - a version that migrates the schema (a table, a column, a drizzle migration row, left in its WAL)
 *   and then fails its health check: rolled back, binary and database as they were before it;
 * - a version that crashes at every start: the boot check counts its starts and rolls it back by
 *   itself; `update apply` reports the boot check's reason.
 */

import { Database } from "bun:sqlite";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { generateHotel } from "../../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../../src/sim/pms/simulator.ts";
import { FakeSystemd } from "../helpers/fake-systemd.ts";
import { type Sshd, startSshd } from "../helpers/sshd.ts";
import { tempDir } from "../helpers/store.ts";
import { peerCommand, peerSkip } from "../peers/available.ts";
import { eventually, freePort, HOST } from "./support.ts";

const ROOT = resolve(import.meta.dirname ?? ".", "../..");
const skip = peerSkip("sshd", "openssl");
const tmp = tempDir("bellhop-update-ssh-");
const closers: (() => unknown)[] = [];

after(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  tmp.cleanup();
});

interface Box {
  sshd: Sshd;
  systemd: FakeSystemd;
  sim: PmsSimulator;
  /** Box paths. */
  bin: string;
  data: string;
  config: string;
  keys: string;
  apiPort: number;
  /** The compiled binary as built (the installed version, and the "good" new one). */
  built: string;
  releaseKey: string;
  strangerKey: string;
}

let box: Promise<Box> | undefined;

function sha(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

function openssl(args: string[]): void {
  const res = spawnSync(peerCommand("openssl"), args, { encoding: "utf8" });
  assert.equal(res.status, 0, `openssl ${args.join(" ")}: ${res.stderr}`);
}

function build(out: string): void {
  const res = spawnSync(process.execPath, ["build.ts"], {
    cwd: ROOT,
    env: { ...process.env, OUT: out },
    encoding: "utf8",
  });
  assert.equal(res.status, 0, `build failed: ${res.stderr}${res.stdout}`);
}

async function health(port: number): Promise<{ status: number; body: Record<string, unknown> | null }> {
  try {
    const res = await fetch(`http://${HOST}:${port}/api/v1/health`, { signal: AbortSignal.timeout(2000) });
    return { status: res.status, body: res.status === 200 ? ((await res.json()) as Record<string, unknown>) : null };
  } catch {
    return { status: 0, body: null };
  }
}

async function setup(): Promise<Box> {
  const dir = tmp.dir;
  const built = join(dir, "build", "bellhop");
  build(built);
  const releaseKey = join(dir, "release.pem");
  const strangerKey = join(dir, "stranger.pem");
  openssl(["genpkey", "-algorithm", "ed25519", "-out", releaseKey]);
  openssl(["genpkey", "-algorithm", "ed25519", "-out", strangerKey]);

  // The box, as install.sh lays it out, under dir/box.
  const b = (p: string) => join(dir, "box", p);
  for (const d of ["bin", "lib", "etc/update-keys", "data", "upload", "systemd"]) mkdirSync(b(d), { recursive: true });
  openssl(["pkey", "-in", releaseKey, "-pubout", "-out", b("etc/update-keys/release.pem")]);
  copyFileSync(built, b("bin/bellhop"));
  chmodSync(b("bin/bellhop"), 0o755);
  copyFileSync(join(ROOT, "appliance/boot-check.sh"), b("lib/boot-check.sh"));
  chmodSync(b("lib/boot-check.sh"), 0o755);

  const sim = new PmsSimulator({ hotel: generateHotel({ rooms: 5, occupancy: 0.6 }) });
  closers.push(() => sim.close());
  const pmsPort = await sim.listen(0, HOST);
  const apiPort = await freePort();
  writeFileSync(
    b("etc/config.json"),
    JSON.stringify({
      api: { listen: `${HOST}:${apiPort}` },
      pms: { mode: "client", host: HOST, port: pmsPort },
      log: { level: "warn" },
    }),
  );
  const systemd = new FakeSystemd({
    unitFile: join(ROOT, "systemd/bellhop.service"),
    service: "bellhop",
    paths: {
      "/usr/local/bin": b("bin"),
      "/usr/local/lib/bellhop": b("lib"),
      "/etc/bellhop": b("etc"),
      "/var/lib/bellhop": b("data"),
    },
    dir: b("systemd"),
    cwd: b("data"),
  });
  closers.push(() => systemd.close());
  await systemd.start();
  await eventually(
    "the installed version healthy with the PMS linked",
    async () => ((await health(apiPort)).body?.pms as { state?: string } | undefined)?.state === "linked",
    20_000,
    100,
  ).catch((err) => {
    throw new Error(`${err.message}\n${systemd.journal}`);
  });

  const sshd = await startSshd(join(dir, "ssh"));
  closers.push(() => sshd.stop());
  return {
    sshd,
    systemd,
    sim,
    bin: b("bin/bellhop"),
    data: b("data"),
    config: b("etc/config.json"),
    keys: b("etc/update-keys"),
    apiPort,
    built,
    releaseKey,
    strangerKey,
  };
}

/** A release folder holding `bellhop` (copied or written); `sign` adds its signature. */
function release(name: string, content: { copy: string } | { script: string }): { file: string; sig: string } {
  const dir = join(tmp.dir, "releases", name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "bellhop");
  if ("copy" in content) copyFileSync(content.copy, file);
  else writeFileSync(file, content.script);
  chmodSync(file, 0o755);
  return { file, sig: `${file}.sig` };
}

/** Signs with the installed compiled binary: the contract `bellhop release sign --key KEY.pem FILE`. */
function sign(bx: Box, file: string, key: string): void {
  const res = spawnSync(bx.built, ["release", "sign", "--key", key, file], { encoding: "utf8" });
  assert.equal(res.status, 0, `release sign: ${res.stderr}`);
  assert.ok(!`${res.stdout}${res.stderr}`.includes("PRIVATE KEY"), "the key is never printed");
}

/** appliance/update.sh root@box FILE SIG, over SSH, with the box's paths as apply flags. */
function updateSh(
  bx: Box,
  rel: { file: string; sig: string },
  timeoutS: number,
): Promise<{ code: number | string; out: string }> {
  return startUpdateSh(bx, rel, timeoutS).done;
}

function startUpdateSh(
  bx: Box,
  rel: { file: string; sig: string },
  timeoutS: number,
): { proc: ChildProcess; done: Promise<{ code: number | string; out: string }> } {
  const args = [
    join(ROOT, "appliance/update.sh"),
    bx.sshd.host,
    rel.file,
    rel.sig,
    "--keys",
    bx.keys,
    "--bin",
    bx.bin,
    "--data",
    bx.data,
    "--config",
    bx.config,
    "--systemctl",
    bx.systemd.systemctl,
    "--health-timeout",
    String(timeoutS),
    "--settle",
    "1",
  ];
  const env = {
    ...process.env,
    BELLHOP_SSH_OPTS: bx.sshd.sshOptions,
    BELLHOP_REMOTE_BIN: bx.bin,
    BELLHOP_REMOTE_TMP: join(tmp.dir, "box", "upload"),
  };
  const proc = spawn("sh", args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const done = new Promise<{ code: number | string; out: string }>((resolve) =>
    proc.once("exit", (code, signal) => resolve({ code: code ?? signal ?? -1, out })),
  );
  return { proc, done };
}

/** The schema facts a migration changes. */
function schema(data: string): { tables: string[]; metaColumns: string[]; migrations: number } {
  const db = new Database(join(data, "bellhop.db"), { readonly: true });
  try {
    const tables = db.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[];
    const cols = db.query("PRAGMA table_info(meta)").all() as { name: string }[];
    const n = db.query("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number };
    return { tables: tables.map((t) => t.name), metaColumns: cols.map((c) => c.name), migrations: n.n };
  } finally {
    db.close();
  }
}

async function lastUpdate(bx: Box): Promise<Record<string, unknown> | null> {
  const h = await health(bx.apiPort);
  return (h.body?.update as Record<string, unknown> | null) ?? null;
}

function why(bx: Box, out: string): string {
  const log = join(bx.data, "update", "update.log");
  const steps = existsSync(log) ? readFileSync(log, "utf8").slice(-3000) : "(none)";
  return `update.sh said:\n${out}\nupdate.log:\n${steps}\njournal:\n${bx.systemd.journal.slice(-3000)}`;
}

describe("signed updates over SSH (issue 16 §1)", () => {
  test("a release signed by another key is refused over SSH: nothing on the box changes", {
    skip,
    timeout: 120_000,
  }, async () => {
    box ??= setup();
    const bx = await box;
    const rel = release("stranger", { copy: bx.built });
    sign(bx, rel.file, bx.strangerKey);
    const before = { bin: sha(bx.bin), pid: bx.systemd.pid, starts: bx.systemd.starts.length };
    const r = await updateSh(bx, rel, 30);
    assert.equal(r.code, 1, why(bx, r.out));
    assert.match(r.out, /update refused: signature does not verify with any trusted key .*nothing was changed/);
    assert.equal(sha(bx.bin), before.bin);
    assert.equal(bx.systemd.pid, before.pid, "the service was not touched");
    assert.equal(bx.systemd.starts.length, before.starts);
    assert.ok(!existsSync(`${bx.bin}.new`) && !existsSync(`${bx.bin}.previous`));
    assert.ok(!existsSync(join(bx.data, "update")), "no update state written");
    assert.equal(await lastUpdate(bx), null);

    // A byte changed after signing by the right key: refused too.
    const tampered = release("tampered", { copy: bx.built });
    sign(bx, tampered.file, bx.releaseKey);
    writeFileSync(tampered.file, Buffer.concat([readFileSync(tampered.file), Buffer.from([0])]));
    const t = await updateSh(bx, tampered, 30);
    assert.equal(t.code, 1, why(bx, t.out));
    assert.match(t.out, /is not the file that was signed/);
    assert.equal(sha(bx.bin), before.bin);
  });

  test("a good update: verified, swapped, restarted, healthy with the PMS link back; `updated` on health", {
    skip,
    timeout: 120_000,
  }, async () => {
    box ??= setup();
    const bx = await box;
    const rel = release("good", { copy: bx.built });
    sign(bx, rel.file, bx.releaseKey);
    const pid = bx.systemd.pid;
    const migrations = schema(bx.data).migrations;
    const r = await updateSh(bx, rel, 30);
    assert.equal(r.code, 0, why(bx, r.out));
    assert.match(r.out, /signature ok: version /);
    assert.match(r.out, /database snapshot: /);
    assert.match(r.out, /updated to .*: healthy, PMS link up/);
    assert.notEqual(bx.systemd.pid, pid, "restarted");
    assert.equal(sha(bx.bin), sha(bx.built));
    assert.ok(existsSync(`${bx.bin}.previous`), "the previous binary is kept");
    assert.ok(!existsSync(`${bx.bin}.new`));
    assert.ok(!existsSync(join(bx.data, "update", "pending")));
    const h = await health(bx.apiPort);
    assert.equal((h.body?.pms as { state?: string } | undefined)?.state, "linked");
    const last = await lastUpdate(bx);
    assert.equal(last?.result, "updated");
    assert.equal(last?.by, "apply");
    assert.equal(last?.reason, null);
    assert.equal(schema(bx.data).migrations, migrations);
    const log = readFileSync(join(bx.data, "update", "update.log"), "utf8");
    assert.match(log, /service bellhop stopped[\s\S]*database snapshot[\s\S]*new binary in place[\s\S]*updated to/);
    assert.ok(!log.includes("PRIVATE KEY") && !bx.systemd.journal.includes("PRIVATE KEY"));
  });

  test("support's connection drops in the middle: the apply on the box goes on and finishes", {
    skip,
    timeout: 120_000,
  }, async () => {
    box ??= setup();
    const bx = await box;
    const rel = release("dropped", { copy: bx.built });
    sign(bx, rel.file, bx.releaseKey);
    const log = join(bx.data, "update", "update.log");
    const swaps = () => (readFileSync(log, "utf8").match(/new binary in place/g) ?? []).length;
    const before = { swaps: swaps(), last: (await lastUpdate(bx))?.id };
    const run = startUpdateSh(bx, rel, 30);
    await eventually("the swap", () => swaps() > before.swaps, 60_000, 20);
    run.proc.kill("SIGKILL"); // update.sh `exec`s ssh: this is the SSH client, as when the network goes
    await run.done;
    await eventually(
      "the update's outcome without anyone connected",
      async () => {
        const last = await lastUpdate(bx);
        return last !== null && last.id !== before.last && last.result === "updated";
      },
      60_000,
      200,
    ).catch((err) => {
      throw new Error(`${err.message}\n${why(bx, "")}`);
    });
    assert.ok(!existsSync(join(bx.data, "update", "pending")));
    assert.equal(((await health(bx.apiPort)).body?.pms as { state?: string } | undefined)?.state, "linked");
  });

  test("a version that migrates the schema and fails its health check: rolled back, binary and database as they were", {
    skip,
    timeout: 120_000,
  }, async () => {
    box ??= setup();
    const bx = await box;
    const installed = sha(bx.bin);
    const before = schema(bx.data);
    // Stand-in: adds a table, a column and a drizzle migration row, keeps them in its WAL (killed,
    // never checkpointed), and answers health with 500.
    const rel = release("nohealth", {
      script: `#!${process.execPath}
const args = process.argv.slice(2);
const arg = (n) => args[args.indexOf(n) + 1];
if (args[0] === "version") { console.log("0.1.1-nohealth"); process.exit(0); }
const { Database } = require("bun:sqlite");
const fs = require("node:fs");
const db = new Database(arg("--data") + "/bellhop.db");
db.exec("PRAGMA journal_mode=WAL");
db.exec("PRAGMA wal_autocheckpoint=0");
db.exec("CREATE TABLE IF NOT EXISTS update_probe (id INTEGER PRIMARY KEY)");
if (!db.query("PRAGMA table_info(meta)").all().some((c) => c.name === "probe")) db.exec("ALTER TABLE meta ADD COLUMN probe TEXT");
db.exec("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('update-probe', 1)");
fs.writeFileSync(${JSON.stringify(join(tmp.dir, "nohealth-migrated"))}, "");
const listen = JSON.parse(fs.readFileSync(arg("--config"), "utf8")).api.listen;
const at = listen.lastIndexOf(":");
Bun.serve({ hostname: listen.slice(0, at), port: Number(listen.slice(at + 1)), fetch: () => new Response("migration check failed", { status: 500 }) });
`,
    });
    sign(bx, rel.file, bx.releaseKey);
    const r = await updateSh(bx, rel, 6);
    assert.equal(r.code, 1, why(bx, r.out));
    assert.match(
      r.out,
      /new version not healthy: not healthy within 6 s: API answered 500; rolling back/,
      why(bx, r.out),
    );
    assert.match(r.out, /update rolled back: not healthy within 6 s: API answered 500/);
    assert.match(r.out, /rolled back to .*: healthy/);
    assert.equal(sha(bx.bin), installed, "the previous binary is back");
    assert.ok(existsSync(join(tmp.dir, "nohealth-migrated")), "the failing version did migrate the database");
    assert.deepEqual(schema(bx.data), before, "the failing version's migration is gone");
    const last = await lastUpdate(bx);
    assert.equal(last?.result, "rolled-back");
    assert.equal(last?.to, "0.1.1-nohealth");
    assert.match(String(last?.reason), /API answered 500/);
    await eventually(
      "the PMS link back after the rollback",
      async () => ((await health(bx.apiPort)).body?.pms as { state?: string } | undefined)?.state === "linked",
      20_000,
      100,
    );
  });

  test("a version that crashes at every start: the boot check rolls it back by itself", {
    skip,
    timeout: 120_000,
  }, async () => {
    box ??= setup();
    const bx = await box;
    const installed = sha(bx.bin);
    const before = schema(bx.data);
    const rel = release("crash", {
      script: `#!/bin/sh
[ "$1" = version ] && { echo 0.1.2-crash; exit 0; }
echo "crash stand-in: cannot start" >&2
exit 1
`,
    });
    sign(bx, rel.file, bx.releaseKey);
    const startsBefore = bx.systemd.starts.length;
    // The health time-out is far: the boot check, not the time-out, must end it.
    const t0 = Date.now();
    const r = await updateSh(bx, rel, 90);
    assert.equal(r.code, 1, why(bx, r.out));
    assert.ok(Date.now() - t0 < 60_000, "rolled back before the health time-out");
    assert.match(
      r.out,
      /rolled back by the boot check: crash loop: version 0\.1\.2-crash started 4 times without becoming healthy/,
    );
    assert.equal(sha(bx.bin), installed);
    assert.deepEqual(schema(bx.data), before);
    // 3 crashed starts of the new version, then the restored one.
    const crashed = bx.systemd.starts.slice(startsBefore).filter((s) => s.exit === 1);
    assert.equal(crashed.length, 3, bx.systemd.journal);
    const last = await lastUpdate(bx);
    assert.equal(last?.result, "rolled-back");
    assert.equal(last?.by, "boot-check");
    assert.match(String(last?.reason), /crash loop/);
    const log = readFileSync(join(bx.data, "update", "update.log"), "utf8");
    assert.match(log, /boot-check: start 3 of version 0\.1\.2-crash[\s\S]*boot-check: rolled back/);
  });
});
