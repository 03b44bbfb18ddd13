/**
 * (i) A wake-up storm: 300 wake-ups due in the same minute, 24 SIP ports, the whole appliance (store,
 * scheduler, dialer, RTP, prompts) against Kamailio, which relays every INVITE with its 407 first, to
 * one auto-answering phone registered for all 300 room extensions (sipp registers them from the
 * phone's port; the phone is ./guest-phone.ts: answers after 0.5 s, keys 1 a second after the ACK,
 * then #). Run twice in the same run against the same Kamailio and registrations: plain RTP
 * (`sip.media.srtp: "off"`, the baseline) and SRTP (`"mandatory"`: our RTP/SAVP offer, the phone
 * answers the strongest suite, keys its presses in SRTP and authenticates all we send).
 *
 * Figures, per run:
 * - delay from the due time to the first INVITE on the wire (target ≤ 100 ms);
 * - total time from the due time until the last port is released, against the port-bound minimum:
 *   the same calls, with their measured durations, scheduled in due order on 24 ports with no gap
 *   between a call ending and the next starting (target ≤ 1.1×);
 * - every wake-up ended OK (confirmed), none lost, none doubled (INVITEs with CSeq 1 per wake-up);
 * - the phone's side: calls answered, media, packets authenticated and authentication failures.
 *
 * `STORM_CALLS` (default 300) sets a shorter storm for a quick run; each full run takes ~1 minute.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Appliance, startAppliance } from "../src/app/appliance.ts";
import { parseConfig } from "../src/config/load.ts";
import { silentLogger } from "../src/lib/logger.ts";
import { mediaUdp } from "../src/runtime/udp.ts";
import { defineRoom } from "../src/services/rooms.ts";
import { createWakeup } from "../src/services/wakeups.ts";
import type { SipMessage } from "../src/sip/message/index.ts";
import { setDefaultUdpFactory } from "../src/sip/rtp/udp.ts";
import { openWakeups, wakeupsDueSince } from "../src/store/wakeups.ts";
import { MIGRATIONS } from "../test/helpers/store.ts";
import { eventually, freePort, HOST } from "../test/integration/support.ts";
import { peerSkip } from "../test/peers/available.ts";
import { type Kamailio, startKamailio } from "../test/peers/kamailio.ts";
import { startSipp } from "../test/peers/sipp.ts";
import { type GuestPhoneStats, startGuestPhone } from "./guest-phone.ts";
import { fmt, line } from "./util.ts";

// As main.ts does: the appliance's media on the runtime's own sockets.
setDefaultUdpFactory(mediaUdp());

const PORTS = 24;
const CALLS = Math.max(PORTS, Number(process.env.STORM_CALLS) || 300);

interface StormResult {
  placed: number;
  ok: number;
  firstInviteMs: number;
  meanCallMs: number;
  totalMs: number;
  idealMs: number;
  /** CPU time of the appliance's thread (this one; the phone has its own) from the due time to the end, ms. */
  cpuMs: number;
  phone: GuestPhoneStats;
}

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
  try {
    const rooms = Array.from({ length: CALLS }, (_, i) => String(101 + i));
    // One phone answers for every room: register all the extensions to its address first.
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

    console.log(`${CALLS} wake-ups due at once, ${PORTS} ports; plain RTP (baseline) then SRTP`);
    const plain = await runStorm(k, rooms, phonePort, false, join(dir, "plain"));
    report("plain RTP (baseline)", plain);
    const srtp = await runStorm(k, rooms, phonePort, true, join(dir, "srtp"));
    report("SRTP (sip.media.srtp: mandatory)", srtp);
    line(
      "SRTP / plain: total / port-bound minimum, CPU per call",
      `${fmt(srtp.totalMs / srtp.idealMs / (plain.totalMs / plain.idealMs), 3)}× / ${fmt(srtp.cpuMs / plain.cpuMs, 2)}×`,
    );
  } finally {
    await k.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(name: string, r: StormResult): void {
  const p = r.phone;
  const media = Object.entries(p.media)
    .map(([m, n]) => `${m} ×${n}`)
    .join(", ");
  line(`${name}: wake-ups placed / ended OK`, `${r.placed} / ${r.ok}`, `${CALLS} / ${CALLS}`);
  line("  due time → first INVITE", `${fmt(r.firstInviteMs, 1)} ms`, "≤ 100 ms");
  line("  mean call (port held)", `${fmt(r.meanCallMs / 1000, 2)} s`);
  line("  total, due time → last port free", `${fmt(r.totalMs / 1000, 2)} s`);
  line(`  port-bound minimum (${PORTS} ports, same calls)`, `${fmt(r.idealMs / 1000, 2)} s`);
  line("  total / port-bound minimum", `${fmt(r.totalMs / r.idealMs, 3)}×`, "≤ 1.1×");
  line(
    "  appliance thread CPU: per call, share of one core",
    `${fmt(r.cpuMs / CALLS, 1)} ms, ${fmt((r.cpuMs / r.totalMs) * 100, 1)} %`,
  );
  console.log(`  phone: answered ${p.answered} of ${p.invites} INVITEs (${p.refused} refused), media ${media}`);
  line(
    "  phone: packets in / auth failures / replays / other",
    `${p.rtpIn} / ${p.authFailures} / ${p.replays} / ${p.otherDrops}`,
    "… / 0 / 0 / 0",
  );
}

async function runStorm(
  k: Kamailio,
  rooms: string[],
  phonePort: number,
  srtp: boolean,
  dir: string,
): Promise<StormResult> {
  const phone = await startGuestPhone({ port: phonePort, srtp });
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
        media: { portMin: 30000, portMax: 30999, srtp: srtp ? "mandatory" : "off" },
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
    await new Promise((r) => setTimeout(r, Math.max(0, duePerf - performance.now() - 200)));
    const cpu0 = process.threadCpuUsage();
    await eventually(
      "every wake-up ended",
      async () => (await ctx.store.read((db) => openWakeups(db))).length === 0,
      180_000,
      50,
    );
    await eventually("every port released", () => holds.length >= CALLS, 10_000, 20);
    const cpu = process.threadCpuUsage(cpu0);

    const durations = holds.sort((a, b) => a.from - b.from).map((h) => h.to - h.from);
    const results = await ctx.store.read((db) =>
      wakeupsDueSince(db, { states: ["done", "failed"], since: dueAt - 1, limit: CALLS * 2 }),
    );
    // The last packets of the last calls reach the phone before its counters are read.
    await new Promise((r) => setTimeout(r, 300));
    return {
      placed: invites.length,
      ok: results.filter((w) => w.result === "OK").length,
      firstInviteMs: Math.min(...invites) - duePerf,
      meanCallMs: durations.reduce((a, b) => a + b, 0) / durations.length,
      totalMs: Math.max(...holds.map((h) => h.to)) - duePerf,
      idealMs: portBoundMakespan(durations, PORTS),
      cpuMs: (cpu.user + cpu.system) / 1000,
      phone: await phone.stats(),
    };
  } finally {
    await app?.stop();
    await phone.stop();
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
