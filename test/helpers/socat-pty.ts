/** A socat pty pair for serial tests: two linked ptys at stable paths, killed and restarted at will. */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { peerCommand } from "../peers/available.ts";

export class PtyPair {
  readonly dir: string;
  readonly a: string;
  readonly b: string;
  private proc: ChildProcess | undefined;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "bellhop-pty-"));
    this.a = join(this.dir, "a");
    this.b = join(this.dir, "b");
  }

  /** Starts socat and resolves once both link names exist. */
  async start(): Promise<void> {
    const proc = spawn(
      peerCommand("socat"),
      ["-d", "-d", `pty,raw,echo=0,link=${this.a}`, `pty,raw,echo=0,link=${this.b}`],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    proc.stderr?.resume();
    this.proc = proc;
    const until = Date.now() + 5000;
    while (!(existsSync(this.a) && existsSync(this.b))) {
      if (Date.now() > until || proc.exitCode !== null) throw new Error("socat did not create the pty pair");
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Kills socat (both ptys vanish) and waits for it to exit. */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    await exited;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
