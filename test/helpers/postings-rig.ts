/**
 * The whole appliance as the postings end-to-end suite (test/integration/postings-e2e.test.ts) runs
 * it: staff API over HTTP, the PMS link over TCP to a simulator the test owns (FIAS or Mitel), and a
 * VOIspeed link to the VOIspeed simulator whose events and call reports make the call records that
 * call charging turns into postings. Rooms 101-106 are the simulator's extensions 101-106 (the
 * default extension template), so a call from extension 101 is room 101's.
 */
import assert from "node:assert/strict";
import { type Appliance, startAppliance } from "../../src/app/appliance.ts";
import { parseConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { serve } from "../../src/runtime/serve.ts";
import type { PostingView } from "../../src/services/postings.ts";
import { type CallScript, VoispeedSimulator } from "../../src/sim/voispeed/simulator.ts";
import { loadRoom } from "../../src/store/rooms.ts";
import { createToken } from "../../src/store/tokens.ts";
import { eventually, HOST, sleep } from "../integration/support.ts";
import type { BinaryHarness } from "./binary.ts";
import { MIGRATIONS, tempDir } from "./store.ts";

const NOTIFY_KEY = "postings-e2e-notify-key-0123456789";
const VS_TOKEN = "postings-e2e-token";

/**
 * The hotel's tariff as an installer writes it (major units). International is the longest prefix
 * of 0044…, so it wins over National; its minimum and 30 s increments make the arithmetic visible.
 */
export const TARIFF = {
  currencyDigits: 2,
  lines: [
    {
      prefix: "00",
      name: "International",
      setupFee: 0.5,
      ratePerMinute: 0.99,
      incrementSeconds: 30,
      minimumSeconds: 60,
      callType: "I",
    },
    { prefix: "0", name: "National", setupFee: 0.1, ratePerMinute: 0.2, incrementSeconds: 60 },
  ],
};

/** What call charging decided about one call record (call_charges), with the record's id. */
export interface CallDecision {
  recordId: number;
  outcome: string;
  reason: string | null;
  postingId: number | null;
}

export interface PostingsRig {
  app: Appliance;
  config: Config;
  vs: VoispeedSimulator;
  /** Staff API base, `http://127.0.0.1:port/api/v1`. */
  api: string;
  /** A front-desk token, the role that posts and retries charges at a hotel. */
  frontdesk: string;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  postings(query?: string): Promise<PostingView[]>;
  posting(id: number): Promise<PostingView>;
  /** Waits until posting `id` is in `state` (the API's view); fails with the last view seen. */
  settled(id: number, state: string, ms?: number): Promise<PostingView>;
  /** Waits until the appliance holds the room as occupied (the PMS's check-in applied). */
  occupied(room: string): Promise<void>;
  /**
   * A call the VOIspeed simulator plays from `from` to `to`; resolves with the charging decisions of
   * the call records it made, once every one of them is completed and decided.
   */
  placeCall(from: string, to: string, script: CallScript): Promise<CallDecision[]>;
  close(): Promise<void>;
}

export interface RigOptions {
  /** The `pms` section (the simulator is the test's, already listening). */
  pms: Record<string, unknown>;
  postings: Record<string, unknown>;
  ivr?: Record<string, unknown>;
}

export async function startPostingsRig(o: RigOptions): Promise<PostingsRig> {
  const vs = new VoispeedSimulator({ users: 6, firstExtension: 101, asyncDelayMs: 0, token: VS_TOKEN });
  const vsPort = await vs.listen(0, HOST);
  const t = tempDir("bellhop-postings-e2e-");
  const config = parseConfig({
    site: { timezone: "Europe/Rome" },
    api: { listen: `${HOST}:0` },
    pms: o.pms,
    postings: o.postings,
    ...(o.ivr ? { ivr: o.ivr } : {}),
    pbx: {
      pollMs: 50,
      links: [
        {
          type: "voispeed",
          name: "vs",
          url: `http://${HOST}:${vsPort}/PBX/seri_endpoint.php`,
          token: VS_TOKEN,
          notifyKey: NOTIFY_KEY,
          intervalSeconds: 1,
        },
      ],
    },
  });
  const app = await startAppliance({
    config,
    dataDir: t.dir,
    migrationsFolder: MIGRATIONS,
    logger: silentLogger,
    version: "t",
    serve,
    link: { initWaitMs: 200, backoff: { initialMs: 50, maxMs: 300 } },
    synchronous: "NORMAL",
  });
  const api = `http://${HOST}:${app.apiPort}/api/v1`;
  vs.notifyUrl = `${api}/pbx/voispeed/vs/events?key=${NOTIFY_KEY}`;
  const frontdesk = await app.store.tx((tx) => createToken(tx, "desk", "frontdesk", Date.now()));

  const call: PostingsRig["call"] = async (method, path, body) => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${frontdesk}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };

  const posting = async (id: number): Promise<PostingView> => {
    const r = await call("GET", `/postings/${id}`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json as PostingView;
  };

  const decisions = async (after: number): Promise<{ records: number; decided: CallDecision[] }> => {
    const rs = await app.store.client.execute({
      sql: `select r.id, r.state, c.outcome, c.reason, c.posting_id from call_records r
            left join call_charges c on c.call_record_id = r.id where r.id > ? order by r.id`,
      args: [after],
    });
    const decided = rs.rows
      .filter((r) => r.outcome !== null)
      .map((r) => ({
        recordId: Number(r.id),
        outcome: String(r.outcome),
        reason: r.reason === null ? null : String(r.reason),
        postingId: r.posting_id === null ? null : Number(r.posting_id),
      }));
    return { records: rs.rows.length, decided };
  };

  return {
    app,
    config,
    vs,
    api,
    frontdesk,
    call,
    async postings(query = "") {
      const r = await call("GET", `/postings${query}`);
      assert.equal(r.status, 200, JSON.stringify(r.json));
      return (r.json as { postings: PostingView[] }).postings;
    },
    posting,
    async settled(id, state, ms = 5000) {
      let last: PostingView | undefined;
      await eventually(
        `posting ${id} ${state}`,
        async () => {
          const seen = await posting(id);
          last = seen;
          return seen.state === state;
        },
        ms,
        20,
      ).catch((err) => {
        throw new Error(`${(err as Error).message}; last seen ${JSON.stringify(last)}`);
      });
      return last as PostingView;
    },
    async occupied(room) {
      await eventually(
        `room ${room} occupied`,
        async () => (await app.store.read((db) => loadRoom(db, room)))?.room.occupied === true,
        5000,
        10,
      );
    },
    async placeCall(from, to, script) {
      const rs = await app.store.client.execute("select coalesce(max(id), 0) as n from call_records");
      const mark = Number(rs.rows[0]?.n ?? 0);
      await vs.placeCall(from, to, script);
      await vs.idle();
      let last = { records: 0, decided: [] as CallDecision[] };
      await eventually(
        `the call ${from} → ${to} recorded and decided`,
        async () => {
          last = await decisions(mark);
          return last.records > 0 && last.decided.length === last.records;
        },
        8000,
        20,
      );
      return last.decided;
    },
    async close() {
      await app.stop();
      await vs.close();
      t.cleanup();
    },
  };
}

/**
 * Call records carry the PBX's report times, whole seconds: a call in the same second as the check-in
 * would read as made before the stay began (`previous-stay`). Rigs wait this long after check-ins.
 */
export const afterCheckIn = () => sleep(1100);

/** The P# of a FIAS record or a posting's stored record. */
export const pNumber = (record: string | null | undefined) => record?.match(/\|P#(\d+)\|/)?.[1];

/** DA/TI as the posting's chargedAt says them, in hotel time (`2026-12-06T11:25:35+01:00`). */
export function stampOf(p: PostingView): { DA: string; TI: string } {
  const [date = "", time = ""] = p.chargedAt.split("T");
  return { DA: date.slice(2).replaceAll("-", ""), TI: time.slice(0, 8).replaceAll(":", "") };
}

/** A front-desk token made the way an installer makes one (`bellhop token create`), before the first start. */
export function frontdeskTokenWithCli(harness: BinaryHarness, dataDir: string): string {
  const made = Bun.spawnSync(
    [harness.binary(), "token", "create", "--data", dataDir, "--role", "frontdesk", "--name", "desk"],
    { cwd: harness.dir, stdout: "pipe", stderr: "pipe" },
  );
  assert.equal(made.exitCode, 0, made.stderr.toString());
  const token = made.stdout.toString().trim().split("\n").pop() ?? "";
  assert.ok(token.length > 16, `a token: ${made.stdout.toString()}`);
  return token;
}
