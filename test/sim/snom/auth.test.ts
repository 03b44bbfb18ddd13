import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { digestHeader, get, startPhone } from "./helpers.ts";

const BASIC = { user: "admin", password: "s3cret", scheme: "basic" as const };
const DIGEST = { user: "admin", password: "s3cret", scheme: "digest" as const };

describe("SNOM simulator: authentication", () => {
  test("no HTTP user: every page is open (SNOM's default)", async () => {
    const { phone, get } = await startPhone();
    const r = await get("/command.htm?key=OFFHOOK");
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/html/);
    assert.equal(phone.requests[0].auth, "none");
  });

  test("Basic: right credentials 200, missing or wrong 401 with a Basic challenge; nothing happens on a 401", async () => {
    const { phone, get } = await startPhone({ user: "admin", password: "s3cret" });
    const missing = await get("/settings.htm?settings=save&dnd_mode=on");
    assert.equal(missing.status, 401);
    assert.equal(missing.wwwAuthenticate, 'Basic realm="snom"');
    const wrong = await get("/settings.htm?settings=save&dnd_mode=on", { ...BASIC, password: "nope" });
    assert.equal(wrong.status, 401);
    assert.equal(phone.dnd, false);
    const ok = await get("/settings.htm?settings=save&dnd_mode=on", BASIC);
    assert.equal(ok.status, 200);
    assert.equal(phone.dnd, true);
    assert.deepEqual(
      phone.requests.map((r) => r.auth),
      ["missing", "wrong", "ok"],
    );
  });

  test("Digest: challenge, then the right response is accepted; a wrong password, Basic, a replayed nc or another uri are not", async () => {
    const { phone, base, get: raw } = await startPhone({ user: "admin", password: "s3cret", auth: "digest" });
    const ok = await get(base, "/settings.htm?settings=save&user_idle_text1=Rossi", DIGEST);
    assert.equal(ok.status, 200);
    assert.equal(phone.idleText(), "Rossi");

    const first = await raw("/command.htm?key=OFFHOOK");
    assert.equal(first.status, 401);
    const challenge = first.wwwAuthenticate ?? "";
    assert.match(challenge, /^Digest realm="snom", nonce="[0-9a-f]+", qop="auth", algorithm=MD5$/);

    const wrongPw = await get(base, "/command.htm?key=OFFHOOK", { ...DIGEST, password: "x" });
    assert.equal(wrongPw.status, 401);
    const basic = await get(base, "/command.htm?key=OFFHOOK", { ...BASIC, scheme: "basic" });
    assert.equal(basic.status, 401, "a Digest phone refuses Basic");
    assert.match(basic.wwwAuthenticate ?? "", /^Digest /);

    const path = "/command.htm?key=ONHOOK";
    const header = digestHeader(challenge, DIGEST, "GET", path, "00000001");
    assert.equal((await fetch(`${base}${path}`, { headers: { Authorization: header } })).status, 200);
    assert.equal((await fetch(`${base}${path}`, { headers: { Authorization: header } })).status, 401, "replayed nc");
    const next = digestHeader(challenge, DIGEST, "GET", path, "00000002");
    assert.equal((await fetch(`${base}${path}`, { headers: { Authorization: next } })).status, 200, "next nc");
    const otherUri = digestHeader(challenge, DIGEST, "GET", "/command.htm?key=ENTER", "00000003");
    const r = await fetch(`${base}${path}`, { headers: { Authorization: otherUri } });
    assert.equal(r.status, 401, "the digest must be for this request's uri");
    assert.deepEqual(
      phone.requests.map((x) => x.auth),
      ["missing", "ok", "missing", "missing", "wrong", "scheme", "ok", "wrong", "ok", "wrong"],
    );
  });

  test("Digest: an old nonce with the right password is answered stale=true", async () => {
    let now = 1_000_000;
    const { base } = await startPhone({
      user: "admin",
      password: "s3cret",
      auth: "digest",
      nonceSeconds: 60,
      now: () => now,
    });
    const first = await fetch(`${base}/command.htm?key=ENTER`);
    const challenge = first.headers.get("www-authenticate") ?? "";
    now += 61_000;
    const path = "/command.htm?key=ENTER";
    const r = await fetch(`${base}${path}`, {
      headers: { Authorization: digestHeader(challenge, DIGEST, "GET", path) },
    });
    assert.equal(r.status, 401);
    assert.match(r.headers.get("www-authenticate") ?? "", /, stale=true$/);
    const fresh = r.headers.get("www-authenticate") ?? "";
    const again = await fetch(`${base}${path}`, {
      headers: { Authorization: digestHeader(fresh, DIGEST, "GET", path) },
    });
    assert.equal(again.status, 200);
  });

  test("credentials are settings: http_pass and http_scheme saved over HTTP take effect on the next request", async () => {
    const { phone, get } = await startPhone({ user: "admin", password: "s3cret" });
    assert.equal((await get("/dummy.htm?settings=save&http_pass=n3w", BASIC)).status, 200);
    assert.equal((await get("/command.htm?key=ENTER", BASIC)).status, 401);
    const NEW = { ...BASIC, password: "n3w" };
    assert.equal((await get("/dummy.htm?settings=save&http_scheme=on", NEW)).status, 200);
    assert.equal((await get("/command.htm?key=ENTER", NEW)).status, 401);
    assert.equal((await get("/command.htm?key=ENTER", { ...NEW, scheme: "digest" })).status, 200);
    assert.equal(phone.settings.snapshot().http_pass, "***", "private settings are masked in snapshots");
    assert.match(phone.requests[0].effects.join(), /saved http_pass=\*\*\*/);
  });
});
