import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { loginToken, pmsToken } from "../../../src/pbx/ucm/wire.ts";
import { simUcmCommand } from "../../../src/sim/ucm/cli.ts";
import { pemFingerprint, UcmSimulator } from "../../../src/sim/ucm/simulator.ts";
import { peerSkip } from "../../peers/available.ts";

const sims: UcmSimulator[] = [];
after(async () => {
  await Promise.all(sims.map((s) => s.close()));
});

async function httpSim(opts: ConstructorParameters<typeof UcmSimulator>[0] = {}) {
  const sim = new UcmSimulator({ http: true, ...opts });
  sims.push(sim);
  const port = await sim.listen(0, "127.0.0.1");
  const post = async (request: Record<string, unknown>) => {
    const res = await fetch(`http://127.0.0.1:${port}/api`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ request }),
    });
    assert.equal(res.status, 200);
    return (await res.json()) as { response: Record<string, unknown>; status: number };
  };
  const login = async () => {
    const ch = await post({ action: "challenge", user: "bellhop", version: "1.0" });
    const lg = await post({
      action: "login",
      user: "bellhop",
      token: loginToken(String(ch.response.challenge), "api-secret"),
    });
    assert.equal(lg.status, 0);
    return String(lg.response.cookie);
  };
  return { sim, port, post, login };
}

const pms = (cookie: string, fields: Record<string, unknown>) => ({
  action: "pmsapi",
  cookie,
  pms_user: "pms",
  pms_token: pmsToken("pms", "pms-secret"),
  address: "101",
  extension: "101",
  ...fields,
});

describe("UCM simulator", () => {
  test("session: challenge, login, cookie; wrong user, wrong password, no cookie, expired cookie", async () => {
    let now = 1_800_000_000_000;
    const { sim, post, login } = await httpSim({ cookieSeconds: 10, now: () => now });
    assert.equal((await post({ action: "challenge", user: "nobody", version: "1.0" })).status, -71);
    await post({ action: "challenge", user: "bellhop", version: "1.0" });
    assert.equal((await post({ action: "login", user: "bellhop", token: "0".repeat(32) })).status, -37);
    const cookie = await login();
    assert.match(cookie, /^sid\d+-\d+$/);
    assert.equal((await post({ action: "pmsapi", pms_action: "checkout" })).status, -5);
    assert.equal((await post(pms(cookie, { pms_action: "checkout" }))).status, -16);
    now += 11_000;
    assert.equal((await post(pms(cookie, { pms_action: "checkout" }))).status, -6);
    assert.equal((await post({ action: "listAccount", cookie: await login() })).status, -19);
    assert.deepEqual(sim.requests.map((r) => [r.action, r.status]).slice(0, 4), [
      ["challenge", -71],
      ["challenge", 0],
      ["login", -37],
      ["challenge", 0],
    ]);
    assert.equal(typeof sim.requests[0].at, "number");
    assert.deepEqual(sim.requests[0].body, { request: { action: "challenge", user: "nobody", version: "1.0" } });
  });

  test("pmsapi: dates required at check-in, names only while checked in, value checks, PMS token", async () => {
    const { sim, post, login } = await httpSim();
    const cookie = await login();
    assert.equal((await post(pms(cookie, { pms_action: "checkin", name: "A" }))).status, -1);
    assert.equal((await post(pms(cookie, { pms_action: "update", name: "A" }))).status, -24);
    assert.equal((await post(pms(cookie, { pms_action: "update", permission: 2 }))).status, 0);
    assert.equal(sim.rooms.get("101")?.permission, 2);
    assert.equal(
      (
        await post({
          ...pms(cookie, { pms_action: "checkin", datein: "20261120", dateout: "20261121" }),
          pms_token: "X",
        })
      ).status,
      -37,
    );
    assert.equal(
      (await post(pms(cookie, { pms_action: "checkin", datein: "2026-11-20", dateout: "20261121" }))).status,
      -15,
    );
    assert.equal(
      (await post(pms(cookie, { pms_action: "checkin", datein: "20261120", dateout: "20261121", permission: 5 })))
        .status,
      -15,
    );
    assert.equal(
      (
        await post(
          pms(cookie, { pms_action: "checkin", datein: "20261120", dateout: "20261121", name: "A", guest_category: 1 }),
        )
      ).status,
      0,
    );
    assert.deepEqual(sim.rooms.get("101"), {
      address: "101",
      extension: "101",
      checkedIn: true,
      name: "A",
      datein: "20261120",
      dateout: "20261121",
      guestCategory: 1,
      permission: 2,
    });
    assert.equal((await post(pms(cookie, { pms_action: "update", name: "B" }))).status, 0);
    assert.equal(sim.rooms.get("101")?.name, "B");
    assert.equal(
      (await post(pms(cookie, { pms_action: "checkin", datein: "20261120", dateout: "20261121" }))).status,
      -44,
    );
    assert.equal((await post(pms(cookie, { pms_action: "checkout" }))).status, 0);
    assert.equal(sim.rooms.get("101")?.checkedIn, false);
    assert.equal((await post(pms(cookie, { pms_action: "bogus" }))).status, -1);
  });

  test("failNext and 404 for other paths", async () => {
    const { sim, post, port } = await httpSim();
    sim.failNext(-45);
    assert.equal((await post({ action: "challenge", user: "bellhop", version: "1.0" })).status, -45);
    assert.equal((await post({ action: "challenge", user: "bellhop", version: "1.0" })).status, 0);
    assert.equal((await fetch(`http://127.0.0.1:${port}/other`, { method: "POST", body: "{}" })).status, 404);
  });

  test("HTTPS: a generated self-signed certificate and its fingerprint", { skip: peerSkip("openssl") }, async () => {
    const sim = new UcmSimulator();
    sims.push(sim);
    assert.match(sim.fingerprint ?? "", /^[0-9a-f]{64}$/);
    assert.equal(pemFingerprint(sim.certificate ?? ""), sim.fingerprint);
  });
});

