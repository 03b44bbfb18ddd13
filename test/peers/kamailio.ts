/**
 * Kamailio as the test registrar/proxy, on ports of the test's choosing. The config in
 * test/peers/fixtures/kamailio is copied into a temp folder with its 5060/5061/2049 ports rewritten,
 * so a test run never collides with a Kamailio already on the machine. With TLS, a fresh self-signed
 * P-256 pair is made there with openssl (nothing secret is kept in the repository, nothing expires).
 * Proof of registration comes from Kamailio itself (`kamcmd ul.dump`), not from our own logs.
 * Tests that start it skip themselves through `peerSkip("kamailio", …)` (./available.ts).
 *
 * For the flow tests (RFC 5626) it can play a peer gone silent (`pause`: every Kamailio process
 * stopped, connections left open, nothing answered) and one that drops a connection (`cutFlow`,
 * through the fixture's `-A WITH_FLOW_CUT` hook).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PEER_FIXTURES, peerCommand } from "./available.ts";

export interface KamailioOptions {
  sipPort: number;
  tlsPort?: number;
  ctlPort: number;
  /** `-A` defines, e.g. `MAX_EXPIRES=60`, `NONCE_EXPIRE=5`, `WITH_INVITE_AUTH`. */
  defines?: string[];
  /** Users are 2001…lastUser, password `secret` (the fixture config stops at 2010). */
  lastUser?: number;
}

export interface Kamailio {
  dir: string;
  sipPort: number;
  tlsPort?: number;
  /** The self-signed CA/server certificate when TLS is on. */
  caFile?: string;
  log(): string;
  waitForLog(text: string, timeoutMs?: number): Promise<void>;
  kamcmd(...args: string[]): string;
  /** `ul.dump` output: the registrar's own view of every contact. */
  ulDump(): string;
  /** Stops (SIGSTOP) every Kamailio process: connections stay open, nothing is answered. */
  pause(): void;
  resume(): void;
  /** Closes the TCP/TLS connection whose far end is `hostPort` from Kamailio's side (needs WITH_FLOW_CUT). */
  cutFlow(hostPort: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startKamailio(opts: KamailioOptions): Promise<Kamailio> {
  const dir = mkdtempSync(join(tmpdir(), "bellhop-kamailio-"));
  cpSync(join(PEER_FIXTURES, "kamailio"), dir, { recursive: true });
  const cfgFile = join(dir, "kamailio.cfg");
  let cfg = readFileSync(cfgFile, "utf8")
    .replaceAll(":5060", `:${opts.sipPort}`)
    .replaceAll("tcp:127.0.0.1:2049", `tcp:127.0.0.1:${opts.ctlPort}`);
  if (opts.lastUser) {
    const before = cfg;
    cfg = cfg
      .replace("while ($var(u) <= 2010)", `while ($var(u) <= ${opts.lastUser})`)
      .replace('"users=>size=6;"', '"users=>size=12;"')
      // Kamailio stops a while loop after max_while_loops (default 100) iterations.
      .replace("auto_aliases=no", `auto_aliases=no\nmax_while_loops=${opts.lastUser - 2000 + 10}`);
    if (cfg === before) throw new Error("kamailio.cfg: the user loop was not found; lastUser cannot be applied");
  }
  if (opts.tlsPort) cfg = cfg.replaceAll(":5061", `:${opts.tlsPort}`);
  writeFileSync(cfgFile, cfg);
  const args = ["-f", cfgFile, "-DD", "-E", "-n", "2"];
  let caFile: string | undefined;
  if (opts.tlsPort) {
    execFileSync(
      peerCommand("openssl"),
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "30",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    caFile = join(dir, "cert.pem");
    args.push("-A", "WITH_TLS");
  }
  for (const d of opts.defines ?? []) args.push("-A", d);
  let log = "";
  // Its own process group, so `pause` reaches the children it forks too.
  const child: ChildProcess = spawn(peerCommand("kamailio"), args, {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let paused = false;
  const signalAll = (sig: NodeJS.Signals) => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, sig);
  };
  child.stdout?.on("data", (b) => {
    log += b.toString();
  });
  child.stderr?.on("data", (b) => {
    log += b.toString();
  });
  const ctl = `tcp:127.0.0.1:${opts.ctlPort}`;
  const kamcmd = (...a: string[]) =>
    execFileSync(peerCommand("kamcmd"), ["-s", ctl, ...a], {
      encoding: "utf8",
      timeout: 5000,
      stdio: ["ignore", "pipe", "pipe"],
    });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      kamcmd("core.version");
      break;
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) {
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`kamailio did not start:\n${log.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    dir,
    sipPort: opts.sipPort,
    tlsPort: opts.tlsPort,
    caFile,
    log: () => log,
    async waitForLog(text, timeoutMs = 5000) {
      const end = Date.now() + timeoutMs;
      while (!log.includes(text)) {
        if (Date.now() > end) throw new Error(`kamailio log has no ${JSON.stringify(text)}:\n${log.slice(-1500)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    kamcmd,
    ulDump: () => kamcmd("ul.dump"),
    pause() {
      signalAll("SIGSTOP");
      paused = true;
    },
    resume() {
      signalAll("SIGCONT");
      paused = false;
    },
    cutFlow: (hostPort) => cutFlow(opts.sipPort, hostPort),
    async stop() {
      if (paused) signalAll("SIGCONT");
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await new Promise((r) => {
          const t = setTimeout(() => {
            child.kill("SIGKILL");
            r(undefined);
          }, 3000);
          child.once("exit", () => {
            clearTimeout(t);
            r(undefined);
          });
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The fixture's test hook: `OPTIONS sip:cut-flow@…` with `X-Flow: ip:port`, over UDP; resolves on its 200. */
function cutFlow(sipPort: number, hostPort: string): Promise<void> {
  const sock = createSocket("udp4");
  const branch = `z9hG4bK-cut-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`kamailio did not answer cut-flow ${hostPort}`)), 3000);
    const done = (err?: Error) => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve();
    };
    sock.on("message", (m) => {
      const text = m.toString();
      if (!text.includes(branch)) return;
      if (text.startsWith("SIP/2.0 200")) done();
      else done(new Error(`cut-flow ${hostPort}: ${text.split("\r\n")[0]}`));
    });
    sock.bind(0, "127.0.0.1", () => {
      const port = sock.address().port;
      const req = [
        `OPTIONS sip:cut-flow@127.0.0.1:${sipPort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=${branch}`,
        "Max-Forwards: 70",
        `From: <sip:test@127.0.0.1:${port}>;tag=cut`,
        `To: <sip:cut-flow@127.0.0.1:${sipPort}>`,
        `Call-ID: ${branch}@127.0.0.1`,
        "CSeq: 1 OPTIONS",
        `X-Flow: ${hostPort}`,
        "Content-Length: 0",
        "",
        "",
      ].join("\r\n");
      sock.send(req, sipPort, "127.0.0.1");
    });
  });
}
