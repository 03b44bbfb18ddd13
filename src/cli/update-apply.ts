/**
 * @module cli/update-apply
 * `bellhop update apply FILE SIG`: what support's SSH session runs on the box (appliance/update.sh).
 *
 * Verify the signature (refused: nothing on the box changes) → copy FILE beside the installed binary
 * and check that the copy runs and says the signed version → stop the service → snapshot the database
 * (VACUUM INTO, store/update-snapshot) → keep the installed binary as `<bin>.previous` → rename the new
 * one over it → start → wait for health → confirmed, or rolled back: the previous binary AND the
 * snapshot put back, restarted, and the reason reported (exit 1).
 *
 * Healthy means: `GET /api/v1/health` answers 200 with the new version, and when the PMS link was up
 * before the update (`linked` or `resync`), it is up again; a link that was down before is not waited
 * for (the update cannot bring back a PMS that was away). Health must then hold for the settle time
 * without the service being restarted in between.
 *
 * From the swap on, `<data>/update/pending` says what is under way. The boot check (ExecStartPre of
 * the unit, appliance/boot-check.sh) counts the starts of the new version and rolls back by itself
 * once it crash-loops, or at the first start after the deadline when this command died before
 * deciding (the SSH session dropped it, the box lost power). This command notices and reports it.
 */
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { errorMessage } from "../lib/errors.ts";
import {
  isVersion,
  loadTrustedKeys,
  parseSignature,
  type ReleaseSignature,
  SignatureError,
  verifyFile,
} from "../lib/signature.ts";
import { restoreDatabase, snapshotDatabase } from "../store/update-snapshot.ts";
import {
  appendUpdateLog,
  clearPending,
  ensureUpdateDir,
  type LastUpdate,
  type PendingUpdate,
  readLastUpdate,
  readPending,
  readStarts,
  writeLastUpdate,
  writePending,
} from "../store/update-state.ts";
import { copyIntoPlace, dropFromPageCache, type Probe, probeHealth, run, sleep } from "./update-host.ts";

export interface ApplyOptions {
  file: string;
  sig: string;
  keysDir: string;
  /** The installed binary the service runs. */
  bin: string;
  dataDir: string;
  service: string;
  systemctl: string;
  healthUrl: string;
  healthTimeoutMs: number;
  settleMs: number;
  maxStarts: number;
}