describe("bellhop sim ucm", () => {
  const capture = () => {
    const out = { text: "", write: (s: string) => (out.text += s) };
    return out;
  };

  test("usage errors exit 2", async () => {
    for (const argv of [[], ["--listen", "x"], ["--bogus"], ["--listen", "0", "--cookie-seconds", "-1"]]) {
      const stderr = capture();
      assert.equal(await simUcmCommand(argv, { stdout: capture(), stderr }), 2, argv.join(" "));
      assert.match(stderr.text, /usage: bellhop sim ucm/);
    }
    const stdout = capture();
    assert.equal(await simUcmCommand(["--help"], { stdout, stderr: capture() }), 0);
    assert.match(stdout.text, /--cookie-seconds/);
  });

  test("prints the URL, the fingerprint to pin and each request with secrets masked", {
    skip: peerSkip("openssl"),
  }, async () => {
    const stdout = capture();
    const ac = new AbortController();
    const done = simUcmCommand(["--listen", "0", "--api-password", "s3cret"], {
      stdout,
      stderr: capture(),
      signal: ac.signal,
    });
    let port = 0;
    for (let i = 0; i < 200 && !port; i++) {
      const m = /# listening on https:\/\/127\.0\.0\.1:(\d+)\/api/.exec(stdout.text);
      if (m) port = Number(m[1]);
      else await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(port > 0, stdout.text);
    assert.match(stdout.text, /# certificateSha256 [0-9a-f]{64}\n/);

    const { createUcmDriver } = await import("../../../src/pbx/ucm/driver.ts");
    const { memoryLogger } = await import("../../../src/lib/logger.ts");
    const pin = /# certificateSha256 ([0-9a-f]{64})/.exec(stdout.text)?.[1] ?? null;
    const driver = createUcmDriver(
      {
        type: "ucm",
        name: "u",
        enabled: true,
        retries: 3,
        intervalSeconds: 60,
        debug: false,
        url: `https://127.0.0.1:${port}/api`,
        apiUser: "bellhop",
        apiPassword: "s3cret",
        pmsUser: "pms",
        pmsPassword: "pms-secret",
        certificateSha256: pin,
        caFile: null,
        classOfService: [1, 2, 3, 4],
        timeoutSeconds: 5,
      },
      { logger: memoryLogger(), debug: () => false },
    );
    await driver.probe?.();
    ac.abort();
    assert.equal(await done, 0);
    assert.match(stdout.text, /< challenge /);
    assert.match(stdout.text, /< login .*"token":"\*\*\*"/);
    assert.match(stdout.text, /> 0 .*"cookie":"\*\*\*"/);
    assert.ok(!/sid\d/.test(stdout.text), "cookie value printed");
  });
});
