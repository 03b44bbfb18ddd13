/**
 * A real OpenSSH server (Debian's openssh-server) on a free 127.0.0.1 port, run as the current user
 * from a temp folder: its own sshd_config, host key, client key and authorized_keys, nothing of the
 * machine's ssh setup used or changed. `sshOptions` is what ssh and scp need to reach it as host
 * `box` (a client config with the pinned host key: StrictHostKeyChecking yes).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, freePort } from "../integration/support.ts";
import { peerCommand } from "../peers/available.ts";

export interface Sshd {
  port: number;
  /** ssh/scp options that reach it as host `box` (`-F <client config>`). */
  sshOptions: string;
  host: string;
  /** What sshd logged (-e), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

function keygen(file: string): void {
  const res = spawnSync(peerCommand("ssh-keygen"), ["-q", "-t", "ed25519", "-N", "", "-C", "bellhop-test", "-f", file]);
  if (res.status !== 0) throw new Error(`ssh-keygen failed: ${res.stderr}`);
}

/** The login name of this process's user (os.userInfo() may say "unknown" when USER is unset). */
function currentUser(): string {
  const name = spawnSync("id", ["-un"], { encoding: "utf8" }).stdout.trim();
  if (!name) throw new Error("id -un: no user name");
  return name;
}

export async function startSshd(dir: string): Promise<Sshd> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const hostKey = join(dir, "host_key");
  const clientKey = join(dir, "client_key");
  keygen(hostKey);
  keygen(clientKey);
  writeFileSync(join(dir, "authorized_keys"), readFileSync(`${clientKey}.pub`));
  const sshdConfig = join(dir, "sshd_config");
  writeFileSync(
    sshdConfig,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "StrictModes no",
      "UsePAM no",
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin prohibit-password",
      // scp speaks SFTP since OpenSSH 9.
      "Subsystem sftp internal-sftp",
      "AllowTcpForwarding no",
      "X11Forwarding no",
      "LogLevel VERBOSE",
      "",
    ].join("\n"),
  );
  const hostPub = readFileSync(`${hostKey}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
  writeFileSync(join(dir, "known_hosts"), `[127.0.0.1]:${port} ${hostPub}\n`);
  const clientConfig = join(dir, "ssh_config");
  writeFileSync(
    clientConfig,
    [
      "Host box",
      "  HostName 127.0.0.1",
      `  Port ${port}`,
      `  User ${currentUser()}`,
      `  IdentityFile ${clientKey}`,
      "  IdentitiesOnly yes",
      `  UserKnownHostsFile ${join(dir, "known_hosts")}`,
      "  StrictHostKeyChecking yes",
      "  BatchMode yes",
      "  LogLevel ERROR",
      "",
    ].join("\n"),
  );
  // Run as root, sshd wants its privilege-separation folder (the package's service would make it).
  if (process.getuid?.() === 0) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  let log = "";
  const proc: ChildProcess = spawn(peerCommand("sshd"), ["-D", "-e", "-f", sshdConfig], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout?.on("data", (b: Buffer) => {
    log += b.toString();
  });
  proc.stderr?.on("data", (b: Buffer) => {
    log += b.toString();
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const sshOptions = `-F ${clientConfig}`;
  await eventually(
    "sshd to accept a login",
    () => {
      if (proc.exitCode !== null) throw new Error(`sshd exited ${proc.exitCode}: ${log}`);
      return spawnSync(peerCommand("ssh"), ["-F", clientConfig, "box", "true"], { timeout: 5000 }).status === 0;
    },
    10_000,
    100,
  ).catch((err: Error) => {
    proc.kill("SIGTERM");
    throw new Error(`${err.message}; sshd said: ${log.slice(-1000)}`);
  });

  return {
    port,
    sshOptions,
    host: "box",
    log: () => log,
    stop: async () => {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      await exited;
    },
  };
}
