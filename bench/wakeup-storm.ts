/**
 * (i) A wake-up storm: 300 wake-ups due in the same minute, 24 SIP ports, against one auto-answering
 * sipp phone (uas-guest-phone.xml: answers after 0.5 s, keys 1 a second after the ACK) registered
 * with Kamailio for all 300 room extensions. The whole appliance runs (store, scheduler, dialer,
 * RTP, prompts); Kamailio relays every INVITE with its 407 first.
 *
 * Figures:
 * - delay from the due time to the first INVITE on the wire (target ≤ 100 ms);
 * - total time from the due time until the last port is released, against the port-bound minimum:
 *   the same calls, with their measured durations, scheduled in due order on 24 ports with no gap
 *   between a call ending and the next starting (target ≤ 1.1×);
 * - every wake-up ended OK (confirmed), none lost, none doubled (INVITEs with CSeq 1 per wake-up).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Appliance, startAppliance } from "../src/app/appliance.ts";
import { parseConfig } from "../src/config/load.ts";
import { silentLogger } from "../src/lib/logger.ts";
import { defineRoom } from "../src/services/rooms.ts";
import { createWakeup } from "../src/services/wakeups.ts";
import type { SipMessage } from "../src/sip/message/index.ts";
import { openWakeups, wakeupsDueSince } from "../src/store/wakeups.ts";
import { MIGRATIONS } from "../test/helpers/store.ts";
import { eventually, freePort, HOST } from "../test/integration/support.ts";
import { peerSkip } from "../test/peers/available.ts";
import { startKamailio } from "../test/peers/kamailio.ts";
import { startSipp } from "../test/peers/sipp.ts";
import { fmt, line } from "./util.ts";

const PORTS = 24;
const CALLS = 300;

export async function benchWakeupStorm(): Promise<void> {
  const skip = peerSkip("kamailio", "sipp");
  if (skip) {
    console.log(`skipped: ${skip}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "bellhop-storm-"));
  const k = await startKamailio({
    sipPort: await freePort(),
    ctlPort: await freePort(),
    defines: ["WITH_INVITE_AUTH"],
    lastUser: 2100 + CALLS,
  });
  const rooms = Array.from({ length: CALLS }, (_, i) => String(101 + i));
  // One sipp phone answers for every room: register all 300 extensions to its address first.
  const csv = join(dir, "users.csv");
  writeFileSync(
    csv,
    `SEQUENTIAL\n${rooms.map((r) => `2${r};[authentication username=2${r} password=secret]`).join("\n")}\n`,
  );
  const registrar = await startSipp({
    scenario: "uac-register-many.xml",
    user: "x",
    remote: `127.0.0.1:${k.sipPort}`,
    max: CALLS,
    extra: ["-inf", csv, "-r", "100", "-timeout", "30s"],
  });
  const regCode = await registrar.exited;
  const phonePort = registrar.port;
  await registrar.stop();
  if (regCode !== 0) throw new Error(`sipp could not register the ${CALLS} room extensions`);
  const phone = await startSipp({
    scenario: "uas-guest-phone.xml",
    user: "guest",
    extra: ["-p", String(phonePort)],
  });
  let app: Appliance | undefined;
  try {
    const config = parseConfig({
      site: { timezone: "Europe/Rome" },
      pms: { mode: "client", host: HOST, port: await freePort() },
      rooms: { extensionTemplate: "2${room}" },
      sip: {
        local: { port: await freePort() },
        pbx: { address: "127.0.0.1", port: k.sipPort, expiresSeconds: 600 },
        ports: Array.from({ length: PORTS }, (_, i) => ({ user: String(2001 + i), password: "secret" })),
        media: { portMin: 30000, portMax: 30999 },
      },
      wakeup: { retries: 0, pollSeconds: 60 },
    });
    app = await startAppliance({
      config,
      dataDir: join(dir, "data"),
      migrationsFolder: MIGRATIONS,
      logger: silentLogger,
      version: "bench",
    });
    const sip = app.sip;
    if (!sip) throw new Error("SIP did not start");
    await eventually("24 ports registered", () => sip.freePorts() === PORTS, 10_000);

    // Instruments: first INVITEs on the wire, and how long each port is held.
    const invites: number[] = [];
    const send = sip.endpoint.send.bind(sip.endpoint);
    sip.endpoint.send = (msg: SipMessage, target) => {
      if (msg.kind === "request" && msg.method === "INVITE" && msg.cseq.seq === 1) invites.push(performance.now());
      return send(msg, target);
    };
    const holds: { from: number; to: number }[] = [];
    const acquire = sip.acquirePort.bind(sip);
    sip.acquirePort = (prefer?: string) => {
      const lease = acquire(prefer);
      if (!lease) return lease;
      const from = performance.now();
      return {
        user: lease.user,
        release: () => {
          holds.push({ from, to: performance.now() });
          lease.release();
        },
      };
    };

    for (const r of rooms) await defineRoom(app.ctx, "bench", r, { extension: `2${r}` });
    const dueAt = Math.ceil((Date.now() + 3000) / 1000) * 1000;
    for (const r of rooms) await createWakeup(app.ctx, "bench", { room: r, at: dueAt });
    const duePerf = performance.now() + (dueAt - Date.now());
    const ctx = app.ctx;
    await eventually(
      "every wake-up ended",
      async () => (await ctx.store.read((db) => openWakeups(db))).length === 0,
      180_000,
      50,
    );
    await eventually("every port released", () => holds.length >= CALLS, 10_000, 20);

    const first = Math.min(...invites) - duePerf;
    const lastRelease = Math.max(...holds.map((h) => h.to));
    const total = lastRelease - duePerf;
    const durations = holds.sort((a, b) => a.from - b.from).map((h) => h.to - h.from);
    const ideal = portBoundMakespan(durations, PORTS);
    const results = await ctx.store.read((db) =>
      wakeupsDueSince(db, { states: ["done", "failed"], since: dueAt - 1, limit: CALLS * 2 }),
    );
    const ok = results.filter((w) => w.result === "OK").length;
    const mean = durations.reduce((a, b) => a + b, 0) / durations.length;
    line("wake-ups placed / ended OK", `${invites.length} / ${ok}`, `${CALLS} / ${CALLS}`);
    line("due time → first INVITE", `${fmt(first, 1)} ms`, "≤ 100 ms");
    line("mean call (port held)", `${fmt(mean / 1000, 2)} s`);
    line("total, due time → last port free", `${fmt(total / 1000, 2)} s`);
    line("port-bound minimum (24 ports, same calls)", `${fmt(ideal / 1000, 2)} s`);
    line("total / port-bound minimum", `${fmt(total / ideal, 3)}×`, "≤ 1.1×");
  } finally {
    await app?.stop();
    await phone.stop();
    await k.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Makespan of `durations`, taken in order by whichever of `ports` frees first, with no gaps. */
export function portBoundMakespan(durations: readonly number[], ports: number): number {
  const free = new Array<number>(ports).fill(0);
  for (const d of durations) {
    let i = 0;
    for (let j = 1; j < ports; j++) if (free[j] < free[i]) i = j;
    free[i] += d;
  }
  return Math.max(...free);
}

if (import.meta.main) await benchWakeupStorm();