interface Out {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

const LINK_UP = ["linked", "resync"];
const RUN_TIMEOUT_MS = 30_000;
const SYSTEMCTL_TIMEOUT_MS = 90_000;

/** Verifies FILE against SIG with the keys of a folder; throws SignatureError with the reason. */
export async function verifyRelease(file: string, sigFile: string, keysDir: string): Promise<ReleaseSignature> {
  if (!existsSync(file) || !statSync(file).isFile()) throw new SignatureError(`${file}: no such file`);
  let text: string;
  try {
    text = readFileSync(sigFile, "utf8");
  } catch {
    throw new SignatureError(`${sigFile}: cannot be read`);
  }
  const sig = parseSignature(text, sigFile);
  const { keys, problems } = loadTrustedKeys(keysDir);
  if (keys.length === 0) {
    throw new SignatureError(`no usable public key in ${keysDir}${problems.length ? ` (${problems.join("; ")})` : ""}`);
  }
  return (await verifyFile(file, sig, keys)).signature;
}

export async function applyUpdate(o: ApplyOptions, env: Out): Promise<number> {
  const id = `${Date.now().toString(36)}-${process.pid}`;
  const say = (line: string) => {
    try {
      env.stdout.write(`update: ${line}\n`);
    } catch {
      // support's session may be gone; the log file below still has it
    }
  };
  const refuse = (why: string) => {
    env.stderr.write(`update refused: ${why}; nothing was changed\n`);
    return 1;
  };

  // 1. Signature, before anything is touched.
  let sig: ReleaseSignature;
  try {
    sig = await verifyRelease(o.file, o.sig, o.keysDir);
  } catch (err) {
    if (err instanceof SignatureError) return refuse(err.message);
    throw err;
  }
  say(`signature ok: version ${sig.version}, sha256 ${sig.sha256.slice(0, 16)}…, key ${sig.keyId}`);
  if (!existsSync(o.bin)) return refuse(`${o.bin}: no installed binary (first installation: appliance/install.sh)`);
  const lock = `${o.bin}.update-lock`;
  const holder = takeLock(lock);
  if (holder !== null) return refuse(`another update is running (pid ${holder}; ${lock})`);
  try {
    return await applyVerified(o, env, sig, id, say, refuse);
  } finally {
    rmSync(lock, { force: true });
  }
}

async function applyVerified(
  o: ApplyOptions,
  env: Out,
  sig: ReleaseSignature,
  id: string,
  say: (line: string) => void,
  refuse: (why: string) => number,
): Promise<number> {
  const busy = readPending(o.dataDir);
  if (busy) {
    return refuse(
      `another update (${busy.id}, ${busy.state}) is pending in ${join(o.dataDir, "update")}; it is finished or undone at the next service start`,
    );
  }

  // 2. The copy that will be swapped in is the one checked (and its bytes checked again).
  const staged = `${o.bin}.new`;
  try {
    copyIntoPlace(o.file, staged, 0o755);
    const again = await verifyRelease(staged, o.sig, o.keysDir);
    if (again.sha256 !== sig.sha256) throw new SignatureError(`${o.file} changed while it was copied`);
  } catch (err) {
    rmSync(staged, { force: true });
    if (err instanceof SignatureError) return refuse(err.message);
    return refuse(`cannot copy ${o.file} to ${staged}: ${errorMessage(err)}`);
  }
  const ran = run(staged, ["version"], RUN_TIMEOUT_MS);
  const said = ran.stdout.trim();
  if (!ran.ok || said !== sig.version) {
    rmSync(staged, { force: true });
    return refuse(
      ran.ok
        ? `the new binary says version ${said.slice(0, 80)}, signed as ${sig.version}`
        : `the new binary does not run (${ran.why})`,
    );
  }
  const installed = run(o.bin, ["version"], RUN_TIMEOUT_MS).stdout.trim();
  const from = isVersion(installed) ? installed : "unknown";

  // 3. From here on the box changes: every step goes to <data>/update/update.log too.
  ensureUpdateDir(o.dataDir);
  const startedAt = Date.now();
  const step = (line: string) => {
    say(line);
    appendUpdateLog(o.dataDir, `${new Date().toISOString()} ${id} ${line}`);
  };
  const before = await probeHealth(o.healthUrl);
  const waitLink = before.ok && LINK_UP.includes(before.pms ?? "");
  step(
    `from ${from} to ${sig.version}; before: ${before.ok ? `healthy, PMS ${before.pms}` : before.why}${waitLink ? "" : " (PMS link not waited for)"}`,
  );
  const pending: PendingUpdate = {
    id,
    state: "preparing",
    bin: o.bin,
    previous: `${o.bin}.previous`,
    snapshot: join(o.dataDir, "update", "snapshot.db"),
    from,
    to: sig.version,
    startedAt,
    deadline: Math.ceil((startedAt + o.healthTimeoutMs + o.settleMs + 2 * SYSTEMCTL_TIMEOUT_MS) / 1000),
    maxStarts: o.maxStarts,
    pid: process.pid,
  };
  writePending(o.dataDir, pending);
  const finish = (result: LastUpdate["result"], reason: string | null, by: LastUpdate["by"] = "apply") => {
    writeLastUpdate(o.dataDir, {
      id,
      result,
      from,
      to: sig.version,
      startedAt: new Date(startedAt).toISOString(),
      finishedAt: new Date().toISOString(),
      reason,
      by,
    });
  };

  const stopped = run(o.systemctl, ["stop", o.service], SYSTEMCTL_TIMEOUT_MS);
  if (!stopped.ok) {
    clearPending(o.dataDir);
    rmSync(staged, { force: true });
    run(o.systemctl, ["start", o.service], SYSTEMCTL_TIMEOUT_MS);
    step(`not applied: systemctl stop ${o.service} failed (${stopped.why})`);
    env.stderr.write(`update not applied: cannot stop ${o.service} (${stopped.why})\n`);
    return 1;
  }
  step(`service ${o.service} stopped`);
  try {
    const had = await snapshotDatabase(o.dataDir, pending.snapshot);
    if (!had) pending.snapshot = "none";
    step(had ? `database snapshot: ${pending.snapshot}` : "no database yet: nothing to snapshot");
    copyIntoPlace(o.bin, pending.previous);
    step(`previous binary kept: ${pending.previous}`);
    writePending(o.dataDir, { ...pending, state: "restarting" });
    rmSync(join(o.dataDir, "update", "starts"), { force: true });
    // The swap itself (a rename): the last step that may fail here, so a failure means "not swapped".
    copyIntoPlace(staged, o.bin, 0o755);
    // Started from pages read back from disk, as after a reboot (the idle RSS it will run at).
    dropFromPageCache(o.bin);
  } catch (err) {
    // Nothing was swapped yet, or only the copies beside it: the old binary and database still stand.
    clearPending(o.dataDir);
    rmSync(staged, { force: true });
    run(o.systemctl, ["start", o.service], SYSTEMCTL_TIMEOUT_MS);
    step(`not applied: ${errorMessage(err)}`);
    env.stderr.write(`update not applied: ${errorMessage(err)}\n`);
    return 1;
  }
  rmSync(staged, { force: true });
  step(`new binary in place: ${o.bin} (${sig.version})`);

  // 4. Start the new version and wait for it.
  const started = run(o.systemctl, ["start", o.service], SYSTEMCTL_TIMEOUT_MS);
  step(started.ok ? `service ${o.service} started` : `systemctl start ${o.service} failed (${started.why})`);
  // A failed start is not the verdict yet: systemd restarts it (Restart=always), and each start goes
  // through the boot check. Health, the boot check or the time-out decides.
  const verdict = await awaitHealthy(o, id, sig.version, waitLink, step);
  if ("last" in verdict) {
    // The boot check found a crash loop and already put the previous version back.
    const back = await awaitHealthy(o, id, from, false, () => undefined, true);
    step(
      `rolled back by the boot check: ${verdict.last.reason}; previous version ${"why" in back ? `NOT healthy: ${back.why}` : "healthy"}`,
    );
    env.stderr.write(`update rolled back: ${verdict.last.reason}\n`);
    return 1;
  }
  if (!("why" in verdict)) {
    clearPending(o.dataDir);
    finish("updated", null);
    step(`updated to ${sig.version}: healthy${waitLink ? ", PMS link up" : ""}`);
    return 0;
  }

  // 5. Roll back: binary and database as they were, then the old version must come up.
  const reason = verdict.why;
  step(`new version not healthy: ${reason}; rolling back`);
  run(o.systemctl, ["stop", o.service], SYSTEMCTL_TIMEOUT_MS);
  const mid = readPending(o.dataDir);
  if (mid?.id !== id) {
    const last = readLastUpdate(o.dataDir);
    step(`the boot check rolled back meanwhile: ${last?.reason ?? "unknown"}`);
  } else {
    writePending(o.dataDir, { ...pending, state: "rolling-back" });
    try {
      copyIntoPlace(pending.previous, o.bin, 0o755);
      restoreDatabase(o.dataDir, pending.snapshot === "none" ? null : pending.snapshot);
      step(`previous binary and database snapshot put back`);
      clearPending(o.dataDir);
    } catch (err) {
      // The pending marker stays "rolling-back": the boot check finishes the job at the next start.
      step(`rollback step failed: ${errorMessage(err)}; the boot check retries at the next start`);
    }
  }
  run(o.systemctl, ["start", o.service], SYSTEMCTL_TIMEOUT_MS);
  const back = await awaitHealthy(o, id, from, waitLink, () => undefined, true);
  const backOk = !("why" in back);
  finish(
    backOk ? "rolled-back" : "rollback-failed",
    backOk ? reason : `${reason}; previous version not healthy either: ${back.why}`,
  );
  step(backOk ? `rolled back to ${from}: healthy` : `rolled back to ${from}, but it is NOT healthy: ${back.why}`);
  env.stderr.write(`update rolled back: ${reason}\n`);
  return 1;
}

/** Creates the lock file with our pid; the pid of a live holder when it is taken (a dead one's lock is taken over). */
function takeLock(file: string): number | null {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: "wx", mode: 0o600 });
      return null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number(readFileSync(file, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) return pid;
      rmSync(file, { force: true });
    }
  }
  return -1;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

