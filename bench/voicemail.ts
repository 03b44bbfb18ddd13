/**
 * (l) and (m): guest voicemail, the whole appliance (store, PMS link, SIP ports, RTP, recorder, lamp
 * jobs, PMS outbox) on 127.0.0.1, with Kamailio as the PBX its 48 ports register with (users
 * 2001…2048, as in (i); no call goes through it: a forwarded call comes straight to the appliance's
 * SIP port, as a PBX delivers it, and takes a free port), the PMS simulator over FIAS/TCP, and the
 * callers and the rooms' phone in a worker thread (./voicemail-caller.ts). 48 rooms are checked in by
 * the simulator (GI) and each room's phone address is the worker's phone socket.
 *
 * (l) 48 callers leave a 30-second message at once, one per room and port (the built-in English
 * greeting, 5.3 s, then the beep; the callers speak after it and hang up 100 ms after their last
 * packet: see HANGUP_GAP_MS in ./voicemail-caller.ts for why not sooner). Figures:
 * - messages complete: kept as a new message, its durationMs within 40 ms of the audio sent, and
 *   every 20 ms frame of the recording byte-identical to the packet sent for it (the audio is
 *   speech-like and dithered, so a lost packet, which the recorder fills with silence, shows);
 * - RTP packets lost: frames sent that are not in the recording;
 * - appliance CPU: the process's CPU (process.cpuUsage: every thread, GC helpers and libsql
 *   included) minus the callers' thread, from the first INVITE until every message was stored and
 *   reported, per call-second (INVITE → BYE) and as a share of one core per call; and the appliance
 *   thread alone, sampled every 100 ms, while all 48 greetings play (48 streams out: the baseline of
 *   the same run) and while all 48 messages are recorded (48 streams in, written to disk);
 * - RSS before the calls (after a GC), the peak while they run, after them (after a GC);
 * - every room's lamp NOTIFY (Voice-Message 1/0) and RE VM0100 at the PMS.
 *
 * (m) Hang-up → lamp and PMS: 200 deposits of 3-second messages (~2.5 s of sound), in waves of 10
 * calls at once to 10 different rooms (so their BYEs come within a few ms of each other), the next wave
 * once the last had its NOTIFYs and RE records (or 5 s passed). The greeting is the hotel's own
 * 0.3 s recording (PromptLibrary.putCustom, as an upload does) so the 200 calls fit in ~1.5 minutes;
 * recording and what follows the hang-up are as in (l). From the BYE the caller sends to (a) the
 * NOTIFY with the room's new count arriving at the phone socket, (b) the `RE|RN<room>|VM<new><old>|`
 * record arriving at the PMS simulator (its clock is the main thread's: the offset to the worker's
 * clock is measured first). Baseline of the same run: a PMS lamp record (`RE|RN|MLY|` / `MLN|`) →
 * NOTIFY at the phone, 200 of them for 10 rooms without messages, each round's 10 records sent at the
 * moments the matching wave's callers hung up relative to each other: the same NOTIFY queueing
 * (`sip.mwi.ratePerSecond` 50 spaces NOTIFYs 20 ms apart), without the voicemail part.
 *
 * `VM_MESSAGE_SECONDS` (default 30) and `VM_DEPOSITS` (default 200) shorten a run; `VM_HANGUP_GAP_MS`
 * (default 20) sets the callers' last packet → BYE gap. Needs Kamailio. Takes ~2 minutes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Appliance, startAppliance } from "../src/app/appliance.ts";
import { parseConfig } from "../src/config/load.ts";
import { silentLogger } from "../src/lib/logger.ts";
import { mediaUdp } from "../src/runtime/udp.ts";
import { defineRoom } from "../src/services/rooms.ts";
import { mailboxOf, messageAudio } from "../src/services/voicemail.ts";
import { generateHotel } from "../src/sim/pms/hotel.ts";
import { PmsSimulator } from "../src/sim/pms/simulator.ts";
import { setDefaultUdpFactory } from "../src/sip/rtp/udp.ts";
import { readMessageUlaw } from "../src/voice/recorder.ts";
import { DEFAULT_SILENCE_THRESHOLD, SoundMeter } from "../src/voice/sound-meter.ts";
import { tone } from "../src/voice/tone.ts";
import { encodeWavUlaw } from "../src/voice/wav.ts";
import { MIGRATIONS } from "../test/helpers/store.ts";
import { freePort, HOST } from "../test/integration/support.ts";
import { peerSkip } from "../test/peers/available.ts";
import { type Kamailio, startKamailio } from "../test/peers/kamailio.ts";
import { fmt, line } from "./util.ts";
import {
  type Callers,
  type CallResult,
  type CallSpec,
  HANGUP_GAP_MS,
  type NotifySeen,
  now,
  speechLike,
  startCallers,
} from "./voicemail-caller.ts";

// As main.ts does: the appliance's media on the runtime's own sockets.
setDefaultUdpFactory(mediaUdp());

const CALLERS = 48;
const MESSAGE_MS = Math.round((Number(process.env.VM_MESSAGE_SECONDS) || 30) * 50) * 20;
const DEPOSITS = Math.max(10, Number(process.env.VM_DEPOSITS) || 200);
const WAVE = 10;
const SHORT_MS = 3000;
const BASELINE_ROOMS = Array.from({ length: WAVE }, (_, i) => String(901 + i));
const ROOMS = Array.from({ length: CALLERS }, (_, i) => String(101 + i));
/** How long a deposit's NOTIFY and RE VM are waited for before it counts as missing. */
const REPORT_WAIT_MS = 5000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const mb = (bytes: number) => fmt(bytes / 1024 / 1024, 0);
const cpuMs = (u: { user: number; system: number }) => (u.user + u.system) / 1000;

