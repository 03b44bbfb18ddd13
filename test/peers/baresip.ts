/**
 * baresip (Debian's baresip-core 1.0) as an SRTP guest phone for the call tests: the fixture in
 * test/peers/fixtures/baresip is copied into a temp folder, its ports rewritten to free ones, SDES
 * SRTP (`srtp.so`, `mediaenc=…`) and TLS added, and it registers one account with Kamailio. It
 * auto-answers and its `sndfile` module writes what it decodes to `dump-*-dec.wav` in that folder.
 * Tests that start it skip themselves through `peerSkip("baresip", …)` (./available.ts).
 *
 * Quirks: run in the foreground (with `-d` it escapes its parent); its first SIGTERM does not always
 * end it (a stale instance keeps its port and later runs get 404), so `stop` kills by PID and waits.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../integration/support.ts";
import { PEER_FIXTURES, peerCommand } from "./available.ts";
import type { Kamailio } from "./kamailio.ts";

export interface BaresipOptions {
  /** The extension it registers as (password `secret`). */
  user: string;
  /** Kamailio's address for the REGISTER, e.g. `127.0.0.1:5061;transport=tls` or `127.0.0.1:5060`. */
  registrar: string;
  /** `mediaenc`: `srtp-mand` (RTP/SAVP only), `srtp` (best effort) or none. */
  mediaenc?: "srtp" | "srtp-mand" | "srtp-mandf";
  /** TLS: the CA that signed Kamailio's certificate, and a PEM holding our certificate and key. */
  tls?: { caFile: string; certAndKeyFile: string };
}

export interface Baresip {
  dir: string;
  /** Its SIP UDP/TCP port (TLS listens on the next one). */
  sipPort: number;
  /** stdout + stderr so far. */
  log(): string;
  waitForLog(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** The WAV files of what it received and decoded (`dump-*-dec.wav`), full paths. */
  recordings(): string[];
  stop(): Promise<void>;
}

/** Whether nobody listens on TCP `port` of 127.0.0.1 right now. */
function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

export async function startBaresip(o: BaresipOptions): Promise<Baresip> {
  const dir = mkdtempSync(join(tmpdir(), "bellhop-baresip-"));
  cpSync(join(PEER_FIXTURES, "baresip"), dir, { recursive: true });
  // TLS listens on sip_listen + 1: both must be free.
  let sipPort = await freePort();
  while (!(await tcpFree(sipPort + 1))) sipPort = await freePort();
  const rtpBase = 30000 + 2 * Math.floor(Math.random() * 5000);
  const consPort = await freePort();
  let config = readFileSync(join(dir, "config"), "utf8")
    .replace(/^sip_listen\s.*$/m, `sip_listen\t\t127.0.0.1:${sipPort}`)
    .replace(/^rtp_ports\s.*$/m, `rtp_ports\t\t${rtpBase}-${rtpBase + 99}`)
    .replace(/^cons_listen\s.*$/m, `cons_listen\t\t127.0.0.1:${consPort}`)
    .replace(/^module\s+sndfile\.so$/m, "module\t\t\tsndfile.so\nmodule\t\t\tsrtp.so");
  if (o.tls) config += `\nsip_cafile\t\t${o.tls.caFile}\nsip_certificate\t\t${o.tls.certAndKeyFile}\n`;
  writeFileSync(join(dir, "config"), config);
  const params = [
    "auth_pass=secret",
    `outbound="sip:${o.registrar}"`,
    "answermode=auto",
    "regint=60",
    "audio_codecs=pcmu",
    ...(o.mediaenc ? [`mediaenc=${o.mediaenc}`] : []),
  ];
  writeFileSync(join(dir, "accounts"), `<sip:${o.user}@127.0.0.1>;${params.join(";")}\n`);

  let log = "";
  const child: ChildProcess = spawn(peerCommand("baresip"), ["-f", dir], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (b) => {
    log += b.toString();
  });
  child.stderr?.on("data", (b) => {
    log += b.toString();
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));

  const waitForLog = async (text: string | RegExp, timeoutMs = 10_000) => {
    const end = Date.now() + timeoutMs;
    const has = () => (typeof text === "string" ? log.includes(text) : text.test(log));
    while (!has()) {
      if (child.exitCode !== null) throw new Error(`baresip exited (${child.exitCode}):\n${log.slice(-2000)}`);
      if (Date.now() > end) throw new Error(`baresip log has no ${String(text)}:\n${log.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 2000);
      await exited;
      clearTimeout(t);
    }
  };

  try {
    await waitForLog("baresip is ready.");
  } catch (err) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    sipPort,
    log: () => log,
    waitForLog,
    recordings: () =>
      existsSync(dir)
        ? readdirSync(dir)
            .filter((f) => /^dump-.*-dec\.wav$/.test(f))
            .map((f) => join(dir, f))
        : [],
    async stop() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * TLS against a test Kamailio (started with `tlsPort`): trust its self-signed certificate and
 * present the same pair, in the one PEM baresip wants (written into Kamailio's folder).
 */
export function kamailioTls(k: Pick<Kamailio, "dir" | "caFile">): NonNullable<BaresipOptions["tls"]> {
  if (!k.caFile) throw new Error("kamailioTls: Kamailio runs without TLS");
  const pem = join(k.dir, "baresip-tls.pem");
  writeFileSync(pem, readFileSync(join(k.dir, "cert.pem"), "utf8") + readFileSync(join(k.dir, "key.pem"), "utf8"));
  return { caFile: k.caFile, certAndKeyFile: pem };
}
