/**
 * Message lamps end to end: a PMS lamp record reaches real phones as SIP NOTIFY (RFC 3842): the
 * sipp guest phone and linphonec (test/peers/fixtures), which both answer an unsolicited NOTIFY
 * with 200 and log its body. The proof is the phone's own log, and the job's outcome in the API.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../../src/app/appliance.ts";
import { parseConfig } from "../../../src/config/load.ts";
import { silentLogger } from "../../../src/lib/logger.ts";
import { recordFromText, serializeRecord } from "../../../src/pms/fias/record.ts";
import { getJobs } from "../../../src/services/jobs.ts";
import { defineRoom, getRoom } from "../../../src/services/rooms.ts";
import { MIGRATIONS, tempDir } from "../../helpers/store.ts";
import { eventually, freePort } from "../../integration/support.ts";
import { PEER_FIXTURES, peerSkip } from "../../peers/available.ts";

async function appliance(dir: string): Promise<Appliance> {
  const config = parseConfig({
    pms: { port: await freePort() },
    sip: { local: { port: await freePort() }, pbx: { address: "127.0.0.1", port: await freePort() } },
  });
  return startAppliance({ config, dataDir: dir, migrationsFolder: MIGRATIONS, logger: silentLogger, version: "t" });
}

async function pmsSays(app: Appliance, ...texts: string[]) {
  for (const t of texts) {
    const r = recordFromText(t);
    app.ingest.receive(r, serializeRecord(r));
  }
  await app.ingest.idle();
}

async function mwiJobs(app: Appliance, room: string) {
  return (await getJobs(app.ctx, { link: "sip-mwi" })).filter((j) => j.room === room);
}

describe("MWI NOTIFY to real phones", () => {
  test("the sipp guest phone gets Messages-Waiting: yes when the PMS lights the lamp", {
    skip: peerSkip("sipp"),
  }, async () => {
    const t = tempDir();
    const phonePort = await freePort();
    const log = join(t.dir, "guest-phone.log");
    const sipp: ChildProcess = spawn(
      "sipp",
      [
        "-sf",
        join(PEER_FIXTURES, "sipp/uas-guest-phone.xml"),
        "-i",
        "127.0.0.1",
        "-p",
        String(phonePort),
        "-s",
        "2101",
        "-trace_logs",
        "-log_file",
        log,
        "-nostdin",
        "-m",
        "1",
      ],
      { cwd: t.dir, stdio: "ignore" },
    );
    const exited = new Promise<number | null>((r) => sipp.once("exit", (code) => r(code)));
    const app = await appliance(join(t.dir, "data"));
    try {
      await defineRoom(app.ctx, "api:tech", "101", { extension: "2101", phone: { address: `127.0.0.1:${phonePort}` } });
      await pmsSays(app, "GI|RN101|G#1|GNRossi|GSN|", "RE|RN101|MLY|");
      await eventually(
        "the phone logged the NOTIFY",
        () => existsSync(log) && readFileSync(log, "utf8").includes("NOTIFY"),
        8000,
      );
      assert.match(
        readFileSync(log, "utf8"),
        /event=message-summary body: Messages-Waiting: yes \| Voice-Message: 1\/0/,
      );
      await eventually(
        "the job is done",
        async () => (await mwiJobs(app, "101")).some((j) => j.op === "lamp" && j.state === "done"),
        5000,
      );
      assert.equal(await exited, 0, "sipp went as scripted");
      const room = await getRoom(app.ctx, "101");
      assert.equal(room.mwi?.state, "done", "the outcome shows on the room");
    } finally {
      sipp.kill();
      await app.stop();
      t.cleanup();
    }
  });

  test("linphonec answers 200 and logs the body; a room without a phone is a dead letter naming why", {
    skip: peerSkip("linphonec"),
  }, async () => {
    const t = tempDir();
    const home = join(t.dir, "home");
    mkdirSync(join(home, ".local/share/linphone"), { recursive: true });
    const phonePort = await freePort();
    const rc = join(t.dir, "linphonerc");
    writeFileSync(
      rc,
      readFileSync(join(PEER_FIXTURES, "linphone/linphonerc"), "utf8")
        .replace("sip_port=5074", `sip_port=${phonePort}`)
        .replace(/audio_rtp_port=\d+/, `audio_rtp_port=${await freePort()}`),
    );
    const env = { ...process.env, HOME: home };
    const logFile = join(t.dir, "linphone.log");
    execFileSync("linphonecsh", ["init", "-c", rc, "-a", "-d", "6", "-l", logFile], { env, stdio: "ignore" });
    const app = await appliance(join(t.dir, "data"));
    try {
      await eventually(
        "linphonec listening",
        () => existsSync(logFile) && readFileSync(logFile, "utf8").length > 0,
        8000,
      );
      await defineRoom(app.ctx, "api:tech", "102", { extension: "2102", phone: { address: `127.0.0.1:${phonePort}` } });
      await pmsSays(app, "GI|RN102|G#2|GNBrown|GSN|", "XL|RN102|G#2|MI1|MTcall home|", "XL|RN103|G#3|MI1|");
      await eventually(
        "linphonec logged the NOTIFY body",
        () => readFileSync(logFile, "utf8").includes("Messages-Waiting: yes"),
        8000,
      );
      await eventually("102 done", async () => (await mwiJobs(app, "102")).some((j) => j.state === "done"), 5000);
      const none = await mwiJobs(app, "103");
      await eventually("103 dead", async () => (await mwiJobs(app, "103")).some((j) => j.state === "dead"), 5000);
      const dead = (await mwiJobs(app, "103")).find((j) => j.state === "dead");
      assert.match(dead?.lastError ?? "", /room 103 has no phone address/);
      assert.ok(none.length >= 1);
    } finally {
      await app.stop();
      try {
        execFileSync("linphonecsh", ["exit"], { env, stdio: "ignore", timeout: 5000 });
      } catch {
        // reported below by the kill
      }
      // linphonec may ignore the exit request (and SIGTERM): make sure this test's instance is gone.
      try {
        execFileSync("pkill", ["-9", "-f", rc], { stdio: "ignore" });
      } catch {
        // no such process: it did exit
      }
      rmSync(t.dir, { recursive: true, force: true });
    }
  });

  // sipp runs on 127.0.0.1, the PBX's address: a subscriber there may watch any mailbox (mwi-access.test.ts).
  test("a subscriber at the PBX's address (sipp) gets the PMS's lamp change in its dialog, no phone known", {
    skip: peerSkip("sipp"),
  }, async () => {
    const t = tempDir();
    const app = await appliance(join(t.dir, "data"));
    try {
      await defineRoom(app.ctx, "api:tech", "101", { extension: "2101" });
      await pmsSays(app, "GI|RN101|G#1|GNRossi|GSN|", "XL|RN101|G#1|MI1|", "XL|RN101|G#1|MI2|");
      const port = app.sip?.endpoint.port as number;
      const messageFile = join(t.dir, "messages.log");
      const sipp = spawn(
        "sipp",
        [
          `127.0.0.1:${port}`,
          "-sf",
          resolve(import.meta.dirname ?? ".", "../../fixtures/sipp/uac-subscribe-mwi.xml"),
          "-i",
          "127.0.0.1",
          "-p",
          String(await freePort()),
          "-m",
          "1",
          "-nostdin",
          "-timeout",
          "15",
          "-trace_msg",
          "-message_file",
          messageFile,
        ],
        { cwd: t.dir, stdio: "ignore" },
      );
      const exited = new Promise<number | null>((r) => sipp.once("exit", (code) => r(code)));
      // The scenario expects the lamp on (2 messages) at once, then off: the PMS turns it off.
      await eventually("sipp subscribed", () => app.sip?.subscriptions?.has("2101") === true, 8000);
      await pmsSays(app, "RE|RN101|MLN|");
      const code = await exited;
      assert.equal(
        code,
        0,
        `sipp: ${existsSync(messageFile) ? readFileSync(messageFile, "utf8").slice(-3000) : "no trace"}`,
      );
      await eventually(
        "the lamp job is done",
        async () => (await mwiJobs(app, "101")).some((j) => j.state === "done"),
        5000,
      );
    } finally {
      await app.stop();
      t.cleanup();
    }
  });
});