async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 10): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (performance.now() > until) return false;
    await sleep(everyMs);
  }
}

function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] as number;
}

/** RE VM's value: new and saved counts, two digits each (issue 12 §4). */
const vmField = (newCount: number, saved: number) =>
  `${String(newCount).padStart(2, "0")}${String(saved).padStart(2, "0")}`;

interface ReSeen {
  room: string;
  vm: string;
  /** Main-thread clock. */
  at: number;
}

interface Setup {
  app: Appliance;
  sim: PmsSimulator;
  callers: Callers;
  target: { address: string; port: number };
  /** RE records with a VM field, as they reach the simulator. */
  re: ReSeen[];
  /** Worker clock − main clock, ms. */
  offset: number;
}

export async function benchVoicemail(): Promise<void> {
  const skip = peerSkip("kamailio");
  if (skip) {
    console.log(`skipped: ${skip}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "bellhop-vm-bench-"));
  let k: Kamailio | undefined;
  const sim = new PmsSimulator({ hotel: generateHotel({ rooms: 1, occupancy: 0 }) });
  let callers: Callers | undefined;
  let app: Appliance | undefined;
  try {
    k = await startKamailio({ sipPort: await freePort(), ctlPort: await freePort(), lastUser: 2000 + CALLERS });
    const pmsPort = await sim.listen(0, HOST);
    callers = await startCallers();
    const rtpBase = 20000 + 2 * Math.floor(Math.random() * 4000);
    const config = parseConfig({
      site: { timezone: "Europe/Rome" },
      pms: { mode: "client", host: HOST, port: pmsPort },
      sip: {
        local: { port: await freePort() },
        pbx: { address: HOST, port: k.sipPort, expiresSeconds: 600 },
        ports: Array.from({ length: CALLERS }, (_, i) => ({ user: String(2001 + i), password: "secret" })),
        media: { portMin: rtpBase, portMax: rtpBase + 4 * CALLERS + 200 },
      },
    });
    app = await startAppliance({
      config,
      dataDir: join(dir, "data"),
      migrationsFolder: MIGRATIONS,
      logger: silentLogger,
      version: "bench",
      link: { initWaitMs: 100, backoff: { initialMs: 50, maxMs: 500 } },
    });
    const sip = app.sip;
    if (!sip) throw new Error("SIP did not start");
    await sim.whenLinked(10_000);
    if (!(await waitUntil(() => sip.freePorts() === CALLERS, 10_000)))
      throw new Error(`only ${sip.freePorts()} of ${CALLERS} ports registered with Kamailio`);

    const ctx = app.ctx;
    for (const room of [...ROOMS, ...BASELINE_ROOMS]) sim.send(`GI|RN${room}|G#${room}|GNGuest|GLEA|`);
    const allIn = await waitUntil(async () => {
      for (const room of [...ROOMS, ...BASELINE_ROOMS]) {
        const box = await mailboxOf(ctx, room).catch(() => undefined);
        if (!box?.occupied) return false;
      }
      return true;
    }, 10_000);
    if (!allIn) throw new Error("the rooms were not all checked in");
    for (const room of [...ROOMS, ...BASELINE_ROOMS])
      await defineRoom(ctx, "bench", room, { phone: { address: `${HOST}:${callers.phonePort}` } });
    const re: ReSeen[] = [];
    sim.on("frame", (f) => {
      const r = f.record;
      if (f.dir === "in" && r?.type === "RE" && r.fields.VM !== undefined)
        re.push({ room: r.fields.RN ?? "", vm: r.fields.VM, at: now() });
    });
    // Lamp jobs of the set-up (phone addresses) run out before anything is measured.
    await sleep(1500);
    await callers.notifies();
    const s: Setup = {
      app,
      sim,
      callers,
      target: { address: HOST, port: sip.endpoint.port },
      re,
      offset: await callers.clockOffset(),
    };

    const greetingMs = app.prompts.get("en", "vm-greeting").length / 8;
    console.log(
      `(l) ${CALLERS} callers × ${MESSAGE_MS / 1000} s messages at once, ${CALLERS} ports ` +
        `(greeting ${fmt(greetingMs / 1000, 1)} s, then the beep; BYE ${HANGUP_GAP_MS} ms after the last packet)`,
    );
    await benchMessages(s);
    console.log(
      `\n(m) ${DEPOSITS} deposits of ${SHORT_MS / 1000} s messages in waves of ${WAVE}: hang-up → lamp NOTIFY and RE VM`,
    );
    await benchHangupReports(s);
  } finally {
    await callers?.stop();
    await app?.stop();
    await sim.close();
    await k?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Frames of `sent` found byte-identical in `recorded`, aligned on the recording's first frame, and
 * the indices of the first few that are not (a lost packet is a frame of fill silence).
 */
function framesFound(sent: Uint8Array, recorded: Uint8Array): { found: number; missing: number[] } {
  const frames = Math.ceil(sent.length / 160);
  const first = recorded.subarray(0, 160);
  let shift = 0;
  for (let j = 0; j < Math.min(frames, 50); j++) {
    if (sameBytes(sent.subarray(j * 160, (j + 1) * 160), first)) {
      shift = j;
      break;
    }
  }
  const missing: number[] = [];
  for (let f = 0; f < shift; f++) missing.push(f);
  let found = 0;
  for (let f = shift; f < frames; f++) {
    const at = (f - shift) * 160;
    const want = sent.subarray(f * 160, (f + 1) * 160);
    if (sameBytes(want, recorded.subarray(at, at + want.length))) found++;
    else missing.push(f);
  }
  return { found, missing };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** (l) */
async function benchMessages(s: Setup): Promise<void> {
  const { app, callers, re } = s;
  const ctx = app.ctx;
  const specs: CallSpec[] = ROOMS.map((room, i) => ({ id: i, room, ms: MESSAGE_MS, seed: 1000 + i }));
  await callers.prepare(specs);
  globalThis.Bun?.gc(true);
  await sleep(300);
  const rssBefore = process.memoryUsage().rss;
  re.length = 0;
  await callers.notifies();

  const samples: { at: number; thread: number; rss: number }[] = [];
  const sample = () =>
    samples.push({ at: now(), thread: cpuMs(process.threadCpuUsage()), rss: process.memoryUsage().rss });
  sample();
  const sampler = setInterval(sample, 100);
  const worker0 = await callers.cpu();
  const process0 = process.cpuUsage();
  const t0 = now();
  const results = await callers.place(specs, s.target);
  // Stored and reported: every room's RE VM0100 at the PMS and its lamp NOTIFY (1/0) at the phone.
  const lamps = new Map<string, NotifySeen>();
  const want = vmField(1, 0);
  await waitUntil(
    async () => {
      for (const n of await callers.notifies()) if (n.newMessages === 1) lamps.set(n.user, n);
      return lamps.size >= ROOMS.length && ROOMS.every((r) => re.some((x) => x.room === r && x.vm === want));
    },
    30_000,
    20,
  );
  const process1 = process.cpuUsage();
  const worker1 = await callers.cpu();
  const t1 = now();
  sample();
  clearInterval(sampler);
  const peakRss = Math.max(...samples.map((x) => x.rss));
  await sleep(500);
  globalThis.Bun?.gc(true);
  await sleep(300);
  const rssAfter = process.memoryUsage().rss;

  // What was recorded, against what was sent.
  const ok = results.filter((r) => r.ok);
  let complete = 0;
  let worst = 0;
  let lost = 0;
  let sentFrames = 0;
  let kept = 0;
  let soundMs = 0;
  const problems: string[] = [];
  for (const r of results) {
    const spec = specs[r.id] as CallSpec;
    sentFrames += r.framesSent;
    if (!r.ok) {
      problems.push(`${r.room}: ${r.error}`);
      lost += Math.ceil(spec.ms / 20) - r.framesSent;
      continue;
    }
    const box = await mailboxOf(ctx, r.room);
    const m = box.messages.find((x) => x.state === "new");
    const sent = speechLike(spec.seed, spec.ms).subarray(0, r.framesSent * 160);
    const meter = new SoundMeter("PCMU", DEFAULT_SILENCE_THRESHOLD);
    meter.add(0, sent);
    soundMs += meter.soundMs(sent.length);
    if (!m) {
      problems.push(`${r.room}: no message kept`);
      lost += r.framesSent;
      continue;
    }
    kept++;
    const recorded = readMessageUlaw((await messageAudio(ctx, r.room, m.id)).path);
    const { found, missing } = framesFound(sent, recorded);
    const diff = Math.abs(m.durationMs - r.framesSent * 20);
    worst = Math.max(worst, diff);
    lost += r.framesSent - found;
    if (diff <= 40 && found === r.framesSent) complete++;
    else
      problems.push(
        `${r.room}: ${m.durationMs} ms recorded of ${r.framesSent * 20} ms sent; frames missing: ${missing.slice(0, 6).join(", ")}${missing.length > 6 ? ", …" : ""} (of 0…${r.framesSent - 1})`,
      );
  }
  await callers.forget(specs);

  // CPU: the appliance is the process minus the callers' thread.
  const applianceMs = cpuMs(process1) - cpuMs(process0) - (cpuMs(worker1) - cpuMs(worker0));
  const callMs = ok.reduce((a, r) => a + (r.byeAt - r.inviteAt), 0);
  const toMain = (t: number) => t - s.offset;
  const rate = (from: number, to: number) => {
    const inside = samples.filter((x) => x.at >= from && x.at <= to);
    if (inside.length < 2) return Number.NaN;
    const a = inside[0] as (typeof samples)[number];
    const b = inside[inside.length - 1] as (typeof samples)[number];
    return (b.thread - a.thread) / (b.at - a.at);
  };
  const greeting = rate(
    toMain(Math.max(...ok.map((r) => r.answeredAt))) + 100,
    toMain(Math.min(...ok.map((r) => r.beepAt))) - 300,
  );
  const recording = rate(
    toMain(Math.max(...ok.map((r) => r.streamStartAt))) + 200,
    toMain(Math.min(...ok.map((r) => r.byeAt))) - 100,
  );
  const reRooms = new Set(re.filter((x) => x.vm === want).map((x) => x.room));

  line(`messages complete (kept, every frame as sent)`, `${complete} / ${CALLERS}`, `${CALLERS} / ${CALLERS}`);
  line("  max |durationMs − audio sent|", `${fmt(worst, 0)} ms`, "≤ 40 ms");
  line("  RTP packets lost (sent, not in the recording)", `${fmt(lost, 0)} of ${fmt(sentFrames, 0)}`, "0");
  line(
    "  kept / sound per message (sound meter, mean)",
    `${kept} / ${fmt(soundMs / Math.max(1, ok.length) / 1000, 1)} s`,
  );
  line(
    "  appliance CPU per call-second; share of a core",
    `${fmt(applianceMs / (callMs / 1000), 2)} ms; ${fmt((applianceMs / callMs) * 100, 2)} %`,
  );
  line("  appliance thread per call: greeting (baseline)", `${fmt((greeting / CALLERS) * 100, 2)} %`);
  line(
    "  … recording (48 streams in, to disk) / greeting",
    `${fmt((recording / CALLERS) * 100, 2)} % (${fmt(recording / greeting, 2)}×)`,
  );
  line(
    "  appliance CPU / wall, first INVITE → all reported",
    `${fmt(applianceMs / 1000, 2)} s / ${fmt((t1 - t0) / 1000, 1)} s`,
  );
  line("  RSS before → peak → after (after a GC)", `${mb(rssBefore)} → ${mb(peakRss)} → ${mb(rssAfter)} MB`);
  line("  RSS growth (after − before)", `${rssAfter >= rssBefore ? "+" : ""}${mb(rssAfter - rssBefore)} MB`);
  line("  lamps NOTIFY 1/0 / RE VM0100 at the PMS", `${lamps.size} / ${reRooms.size}`, `${CALLERS} / ${CALLERS}`);
  const late = Math.max(...ok.map((r) => r.lateMaxMs));
  line("  callers: worst frame lateness (their pacing)", `${fmt(late, 1)} ms`);
  for (const p of problems.slice(0, 5)) console.log(`  ! ${p}`);
  if (problems.length > 5) console.log(`  ! … and ${problems.length - 5} more`);
}

interface Deposit {
  spec: CallSpec;
  expectNew: number;
  saved: number;
  result?: CallResult;
  notifyMs?: number;
  reMs?: number;
}

/** (m) */
async function benchHangupReports(s: Setup): Promise<void> {
  const { app, callers, re } = s;
  const ctx = app.ctx;
  // The hotel's own short greeting, uploaded as staff would: the greeting is not what is measured.
  await app.prompts.putCustom("en", "vm-greeting", encodeWavUlaw(tone({ hz: 440, ms: 300, dbfs: -18 })));
  const deposits: Deposit[] = [];
  let soundMs = 0;
  for (let i = 0; i < DEPOSITS; i++) {
    const spec = { id: 10_000 + i, room: ROOMS[i % ROOMS.length] as string, ms: SHORT_MS, seed: 5000 + i };
    const meter = new SoundMeter("PCMU", DEFAULT_SILENCE_THRESHOLD);
    const audio = speechLike(spec.seed, spec.ms);
    meter.add(0, audio);
    soundMs += meter.soundMs(audio.length);
    deposits.push({ spec, expectNew: 0, saved: 0 });
  }
  await callers.prepare(deposits.map((d) => d.spec));
  s.offset = await callers.clockOffset();
  re.length = 0;
  await callers.notifies();
  const notifies: NotifySeen[] = [];
  /** Per wave, when each call hung up after the wave's first hang-up (the baseline replays it). */
  const hangups: number[][] = [];
  const started = now();
  for (let w = 0; w < deposits.length; w += WAVE) {
    const wave = deposits.slice(w, w + WAVE);
    // The counts each deposit's NOTIFY and RE VM will carry: the box's, plus this message.
    for (const d of wave) {
      const box = await mailboxOf(ctx, d.spec.room);
      d.expectNew = box.new + 1;
      d.saved = box.saved;
    }
    const results = await callers.place(
      wave.map((d) => d.spec),
      s.target,
    );
    for (const [i, r] of results.entries()) (wave[i] as Deposit).result = r;
    const byes = results.filter((r) => r.ok).map((r) => r.byeAt);
    const first = Math.min(...byes);
    hangups.push(byes.map((t) => t - first));
    await waitUntil(
      async () => {
        notifies.push(...(await callers.notifies()));
        let pending = 0;
        for (const d of wave) {
          const r = d.result;
          if (!r?.ok) continue;
          if (d.notifyMs === undefined) {
            const n = notifies.find((x) => x.user === d.spec.room && x.newMessages === d.expectNew && x.at >= r.byeAt);
            if (n) d.notifyMs = n.at - r.byeAt;
          }
          if (d.reMs === undefined) {
            const want = vmField(d.expectNew, d.saved);
            const x = re.find((e) => e.room === d.spec.room && e.vm === want && e.at + s.offset >= r.byeAt);
            if (x) d.reMs = x.at + s.offset - r.byeAt;
          }
          if (d.notifyMs === undefined || d.reMs === undefined) pending++;
        }
        return pending === 0;
      },
      REPORT_WAIT_MS,
      10,
    );
  }
  const elapsed = now() - started;
  await callers.forget(deposits.map((d) => d.spec));

  // Baseline: the PMS lights and clears lamps of rooms without messages (RE ML), each wave's 10
  // records sent at the moments its 10 callers hung up relative to each other: the same NOTIFY
  // queueing (sip.mwi.ratePerSecond), without the voicemail part.
  const base: number[] = [];
  let baseMissing = 0;
  for (const [i, pattern] of hangups.entries()) {
    const on = i % 2 === 0;
    await callers.notifies();
    const sentAt = new Map<string, number>();
    const t0 = now() + 10;
    const rooms = BASELINE_ROOMS.slice(0, pattern.length);
    const sends = rooms.map(
      (room, j) =>
        new Promise<void>((resolve) =>
          setTimeout(
            () => {
              sentAt.set(room, now() + s.offset);
              s.sim.send(`RE|RN${room}|ML${on ? "Y" : "N"}|`);
              resolve();
            },
            Math.max(0, t0 + (pattern[j] as number) - now()),
          ),
        ),
    );
    const seen = new Map<string, number>();
    await waitUntil(
      async () => {
        for (const n of await callers.notifies()) {
          const t = sentAt.get(n.user);
          if (t !== undefined && n.waiting === on && !seen.has(n.user)) seen.set(n.user, n.at - t);
        }
        return seen.size === rooms.length;
      },
      REPORT_WAIT_MS,
      5,
    );
    await Promise.all(sends);
    base.push(...seen.values());
    baseMissing += rooms.length - seen.size;
  }
  const spreads = hangups.map((p) => Math.max(...p));

  const placed = deposits.filter((d) => d.result?.ok);
  const notifyMs = placed.flatMap((d) => (d.notifyMs === undefined ? [] : [d.notifyMs]));
  const reMs = placed.flatMap((d) => (d.reMs === undefined ? [] : [d.reMs]));
  const fails = deposits.filter((d) => !d.result?.ok);
  line("deposits answered and hung up", `${placed.length} / ${DEPOSITS}`, `${DEPOSITS} / ${DEPOSITS}`);
  line("  sound per message (sound meter, mean)", `${fmt(soundMs / DEPOSITS / 1000, 2)} s`);
  line(
    "hang-up → NOTIFY at the phone: p50 / p99 (max)",
    `${fmt(percentile(notifyMs, 0.5), 1)} / ${fmt(percentile(notifyMs, 0.99), 1)} (${fmt(Math.max(...notifyMs), 0)}) ms`,
    "p99 ≤ 300 ms",
  );
  line(
    "hang-up → RE VM at the PMS: p50 / p99 (max)",
    `${fmt(percentile(reMs, 0.5), 1)} / ${fmt(percentile(reMs, 0.99), 1)} (${fmt(Math.max(...reMs), 0)}) ms`,
    "p99 ≤ 300 ms",
  );
  line("  NOTIFYs / RE VM records matched", `${notifyMs.length} / ${reMs.length}`, `${DEPOSITS} / ${DEPOSITS}`);
  line(
    "  hang-ups of a wave spread over: p50 / max",
    `${fmt(percentile(spreads, 0.5), 0)} / ${fmt(Math.max(...spreads), 0)} ms`,
  );
  line(
    "  baseline, PMS lamp record → NOTIFY: p50 / p99",
    `${fmt(percentile(base, 0.5), 1)} / ${fmt(percentile(base, 0.99), 1)} ms`,
  );
  line(
    "  hang-up → NOTIFY / baseline: p50, p99",
    `${fmt(percentile(notifyMs, 0.5) / percentile(base, 0.5), 2)}×, ${fmt(percentile(notifyMs, 0.99) / percentile(base, 0.99), 2)}×`,
  );
  line("  (m) deposits took", `${fmt(elapsed / 1000, 1)} s`);
  if (baseMissing > 0) console.log(`  ! baseline: ${baseMissing} lamp NOTIFYs missing`);
  for (const d of fails.slice(0, 5)) console.log(`  ! room ${d.spec.room}: ${d.result?.error ?? "not placed"}`);
}

if (import.meta.main) await benchVoicemail();
