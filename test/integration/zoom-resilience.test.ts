/**
 * The Zoom link under stress, against the Zoom simulator over real HTTP: a 429 storm (the link
 * overshoots the simulator's rate limit, every job still ends done and the retries honour
 * Retry-After), and an outage (jobs fail, become dead letters, and a manual retry completes them
 * once Zoom is back on the same port).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { recordFromText, serializeRecord } from "../../src/pms/fias/record.ts";
import { getJobs, retryJob } from "../../src/services/jobs.ts";
import { DEFAULT_CLIENT, type SimRequest, ZoomSimulator } from "../../src/sim/zoom/simulator.ts";
import { MIGRATIONS, tempDir } from "../helpers/store.ts";
import { eventually, freePort } from "./support.ts";

async function startWithZoom(dir: string, zoomPort: number, link: Record<string, unknown>): Promise<Appliance> {
  return startAppliance({
    config: parseConfig({
      pms: { port: await freePort() },
      pbx: {
        pollMs: 50,
        links: [
          {
            type: "zoom",
            name: "zoom",
            url: `http://127.0.0.1:${zoomPort}`,
            accountId: DEFAULT_CLIENT.accountId,
            clientId: DEFAULT_CLIENT.clientId,
            clientSecret: DEFAULT_CLIENT.clientSecret,
            ...link,
          },
        ],
      },
    }),
    dataDir: dir,
    migrationsFolder: MIGRATIONS,
    logger: silentLogger,
    version: "t",
  });
}

async function pms(app: Appliance, ...texts: string[]): Promise<void> {
  for (const text of texts) {
    const r = recordFromText(text);
    app.ingest.receive(r, serializeRecord(r));
  }
  await app.ingest.idle();
}

const ok = (r: SimRequest) => r.status >= 200 && r.status < 300;

describe("Zoom link resilience", () => {
  test("a 429 storm: every job ends done, nothing is lost, retries wait for Retry-After", async () => {
    const rooms = 30;
    const first = 101;
    const rate = 5;
    // Guest names go out as PATCH /users/{id}, a "light" call: the limit must cover light too for
    // the link to run into it (the client paces only medium calls, by ratePerSecond).
    const sim = new ZoomSimulator({ users: rooms, firstExtension: first, rate: { light: rate, medium: rate } });
    const port = await sim.listen(0, "127.0.0.1");
    const t = tempDir();
    const app = await startWithZoom(t.dir, port, { ratePerSecond: 50, intervalSeconds: 1, retries: 3 });
    try {
      const from = sim.requests.length;
      await pms(
        app,
        ...Array.from({ length: rooms }, (_, i) => `GI|RN${first + i}|G#${i + 1}|GNStorm${i}|GFAda|GA260101|GD261231|`),
      );
      await eventually(
        "every Zoom job settled",
        async () => (await getJobs(app.ctx, { link: "zoom", state: "pending" })).length === 0,
        18_000,
        50,
      );
      const dead = await getJobs(app.ctx, { link: "zoom", state: "dead" });
      assert.deepEqual(
        dead.map((j) => `${j.op} ${j.room}: ${j.lastError}`),
        [],
        "no dead letters",
      );
      for (let i = 0; i < rooms; i++) {
        const u = sim.userByExtension(first + i);
        assert.match(u?.display_name ?? "", new RegExp(`Ada Storm${i} ${first + i}`), `room ${first + i} named`);
      }

      const reqs = sim.requests.slice(from);
      const throttled = reqs.filter((r) => r.status === 429);
      assert.ok(throttled.length > 0, "the link overshot the limit (else this test proves nothing)");
      // The simulator's windows are calendar seconds; no second answers more than the limit.
      const perSecond = new Map<number, number>();
      for (const r of reqs.filter(ok)) {
        const s = Math.floor(r.at / 1000);
        perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
      }
      assert.ok(Math.max(...perSecond.values()) <= rate, `2xx per second: ${[...perSecond.values()]}`);
      // Retry-After: 1 — after a 429, the same request does not come again within that second.
      const byPath = new Map<string, SimRequest[]>();
      for (const r of reqs) byPath.set(`${r.method} ${r.path}`, [...(byPath.get(`${r.method} ${r.path}`) ?? []), r]);
      const early: string[] = [];
      for (const [path, list] of byPath) {
        for (let k = 1; k < list.length; k++) {
          const gap = list[k].at - list[k - 1].at;
          if (list[k - 1].status === 429 && gap < 950) early.push(`${path} again after ${gap} ms`);
        }
      }
      assert.deepEqual(early, [], "retries honour Retry-After");
    } finally {
      await app.stop();
      await sim.close();
      t.cleanup();
    }
  });

  test("an outage: 1 + 3 attempts, a dead letter, and a manual retry completes it once Zoom is back", async () => {
    const port = await freePort();
    const t = tempDir();
    // Zoom is up at start (the link probes its scopes), then goes away.
    let sim: ZoomSimulator | undefined = new ZoomSimulator({ users: 1, firstExtension: 101 });
    await sim.listen(port, "127.0.0.1");
    const app = await startWithZoom(t.dir, port, { ratePerSecond: 50, intervalSeconds: 1, retries: 3 });
    await sim.close();
    sim = undefined;
    try {
      await pms(app, "GI|RN101|G#1|GNOutage|GFBob|GA260101|GD261231|");
      const checkin = async () => (await getJobs(app.ctx, { link: "zoom" })).find((j) => j.op === "checkin");
      await eventually("the check-in job is a dead letter", async () => (await checkin())?.state === "dead", 8000, 50);
      const job = await checkin();
      assert.ok(job);
      assert.equal(job.attempts, 4, "one attempt and three retries");
      assert.match(job.lastError ?? "", /./);

      sim = new ZoomSimulator({ users: 1, firstExtension: 101 });
      assert.equal(await sim.listen(port, "127.0.0.1"), port);
      const view = await retryJob(app.ctx, "api:tech", job.id);
      assert.equal(view.state, "pending");
      await eventually("the retried job is done", async () => (await checkin())?.state === "done", 5000, 20);
      assert.match(sim.userByExtension(101)?.display_name ?? "", /Bob Outage 101/);
    } finally {
      await app.stop();
      await sim?.close();
      t.cleanup();
    }
  });
});