type Verdict = { ok: true } | { why: string } | { last: LastUpdate };

/**
 * Polls health until it holds for the settle time, the timeout passes, or (watching the new version)
 * the boot check took the update over. `afterRollback` waits for the old version and ignores the marker.
 */
async function awaitHealthy(
  o: ApplyOptions,
  id: string,
  version: string,
  waitLink: boolean,
  step: (line: string) => void,
  afterRollback = false,
): Promise<Verdict> {
  const until = Date.now() + o.healthTimeoutMs;
  let why = "API not answering";
  let reported = "";
  while (Date.now() < until) {
    if (!afterRollback && readPending(o.dataDir)?.id !== id) {
      const last = readLastUpdate(o.dataDir);
      if (last?.id === id) return { last };
    }
    const p = await probeHealth(o.healthUrl);
    const problem = healthProblem(p, version, waitLink);
    if (problem === null) {
      const starts = readStarts(o.dataDir);
      await sleep(o.settleMs);
      const again = await probeHealth(o.healthUrl);
      const still = healthProblem(again, version, waitLink);
      if (still === null && readStarts(o.dataDir) === starts && (again.uptimeSeconds ?? 0) >= (p.uptimeSeconds ?? 0)) {
        return { ok: true };
      }
      why = still ?? "the service restarted while settling";
    } else why = problem;
    if (why !== reported) {
      step(`waiting: ${why}`);
      reported = why;
    }
    await sleep(250);
  }
  const starts = afterRollback ? 0 : readStarts(o.dataDir);
  return {
    why: `not healthy within ${Math.round(o.healthTimeoutMs / 1000)} s: ${why}${starts > 1 ? ` (started ${starts} times)` : ""}`,
  };
}

function healthProblem(p: Probe, version: string, waitLink: boolean): string | null {
  if (!p.ok) return p.why;
  // "unknown": the installed binary could not say its version; whatever comes back up counts.
  if (version !== "unknown" && p.version !== version)
    return `API answers as version ${p.version ?? "?"}, not ${version}`;
  if (waitLink && !LINK_UP.includes(p.pms ?? "")) return `PMS link ${p.pms ?? "?"}, was up before the update`;
  return null;
}
