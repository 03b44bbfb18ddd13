/**
 * @module jobs/runner
 * Works the persisted PBX outbox: per link, due jobs in order (one at a time per room, so a room's
 * check-in never overtakes its check-out), with `retries` further attempts `intervalSeconds` apart,
 * then a dead letter. A kill -9 mid-job re-runs that job once at start-up; drivers' ops are
 * idempotent (set name, set DND), so that repeats nothing the phone system would show twice.
 *
 * Accepted, not done: a driver may resolve an op with an `externalRef` (VOIspeed's `request_id`: the
 * PBX validated the request and runs it later). The job is done, and the reference is committed at
 * once with what a late failure of that attempt means by this link's policy (`lateRetryMs`: retry
 * after that long, or null = the retries are used up), so `failPbxJobLater` (services/pbx-async.ts)
 * can reopen it however soon the failure arrives. A job finished while an older job of its room was
 * reopened meanwhile runs again after that one, so the room ends in the state of its newest op.
 */
import type { Capability } from "../domain/pbx-ops.ts";
import { opCapability, type PbxOp } from "../domain/pbx-ops.ts";
import type { Clock, TimerHandle } from "../lib/clock.ts";
import { errorMessage } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { TokenBucket } from "../lib/token-bucket.ts";
import { yieldToEventLoop } from "../lib/yield.ts";
import type { PbxDriver, PbxExecuteResult } from "../pbx/driver.ts";
import { PbxError } from "../pbx/driver.ts";
import type { Store } from "../store/db.ts";
import {
  dueJobs,
  finishJob,
  type JobRow,
  type JobUpdate,
  jobCounts,
  nextDueAt,
  oldestPendingByRoom,
} from "../store/pbx-jobs.ts";

const STOP_WAIT_MS = 3000;
const PROBE_RETRY_MS = 30_000;

export interface RunnerLink {
  name: string;
  type: string;
  retries: number;
  intervalSeconds: number;
  driver: PbxDriver;
  /** At most this many ops a second reach the far end (token bucket); unset = no limit. */
  ratePerSecond?: number;
  /** Ops of different rooms in flight at once (default 1). */
  concurrency?: number;
  /** Retry after interval, 2×, 4×… instead of a fixed interval. */
  retryBackoff?: boolean;
  /** The driver's debug packet log; switched at run time through `setDebug`. */
  debug?: { on: boolean };
}

export type LinkHealth = "starting" | "ok" | "error";

export interface LinkStatus {
  name: string;
  type: string;
  state: LinkHealth;
  lastSuccess: string | null;
  lastError: { at: string; message: string } | null;
  queueDepth: number;
  deadLetters: number;
  capabilities: { declared: readonly Capability[]; available: readonly Capability[] };
  debug: boolean;
}

interface Outcome {
  id: number;
  room: string | null;
  set: JobUpdate;
  /** Commit now, not with the pass: the far end may report on it any moment (an external ref). */
  urgent?: boolean;
}

interface LinkRun {
  cfg: RunnerLink;
  /** The start-up probe succeeded (or the driver has none): jobs may run. */
  probed: boolean;
  nextProbeAt: number;
  limiter: TokenBucket | undefined;
  available: Set<Capability>;
  state: LinkHealth;
  busy: boolean;
  lastSuccess: number | null;
  lastError: { at: number; message: string } | null;
}

export class PbxJobRunner {
  private links: LinkRun[];
  private timer: TimerHandle | undefined;
  private stopped = true;
  private ticking: Promise<void> | null = null;

  constructor(
    private readonly deps: { store: Store; clock: Clock; logger: Logger; pollMs: number },
    links: RunnerLink[],
  ) {
    this.links = links.map((cfg) => ({
      cfg,
      limiter: cfg.ratePerSecond ? new TokenBucket(deps.clock, cfg.ratePerSecond) : undefined,
      probed: false,
      nextProbeAt: 0,
      available: new Set(cfg.driver.capabilities.filter((c) => cfg.driver.unavailable?.[c] === undefined)),
      state: "starting",
      busy: false,
      lastSuccess: null,
      lastError: null,
    }));
  }

  async start(): Promise<void> {
    this.stopped = false;
    await Promise.all(this.links.map((l) => this.probe(l)));
    this.kick();
  }

