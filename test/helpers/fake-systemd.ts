/**
 * A stand-in for systemd running one unit, for tests of the update path: it reads the real unit file
 * (systemd/bellhop.service), maps its absolute paths into a test folder, and runs its ExecStartPre
 * lines (`-` tolerated failures; `+` ignored: the test runs as one user) and ExecStart with its
 * Environment, restarting the service after RestartSec whenever it exits (Restart=always) unless the
 * exit code is in RestartPreventExitStatus. Type=notify is not modelled: a start returns at once.
 *
 * `systemctl` is a shell script with systemctl's arguments (`start|stop|restart|is-active NAME`): it
 * drops a request file in the control folder and waits for the answer, so any process, also one
 * started over SSH, drives the service this object supervises.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface FakeSystemdOptions {
  unitFile: string;
  service: string;
  /** Absolute path prefixes of the unit → where they are in the test folder (longest match wins). */
  paths: Record<string, string>;
  /** Control folder; the systemctl script is written there. */
  dir: string;
  cwd: string;
}

export interface StartRecord {
  at: number;
  pid: number | undefined;
  exit?: number | string;
}

interface Unit {
  pre: { argv: string[]; tolerate: boolean }[];
  start: string[];
  env: Record<string, string>;
  restartMs: number;
  noRestart: Set<number>;
}

export class FakeSystemd {
  readonly systemctl: string;
  readonly starts: StartRecord[] = [];
  journal = "";
  private readonly unit: Unit;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private wanted = false;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly poller: ReturnType<typeof setInterval>;
  private busy = false;
  private launching: Promise<void> = Promise.resolve();

  constructor(private readonly o: FakeSystemdOptions) {
    this.unit = parseUnit(readFileSync(o.unitFile, "utf8"), o.paths);
    mkdirSync(join(o.dir, "ctl"), { recursive: true });
    this.systemctl = join(o.dir, "systemctl");
    const ctl = join(o.dir, "ctl");
    writeFileSync(
      this.systemctl,
      `#!/bin/sh
# stand-in systemctl (test/helpers/fake-systemd.ts)
n=$$.$(date +%s%N)
echo "$*" >"${ctl}/req.$n.tmp" && mv "${ctl}/req.$n.tmp" "${ctl}/req.$n"
i=0
while [ ! -f "${ctl}/done.$n" ]; do
  i=$((i + 1)); [ $i -gt 2400 ] && { echo "systemctl stand-in: no answer" >&2; exit 1; }
  sleep 0.05
done
rc=$(cat "${ctl}/done.$n"); rm -f "${ctl}/done.$n"
exit "$rc"
`,
    );
    chmodSync(this.systemctl, 0o755);
    this.poller = setInterval(() => void this.poll(), 50);
  }

  /** Whether the service process is running now. */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  async start(): Promise<void> {
    if (this.wanted) return;
    this.wanted = true;
    this.launching = this.launch();
    await this.launching;
  }

  async stop(): Promise<void> {
    this.wanted = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.launching;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await this.exited;
      clearTimeout(killer);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.poller);
    await this.stop();
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const ctl = join(this.o.dir, "ctl");
      for (const name of readdirSync(ctl)
        .filter((n) => /^req\.[0-9.]+$/.test(n))
        .sort()) {
        const [verb, service] = readFileSync(join(ctl, name), "utf8").trim().split(/\s+/);
        rmSync(join(ctl, name), { force: true });
        let rc = 0;
        if (service !== this.o.service) rc = 5;
        else if (verb === "start") await this.start();
        else if (verb === "stop") await this.stop();
        else if (verb === "restart") {
          await this.stop();
          await this.start();
        } else if (verb === "is-active") rc = this.wanted ? 0 : 3;
        else rc = 1;
        this.journal += `systemctl ${verb} ${service} → ${rc}\n`;
        writeFileSync(join(ctl, `done.${name.slice(4)}.tmp`), String(rc));
        renameSync(join(ctl, `done.${name.slice(4)}.tmp`), join(ctl, `done.${name.slice(4)}`));
      }
    } finally {
      this.busy = false;
    }
  }

  private async launch(): Promise<void> {
    const env = { ...process.env, ...this.unit.env };
    for (const pre of this.unit.pre) {
      const rc = await runToEnd(pre.argv, env, this.o.cwd, (s) => {
        this.journal += s;
      });
      if (rc !== 0 && !pre.tolerate) {
        this.journal += `ExecStartPre ${pre.argv[0]} failed (${rc})\n`;
        this.scheduleRestart();
        return;
      }
    }
    if (!this.wanted) return;
    const child = spawn(this.unit.start[0], this.unit.start.slice(1), {
      env,
      cwd: this.o.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const record: StartRecord = { at: Date.now(), pid: child.pid };
    this.starts.push(record);
    this.child = child;
    child.stdout?.on("data", (b: Buffer) => {
      this.journal += b.toString();
    });
    child.stderr?.on("data", (b: Buffer) => {
      this.journal += b.toString();
    });
    this.exited = new Promise((resolve) => {
      child.once("error", (err) => {
        record.exit = String(err);
        resolve();
        this.scheduleRestart();
      });
      child.once("exit", (code, signal) => {
        record.exit = code ?? signal ?? "?";
        this.journal += `service exited: ${record.exit}\n`;
        resolve();
        if (typeof code === "number" && this.unit.noRestart.has(code)) return;
        this.scheduleRestart();
      });
    });
  }

  private scheduleRestart(): void {
    if (!this.wanted || this.restartTimer) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.wanted) this.launching = this.launch();
    }, this.unit.restartMs);
  }
}

function parseUnit(text: string, paths: Record<string, string>): Unit {
  const prefixes = Object.keys(paths).sort((a, b) => b.length - a.length);
  const map = (word: string) => {
    for (const p of prefixes) if (word === p || word.startsWith(`${p}/`)) return paths[p] + word.slice(p.length);
    return word;
  };
  const unit: Unit = { pre: [], start: [], env: {}, restartMs: 100, noRestart: new Set() };
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const eq = line.indexOf("=");
    if (line.startsWith("#") || eq < 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === "ExecStartPre" || key === "ExecStart") {
      const flags = /^[-+@:!]*/.exec(value)?.[0] ?? "";
      const argv = value.slice(flags.length).split(/\s+/).map(map);
      if (key === "ExecStart") unit.start = argv;
      else unit.pre.push({ argv, tolerate: flags.includes("-") });
    } else if (key === "Environment") {
      const [k, ...v] = value.split("=");
      unit.env[k] = map(v.join("="));
    } else if (key === "RestartSec") unit.restartMs = Number.parseFloat(value) * 1000;
    else if (key === "RestartPreventExitStatus") for (const c of value.split(/\s+/)) unit.noRestart.add(Number(c));
  }
  if (unit.start.length === 0) throw new Error("unit has no ExecStart");
  return unit;
}

function runToEnd(argv: string[], env: NodeJS.ProcessEnv, cwd: string, out: (s: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(argv[0], argv.slice(1), { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    p.stdout?.on("data", (b: Buffer) => out(b.toString()));
    p.stderr?.on("data", (b: Buffer) => out(b.toString()));
    p.once("error", () => resolve(127));
    p.once("exit", (code) => resolve(code ?? 1));
  });
}
