/**
 * baresip (Debian's baresip-core 1.0) as an SRTP guest phone for the call tests: the fixture in
 * test/peers/fixtures/baresip is copied into a temp folder, its ports rewritten to free ones, SDES
 * SRTP (`srtp.so`, `mediaenc=…`) and TLS added, and it registers one account with Kamailio. It
 * auto-answers and its `sndfile` module writes what it decodes to `dump-*-dec.wav` in that folder.
 * It places calls too, through its console (`command("/dial sip:…")`); its microphone is a 440 Hz
 * sine unless `audioSource` names another, such as a WAV file (`aufile,<path>`), which can also be
 * switched mid-call (`/ausrc aufile,<path>`). Tests that start it skip themselves through
 * `peerSkip("baresip", …)` (./available.ts).
 *
 * Quirks: run in the foreground (with `-d` it escapes its parent); its first SIGTERM does not always
 * end it (a stale instance keeps its port and later runs get 404), so `stop` kills by PID and waits.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
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
  /**
   * Its microphone (`audio_source`), default `ausine,440`. `aufile,<path>` plays a 16-bit WAV whose rate
   * and channels are `sourceFormat`'s (else baresip refuses it); at the file's end baresip closes the
   * call (BYE). The aufile module is loaded only when asked for here.
   */
  audioSource?: string;
  /** Sample rate and channels of the microphone (`ausrc_srate`, `ausrc_channels`): default 48000 Hz stereo. */
  sourceFormat?: { rate: number; channels: number };
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
  /**
   * Types a long command into its console (TCP, a connection per command), e.g. `/dial sip:2101@127.0.0.1`,
   * `/ausrc aufile,/tmp/x.wav`, `/hangup`; resolves once sent (what it did shows in `log()`).
   */
  command(line: string): Promise<void>;
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
  if (o.audioSource) {
    config = config.replace(/^audio_source\s.*$/m, `audio_source\t\t${o.audioSource}`);
    if (o.audioSource.startsWith("aufile,")) {
      config = config.replace(/^module\s+ausine\.so$/m, "module\t\t\tausine.so\nmodule\t\t\taufile.so");
    }
  }
  if (o.sourceFormat) {
    config = config
      .replace(/^ausrc_srate\s.*$/m, `ausrc_srate\t\t${o.sourceFormat.rate}`)
      .replace(/^ausrc_channels\s.*$/m, `ausrc_channels\t\t${o.sourceFormat.channels}`);
  }
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

  const command = (line: string) =>
    new Promise<void>((resolve, reject) => {
      const socket = connect(consPort, "127.0.0.1", () => socket.end(`${line}\n`, () => resolve()));
      socket.on("error", reject);
      socket.on("data", () => {}); // its echo of the keys; the log has what the command did
    });

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
    command,
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