  /**
   * Asks the driver what this installation offers. Until a probe succeeds the link's jobs wait (they
   * would only fail, or run features the PBX does not allow); it is tried again every PROBE_RETRY_MS.
   */
  private async probe(l: LinkRun): Promise<void> {
    if (!l.cfg.driver.probe) {
      l.probed = true;
      return;
    }
    try {
      const caps = await l.cfg.driver.probe();
      const never = l.cfg.driver.unavailable ?? {};
      l.available = new Set(caps.filter((c) => l.cfg.driver.capabilities.includes(c) && never[c] === undefined));
      // What the driver never offers is no surprise: only features this installation lacks are warned of.
      const missing = l.cfg.driver.capabilities.filter((c) => !l.available.has(c) && never[c] === undefined);
      if (missing.length) this.deps.logger.warn("PBX link features disabled", { link: l.cfg.name, missing });
      l.probed = true;
      if (l.state !== "ok") this.deps.logger.info("PBX link ready", { link: l.cfg.name });
      l.state = "ok";
    } catch (err) {
      l.nextProbeAt = this.deps.clock.now() + PROBE_RETRY_MS;
      this.fail(l, `start-up probe failed: ${errorMessage(err)}`);
    }
  }

  /** Look for due jobs now (called after jobs are committed). */
  kick(): void {
    if (this.stopped) return;
    this.deps.clock.clearTimeout(this.timer);
    this.timer = this.deps.clock.setTimeout(() => this.tick(), 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.clock.clearTimeout(this.timer);
    // A driver stuck on a dead PBX must not hold up shutdown; its job simply runs again next start.
    if (this.ticking) await Promise.race([this.ticking, new Promise((r) => setTimeout(r, STOP_WAIT_MS))]);
    await Promise.all(this.links.map((l) => l.cfg.driver.close?.()));
  }

  /** Runs one pass over every link; resolves when that pass is done (tests call it directly). */
  tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = (async () => {
      await Promise.all(this.links.map((l) => this.runLink(l)));
    })()
      .catch((err) => this.deps.logger.error("PBX job runner pass failed", { error: errorMessage(err) }))
      .finally(() => {
        this.ticking = null;
        this.schedule().catch((err) =>
          this.deps.logger.error("PBX job runner cannot reschedule", { error: errorMessage(err) }),
        );
      });
    return this.ticking;
  }

  private async schedule(): Promise<void> {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    let next = now + this.deps.pollMs;
    for (const l of this.links) {
      const at = await this.deps.store.read((db) => nextDueAt(db, l.cfg.name));
      if (at !== undefined) next = Math.min(next, Math.max(at, now));
    }
    if (this.stopped) return;
    this.deps.clock.clearTimeout(this.timer);
    this.timer = this.deps.clock.setTimeout(() => this.tick(), next - now);
  }

  private async runLink(l: LinkRun): Promise<void> {
    if (l.busy) return;
    l.busy = true;
    try {
      if (!l.probed) {
        if (this.deps.clock.now() < l.nextProbeAt) return;
        await this.probe(l);
        if (!l.probed) return;
      }
      for (;;) {
        if (this.stopped) return;
        const width = Math.max(1, l.cfg.concurrency ?? 1);
        const jobs = await this.deps.store.read((db) =>
          dueJobs(db, l.cfg.name, this.deps.clock.now(), Math.max(20, width * 4)),
        );
        if (!jobs.length) return;
        // Jobs are of different rooms (one per room is due at a time), so they may run side by side.
        // Their outcomes commit together after the pass: a crash before that re-runs them, which
        // the ops' idempotence (set name, set lamp) makes harmless.
        const outcomes: Outcome[] = [];
        let next = 0;
        const worker = async () => {
          while (next < jobs.length && !this.stopped) {
            const job = jobs[next++];
            await l.limiter?.take();
            if (this.stopped) return;
            const o = await this.runJob(l, job);
            if (o.urgent) await this.commit(l, [o]);
            else outcomes.push(o);
            await yieldToEventLoop();
          }
        };
        await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
        await this.commit(l, outcomes);
        if (this.stopped) return;
      }
    } finally {
      l.busy = false;
    }
  }

  /**
   * Commits outcomes in one transaction. A job done while an older job of its room is pending again
   * (reopened by a late failure, or retried by staff, while this one ran) goes back to the queue, to
   * run after that one: otherwise the older op's state would be the last the phone system got.
   */
  private async commit(l: LinkRun, outcomes: Outcome[]): Promise<void> {
    if (!outcomes.length) return;
    const now = this.deps.clock.now();
    await this.deps.store.tx(async (tx) => {
      const done = outcomes.filter((o) => o.set.state === "done");
      const older = await oldestPendingByRoom(
        tx,
        l.cfg.name,
        done.map((o) => o.room ?? ""),
        Math.max(0, ...done.map((o) => o.id)),
      );
      for (const o of outcomes) {
        const first = older.get(o.room ?? "");
        const overtaken = o.set.state === "done" && first !== undefined && first < o.id;
        const set: JobUpdate = overtaken
          ? {
              state: "pending",
              attempts: 0,
              nextAttemptAt: now,
              lastError: `done, runs again after job ${first} of the room, which is pending again`,
              externalRef: null,
              lateRetryMs: null,
            }
          : o.set;
        await finishJob(tx, o.id, set, now);
      }
    });
  }

