/**
 * Which system peers the tests and benchmarks can use: real third-party programs from Debian
 * packages (Kamailio, sipp, linphonec, baresip, openssl, libsrtp through python3-pylibsrtp, socat for pty pairs), found on this
 * machine or not. Their configs and scenarios live in test/peers/fixtures; only the programs come
 * from the system.
 *
 * A test that needs a peer asks `peerSkip(...)` for its `skip` option (node:test): `false` when
 * every peer is there, else the reason. Each skip is recorded, and when the run ends one notice
 * (stderr) names the missing Debian packages and the one command that installs them:
 *
 *   peer tests skipped: 7 (tests or suites), in test/sip/ua/calls-kamailio.test.ts, …; missing kamailio (kamailio), …
 *   install them with: sudo apt-get install kamailio sip-tester
 *
 * `.ci/run` installs every package and fails when that first line appears.
 * `BELLHOP_PEERS_ABSENT=1` (or a list such as `kamailio,linphonec`) makes peers count as missing:
 * the way to check what a machine without them does.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync, writeSync } from "node:fs";
import { delimiter, join, relative, resolve } from "node:path";

/** The peers' configs and scenarios (kamailio/, sipp/, linphone/, baresip/): see fixtures/README.md. */
export const PEER_FIXTURES = resolve(import.meta.dirname ?? ".", "fixtures");

interface PeerSpec {
  /** The Debian (bookworm) package that brings it. */
  package: string;
  /** Programs it needs, looked up in PATH and the sbin folders. */
  commands: string[];
  /** Other files it needs (a module), found when this says so. */
  present?: () => boolean;
}

/** Every peer a test may need, in the order the notice and the install command name them. */
export const PEERS = {
  kamailio: { package: "kamailio", commands: ["kamailio", "kamcmd"] },
  "kamailio-tls": { package: "kamailio-tls-modules", commands: ["kamailio"], present: kamailioTlsModule },
  sipp: { package: "sip-tester", commands: ["sipp"] },
  linphonec: { package: "linphone-cli", commands: ["linphonec", "linphonecsh"] },
  baresip: { package: "baresip-core", commands: ["baresip"], present: baresipSrtpModule },
  openssl: { package: "openssl", commands: ["openssl"] },
  socat: { package: "socat", commands: ["socat"] },
  pylibsrtp: { package: "python3-pylibsrtp", commands: [], present: pylibsrtpModule },
  sshd: { package: "openssh-server", commands: ["sshd", "ssh", "scp", "ssh-keygen"] },
  iproute2: { package: "iproute2", commands: ["ip", "nstat"] },
} satisfies Record<string, PeerSpec>;

export type PeerName = keyof typeof PEERS;

const PEER_NAMES = Object.keys(PEERS) as PeerName[];

/** `sudo apt-get install …` for these packages (all peers' when none are given). */
export function installCommand(packages: string[] = PEER_NAMES.map((p) => PEERS[p].package)): string {
  return `sudo apt-get install ${packages.join(" ")}`;
}

/** Peers `BELLHOP_PEERS_ABSENT` declares missing: `1`/`all` = every one, or a comma list of names. */
export function declaredAbsent(value: string | undefined): Set<PeerName> {
  const v = (value ?? "").trim();
  if (v === "" || v === "0") return new Set();
  if (v === "1" || v === "all") return new Set(PEER_NAMES);
  const names = v.split(",").map((s) => s.trim());
  for (const n of names) if (!(n in PEERS)) throw new Error(`BELLHOP_PEERS_ABSENT: unknown peer ${n}`);
  return new Set(names as PeerName[]);
}

const absent = declaredAbsent(process.env.BELLHOP_PEERS_ABSENT);
// Kamailio and kamcmd live in /usr/sbin, which a user's PATH often leaves out.
const SEARCH = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), "/usr/local/sbin", "/usr/sbin", "/sbin"];
const found = new Map<string, string | null>();

