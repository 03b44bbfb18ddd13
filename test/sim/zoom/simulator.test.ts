import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { simZoomCommand } from "../../../src/sim/zoom/cli.ts";
import { DEFAULT_CLIENT, type ZoomSimOptions, ZoomSimulator } from "../../../src/sim/zoom/simulator.ts";

const sims: ZoomSimulator[] = [];
after(async () => {
  for (const s of sims) await s.close();
});

async function start(opts: ZoomSimOptions = {}) {
  let now = Date.UTC(2026, 0, 1, 12, 0, 0);
  const sim = new ZoomSimulator({ ...opts, now: () => now });
  sims.push(sim);
  const port = await sim.listen(0, "127.0.0.1");
  const base = `http://127.0.0.1:${port}`;
  const token = async (id = DEFAULT_CLIENT.clientId, secret = DEFAULT_CLIENT.clientSecret) => {
    const res = await fetch(`${base}/oauth/token`, {
      method: "POST",
      headers: {
        Authorization: `Basic ${btoa(`${id}:${secret}`)}`,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: `grant_type=account_credentials&account_id=${DEFAULT_CLIENT.accountId}`,
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const api = async (tok: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}/v2${path}`, {
      method,
      headers: { Authorization: `Bearer ${tok}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
  };
  return { sim, base, token, api, advance: (ms: number) => (now += ms) };
}

describe("zoom simulator", () => {
  test("token: Basic auth, account_credentials, api_url pointing at itself, space-separated scopes", async () => {
    const { token, base } = await start();
    const ok = await token();
    assert.equal(ok.status, 200);
    assert.equal(ok.json.token_type, "bearer");
    assert.equal(ok.json.expires_in, 3599);
    assert.equal(ok.json.api_url, base);
    assert.match(String(ok.json.scope), /^user:read:user:admin user:read:list_users:admin /);
    const bad = await token(DEFAULT_CLIENT.clientId, "wrong");
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, { reason: "Invalid client_id or client_secret", error: "invalid_client" });
  });

  test("paging of /users and /phone/users with page_size and next_page_token", async () => {
    const { token, api } = await start({ users: 75 });
    const tok = String((await token()).json.access_token);
    const seen: number[] = [];
    let next = "";
    let pages = 0;
    do {
      const q = next ? `&next_page_token=${encodeURIComponent(next)}` : "";
      const r = await api(tok, "GET", `/phone/users?page_size=30${q}`);
      assert.equal(r.status, 200);
      assert.equal(r.json.total_records, 75);
      for (const u of r.json.users) seen.push(u.extension_number);
      next = r.json.next_page_token;
      pages++;
    } while (next);
    assert.equal(pages, 3);
    assert.equal(seen.length, 75);
    assert.equal(seen[0], 101);
    assert.equal(typeof seen[0], "number");
    const users = await api(tok, "GET", "/users?page_size=500");
    assert.equal(users.json.page_size, 300);
    assert.equal(users.json.users.length, 75);
    assert.equal(users.json.next_page_token, "");
    const phone = await api(tok, "GET", "/phone/users?page_size=500");
    assert.equal(phone.json.page_size, 100);
    const bad = await api(tok, "GET", "/phone/users?next_page_token=zzz");
    assert.equal(bad.status, 400);
    assert.equal(bad.json.code, 400);
  });

  test("request log, 204 on PATCH, 404 code 1001, expired token 401 code 124", async () => {
    const { sim, token, api, advance } = await start({ users: 2, tokenTtlSeconds: 60 });
    const tok = String((await token()).json.access_token);
    const id = [...sim.state.users.keys()][0];
    const patched = await api(tok, "PATCH", `/users/${id}`, {
      first_name: "A",
      last_name: "101",
      display_name: "A 101",
    });
    assert.equal(patched.status, 204);
    const missing = await api(tok, "PATCH", "/users/nobody", { first_name: "x" });
    assert.deepEqual([missing.status, missing.json.code], [404, 1001]);
    advance(61_000);
    const expired = await api(tok, "GET", `/users/${id}`);
    assert.deepEqual([expired.status, expired.json], [401, { code: 124, message: "Invalid access token." }]);
    assert.deepEqual(
      sim.requests.map((r) => [r.method, r.path, r.status]),
      [
        ["POST", "/oauth/token", 200],
        ["PATCH", `/v2/users/${id}`, 204],
        ["PATCH", "/v2/users/nobody", 404],
        ["GET", `/v2/users/${id}`, 401],
      ],
    );
    assert.deepEqual(sim.requests[1].body, { first_name: "A", last_name: "101", display_name: "A 101" });
  });

  test("presence: one update a minute per user; per-second rate limit with Zoom's 429 headers", async () => {
    const { sim, token, api, advance } = await start({ users: 3, rate: { medium: 3 } });
    const tok = String((await token()).json.access_token);
    const [a] = [...sim.state.users.keys()];
    assert.equal(
      (await api(tok, "PUT", `/users/${a}/presence_status`, { status: "Do_Not_Disturb", duration: 60 })).status,
      204,
    );
    const again = await api(tok, "PUT", `/users/${a}/presence_status`, { status: "Available" });
    assert.equal(again.status, 429);
    assert.equal(again.headers.get("retry-after"), "60");
    assert.equal((await api(tok, "GET", "/phone/users")).status, 200);
    const limited = await api(tok, "GET", "/phone/users");
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("x-ratelimit-type"), "QPS");
    assert.equal(limited.headers.get("x-ratelimit-category"), "Medium");
    assert.equal(limited.json.code, 429);
    advance(60_000);
    assert.equal((await api(tok, "PUT", `/users/${a}/presence_status`, { status: "Available" })).status, 204);
    assert.equal(sim.state.users.get(a)?.presence.status, "Available");
  });

  test("daily limit: 429 Daily-limit, Retry-After next 00:00 UTC", async () => {
    const { token, api } = await start({ dailyLimit: 1 });
    const tok = String((await token()).json.access_token);
    assert.equal((await api(tok, "GET", "/users")).status, 200);
    const r = await api(tok, "GET", "/users");
    assert.equal(r.status, 429);
    assert.equal(r.headers.get("x-ratelimit-type"), "Daily-limit");
    assert.equal(r.headers.get("retry-after"), "2026-01-02T00:00:00Z");
  });

  test("scopes per client: a missing scope is refused", async () => {
    const { token, api } = await start({
      clients: [{ ...DEFAULT_CLIENT, scopes: ["user:read:list_users:admin"] }],
    });
    const t = await token();
    assert.equal(t.json.scope, "user:read:list_users:admin");
    const r = await api(String(t.json.access_token), "GET", "/phone/users");
    assert.equal(r.status, 401);
    assert.equal(r.json.code, 4711);
  });

  test("voicemails: list and delete", async () => {
    const { sim, token, api } = await start({ users: 1, voicemailsPerUser: 2 });
    const tok = String((await token()).json.access_token);
    const [id] = [...sim.state.users.keys()];
    const list = await api(tok, "GET", `/phone/users/${id}/voice_mails`);
    assert.equal(list.json.voice_mails.length, 2);
    assert.equal((await api(tok, "DELETE", `/phone/voice_mails/${list.json.voice_mails[0].id}`)).status, 204);
    assert.equal((await api(tok, "DELETE", `/phone/voice_mails/${list.json.voice_mails[0].id}`)).status, 404);
    assert.equal(sim.state.voicemails.size, 1);
  });

  test("roles: POST /roles/{roleId}/members sets role_id, 409 when already a member, 404 unknown role or user", async () => {
    const { sim, token, api } = await start({ users: 2, roles: ["1", "2", "cs-barred"] });
    const tok = String((await token()).json.access_token);
    const [a, b] = [...sim.state.users.keys()];
    const ok = await api(tok, "POST", "/roles/cs-barred/members", { members: [{ id: a }] });
    assert.equal(ok.status, 201);
    assert.equal(ok.json.ids, a);
    assert.equal(typeof ok.json.add_at, "string");
    assert.equal(sim.state.users.get(a)?.role_id, "cs-barred");
    assert.equal(sim.state.users.get(b)?.role_id, "2", "others keep their role");
    assert.equal((await api(tok, "GET", `/users/${a}`)).json.role_id, "cs-barred");
    const again = await api(tok, "POST", "/roles/cs-barred/members", { members: [{ id: a }] });
    assert.deepEqual([again.status, again.json.code], [409, 409]);
    assert.equal((await api(tok, "POST", "/roles/nope/members", { members: [{ id: a }] })).status, 404);
    const noUser = await api(tok, "POST", "/roles/1/members", { members: [{ id: "ghost" }] });
    assert.deepEqual([noUser.status, noUser.json.code], [404, 1001]);
    assert.equal((await api(tok, "POST", "/roles/1/members", { members: [] })).status, 400);
    const log = sim.requests.filter((r) => r.method === "POST" && r.path.startsWith("/v2/roles/"));
    assert.deepEqual(
      log.map((r) => r.status),
      [201, 409, 404, 404, 400],
    );
    assert.deepEqual(log[0].body, { members: [{ id: a }] });
  });

  test("roles: the default roles are 0, 1, 2; either role scope is accepted, none is refused", async () => {
    const granular = { ...DEFAULT_CLIENT, clientId: "g", scopes: ["role:write:member:admin"] };
    const none = { ...DEFAULT_CLIENT, clientId: "n", scopes: ["user:read:user:admin"] };
    const { sim, token, api } = await start({ users: 1, clients: [granular, none] });
    assert.deepEqual([...sim.state.roles], ["0", "1", "2"]);
    const [a] = [...sim.state.users.keys()];
    const g = String((await token("g")).json.access_token);
    assert.equal((await api(g, "POST", "/roles/1/members", { members: [{ id: a }] })).status, 201);
    const n = String((await token("n")).json.access_token);
    const refused = await api(n, "POST", "/roles/2/members", { members: [{ id: a }] });
    assert.deepEqual([refused.status, refused.json.code], [401, 4711]);
    assert.match(refused.json.message, /role:write:admin, role:write:member:admin/);
    assert.equal(sim.state.users.get(a)?.role_id, "1");
  });
});

describe("bellhop sim zoom", () => {
  const capture = () => {
    const out = { text: "", write: (s: string) => (out.text += s) };
    return out;
  };

  test("usage errors exit 2", async () => {
    for (const argv of [[], ["--listen", "x"], ["--bogus"]]) {
      const stderr = capture();
      assert.equal(await simZoomCommand(argv, { stdout: capture(), stderr }), 2);
      assert.match(stderr.text, /usage: bellhop sim zoom/);
    }
  });

  test("listens, prints each request, stops on abort", async () => {
    const stdout = capture();
    const ac = new AbortController();
    const run = simZoomCommand(["--listen", "0", "--users", "3", "--client-id", "x", "--client-secret", "y"], {
      stdout,
      stderr: capture(),
      signal: ac.signal,
    });
    let port = 0;
    for (let i = 0; i < 200 && !port; i++) {
      const m = /# listening on 127\.0\.0\.1:(\d+)/.exec(stdout.text);
      if (m) port = Number(m[1]);
      else await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(port);
    const res = await fetch(`http://127.0.0.1:${port}/oauth/token`, {
      method: "POST",
      headers: { Authorization: `Basic ${btoa("x:y")}`, "Content-Type": "application/x-www-form-urlencoded" },
      body: "grant_type=account_credentials&account_id=sim-account",
    });
    assert.equal(res.status, 200);
    await res.text();
    assert.match(stdout.text, /POST \/oauth\/token → 200/);
    ac.abort();
    assert.equal(await run, 0);
  });
});