  /** Delay before the next attempt after `attempts` attempts, by the link's policy. */
  private retryDelayMs(l: LinkRun, attempts: number): number {
    return l.cfg.intervalSeconds * 1000 * (l.cfg.retryBackoff ? 2 ** Math.max(0, attempts - 1) : 1);
  }

  private async runJob(l: LinkRun, job: JobRow): Promise<Outcome> {
    const op = job.payload as PbxOp;
    const { clock, logger } = this.deps;
    const cap = opCapability[op.op];
    const base = { id: job.id, room: job.room };
    if (!l.available.has(cap)) {
      const never = l.cfg.driver.unavailable?.[cap];
      const why =
        never !== undefined
          ? `skipped: ${never}`
          : l.cfg.driver.capabilities.includes(cap)
            ? `skipped: ${cap} is not available on this ${l.cfg.type} installation`
            : `skipped: ${l.cfg.type} links have no ${cap} capability`;
      return { ...base, set: { state: "skipped", lastError: why } };
    }
    try {
      const res = await l.cfg.driver.execute(op);
      l.lastSuccess = clock.now();
      if (l.state !== "ok") logger.info("PBX link working", { link: l.cfg.name });
      l.state = "ok";
      const attempts = job.attempts + 1;
      const given = (res as PbxExecuteResult | undefined)?.externalRef;
      const ref = typeof given === "string" ? given.trim() : "";
      if (!ref)
        return { ...base, set: { state: "done", attempts, lastError: null, externalRef: null, lateRetryMs: null } };
      return {
        ...base,
        urgent: true,
        set: {
          state: "done",
          attempts,
          lastError: null,
          externalRef: ref,
          lateRetryMs: attempts > l.cfg.retries ? null : this.retryDelayMs(l, attempts),
        },
      };
    } catch (err) {
      const message = errorMessage(err);
      const pe = err instanceof PbxError ? err : undefined;
      if (pe?.skip) return { ...base, set: { state: "skipped", lastError: `skipped: ${message}` } };
      const counts = pe?.countsAsAttempt ?? true;
      const attempts = job.attempts + (counts ? 1 : 0);
      const dead = pe?.retryable === false || attempts > l.cfg.retries;
      const now = clock.now();
      const asked = pe?.retryAfterMs ?? this.retryDelayMs(l, attempts);
      // A failure that uses up no attempt can repeat without end: with a zero delay the pass would
      // retry it in a tight loop, hammering a PBX that asked us to slow down. Wait a poll at least.
      const delay = counts ? asked : Math.max(asked, this.deps.pollMs);
      this.fail(l, message, { job: job.id, op: op.op, room: job.room, attempts, dead });
      return {
        ...base,
        set: dead
          ? { state: "dead", attempts, lastError: message }
          : { state: "pending", attempts, nextAttemptAt: now + delay, lastError: message },
      };
    }
  }

  private fail(l: LinkRun, message: string, fields: Record<string, unknown> = {}): void {
    // Log the transition to failing once; further failures go to debug to keep the log readable.
    if (l.state !== "error") this.deps.logger.warn("PBX link failing", { link: l.cfg.name, error: message, ...fields });
    else this.deps.logger.debug("PBX job failed", { link: l.cfg.name, error: message, ...fields });
    l.state = "error";
    l.lastError = { at: this.deps.clock.now(), message };
  }

  /** Switches a link's debug packet log; false when there is no such link. */
  setDebug(name: string, on: boolean): boolean {
    const l = this.links.find((x) => x.cfg.name === name);
    if (!l?.cfg.debug) return false;
    l.cfg.debug.on = on;
    this.deps.logger.info("PBX link debug log", { link: name, on });
    return true;
  }

  async status(): Promise<LinkStatus[]> {
    const counts = await this.deps.store.read((db) => jobCounts(db));
    const n = (link: string, state: string) => counts.find((c) => c.link === link && c.state === state)?.n ?? 0;
    return this.links.map((l) => ({
      name: l.cfg.name,
      type: l.cfg.type,
      state: l.state,
      lastSuccess: l.lastSuccess ? new Date(l.lastSuccess).toISOString() : null,
      lastError: l.lastError ? { at: new Date(l.lastError.at).toISOString(), message: l.lastError.message } : null,
      queueDepth: n(l.cfg.name, "pending"),
      deadLetters: n(l.cfg.name, "dead"),
      capabilities: { declared: l.cfg.driver.capabilities, available: [...l.available] },
      debug: l.cfg.debug?.on ?? false,
    }));
  }
}
