/** Test helpers: a real libSQL file in a fresh temp folder, and a service context over it. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseConfig } from "../../src/config/load.ts";
import { allCapabilities } from "../../src/domain/pbx-ops.ts";
import { FakeClock } from "../../src/lib/clock.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { networkSet } from "../../src/lib/networks.ts";
import type { ServiceContext } from "../../src/services/context.ts";
import { openStore, type Store } from "../../src/store/db.ts";

export const MIGRATIONS = resolve(import.meta.dirname ?? ".", "../../migrations");

export function tempDir(prefix = "bellhop-test-"): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function tempStore(): Promise<{ store: Store; dir: string; cleanup(): void }> {
  const t = tempDir();
  const store = await openStore({ dataDir: t.dir, migrationsFolder: MIGRATIONS, synchronous: "NORMAL" });
  return {
    store,
    dir: t.dir,
    cleanup: () => {
      store.close();
      t.cleanup();
    },
  };
}

export interface TestContext extends ServiceContext {
  clock: FakeClock;
  counters: { pbx: number; pms: number; wakeups: number };
}

export function testContext(store: Store, opts: { links?: string[]; config?: unknown } = {}): TestContext {
  const config = parseConfig(opts.config ?? {});
  const counters = { pbx: 0, pms: 0, wakeups: 0 };
  return {
    store,
    clock: new FakeClock(Date.UTC(2026, 10, 22, 9, 0, 0)),
    logger: silentLogger,
    timezone: "Europe/Rome",
    rooms: config.rooms,
    pms: { splitGuestName: config.pms.splitGuestName },
    phones: { ...config.phones, networks: networkSet(config.phones.networks) },
    pbxLinks: () => (opts.links ?? []).map((name) => ({ name, capabilities: allCapabilities })),
    hooks: {
      pbxJobsQueued: () => {
        counters.pbx++;
      },
      pmsOutboxQueued: () => {
        counters.pms++;
      },
      wakeupsChanged: () => {
        counters.wakeups++;
      },
    },
    voicemail: config.voicemail,
    // Beside the test's database, so its temp folder's cleanup removes the message files too.
    voicemailDir: join(dirname(store.file), "voicemail"),
    counters,
  };
}