/** The absolute path of an installed program, or null (`command -v`, with the sbin folders). */
export function which(command: string): string | null {
  let path = found.get(command);
  if (path !== undefined) return path;
  path = null;
  for (const dir of SEARCH) {
    try {
      accessSync(join(dir, command), constants.X_OK);
      path = join(dir, command);
      break;
    } catch {
      // not in this folder
    }
  }
  found.set(command, path);
  return path;
}

/** Kamailio's tls.so, in the module folder of any of the usual library layouts. */
function kamailioTlsModule(): boolean {
  const libs = ["/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/local/lib64"];
  const dirs = libs.flatMap((lib) => {
    let multiarch: string[] = [];
    try {
      multiarch = readdirSync(lib).filter((d) => d.includes("-linux-"));
    } catch {
      // no such folder
    }
    return [lib, ...multiarch.map((d) => join(lib, d))];
  });
  return dirs.some((d) => existsSync(join(d, "kamailio/modules/tls.so")));
}

/** baresip's SDES module (Debian's baresip-core ships it with the program). */
function baresipSrtpModule(): boolean {
  return existsSync("/usr/lib/baresip/modules/srtp.so");
}

/**
 * Debian's python interpreter: Debian's python3-* packages are visible to it only, not to a pyenv
 * or venv python3 that may come first in PATH.
 */
export const SYSTEM_PYTHON = "/usr/bin/python3";

let pylibsrtp: boolean | undefined;

/** libsrtp's Python binding, importable by the system python (asked once: it starts python). */
function pylibsrtpModule(): boolean {
  pylibsrtp ??=
    existsSync(SYSTEM_PYTHON) &&
    spawnSync(SYSTEM_PYTHON, ["-c", "import pylibsrtp"], { stdio: "ignore", timeout: 10_000 }).status === 0;
  return pylibsrtp;
}

/** Whether `peer` can run here. */
export function peerPresent(peer: PeerName): boolean {
  if (absent.has(peer)) return false;
  const spec: PeerSpec = PEERS[peer];
  return spec.commands.every((c) => which(c) !== null) && (spec.present?.() ?? true);
}

/** The absolute path of a peer's program, for spawning it (PATH may lack /usr/sbin). */
export function peerCommand(command: string): string {
  return which(command) ?? command;
}

const skipped = { count: 0, peers: new Set<PeerName>(), files: new Set<string>() };

/**
 * For node:test's `skip` option: `false` when all of `peers` are present, else the reason, recorded
 * for the notice at the end of the run.
 */
export function peerSkip(...peers: PeerName[]): string | false {
  const missing = peers.filter((p) => !peerPresent(p));
  if (missing.length === 0) return false;
  if (skipped.count === 0) process.once("exit", printNotice);
  skipped.count++;
  for (const p of missing) skipped.peers.add(p);
  const file = callerFile();
  if (file) skipped.files.add(file);
  const packages = missing.map((p) => PEERS[p].package);
  return `needs ${missing.join(", ")} (Debian: ${packages.join(" ")}; see the notice at the end)`;
}

/** The notice, once the run is over; null when nothing was skipped. */
export function notice(): string | null {
  if (skipped.count === 0) return null;
  const peers = PEER_NAMES.filter((p) => skipped.peers.has(p));
  const packages = [...new Set(peers.map((p) => PEERS[p].package))];
  const files = [...skipped.files].sort();
  return [
    `peer tests skipped: ${skipped.count} (tests or suites)${files.length ? `, in ${files.join(", ")}` : ""}; missing ${peers
      .map((p) => `${p} (${PEERS[p].package})`)
      .join(", ")}`,
    `install them with: ${installCommand(packages)}`,
  ].join("\n");
}

function printNotice(): void {
  const text = notice();
  if (text) writeSync(2, `\n${text}\n`);
}

/** The test or bench file that asked, relative to the working folder. */
function callerFile(): string | null {
  for (const line of (new Error().stack ?? "").split("\n").slice(1)) {
    const m = line.match(/(?:\(|at )(?:file:\/\/)?(\/[^():]+\.ts)(?::\d+)*\)?\s*$/);
    if (m?.[1] && !m[1].endsWith("/peers/available.ts")) return relative(process.cwd(), m[1]);
  }
  return null;
}
