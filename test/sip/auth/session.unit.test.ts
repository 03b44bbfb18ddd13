import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { scanAuthHeader } from "../../../src/sip/auth/challenge.ts";
import { maskAuthorization } from "../../../src/sip/auth/credentials.ts";
import { computeDigestResponse } from "../../../src/sip/auth/digest.ts";
import { type ChallengeOutcome, DigestSession } from "../../../src/sip/auth/session.ts";

const PASSWORD = "pa55-w0rd!";
const REGISTER = { method: "REGISTER", uri: "sip:hotel.test" };

/** cnonce source yielding c1, c2, … */
function counter(prefix = "c") {
  let n = 0;
  return () => `${prefix}${++n}`;
}

function session(extra: Partial<ConstructorParameters<typeof DigestSession>[0]> = {}) {
  return new DigestSession({ username: "101", password: PASSWORD, cnonce: counter(), ...extra });
}

const kamailio = (nonce: string, more = "") => `Digest realm="hotel.test", nonce="${nonce}", qop="auth"${more}`;

function params(value: string): Record<string, string> {
  const [item] = scanAuthHeader(value);
  assert.equal(item.scheme, "Digest");
  return Object.fromEntries(item.params.map((p) => [p.name, p.value]));
}

function retried(outcome: ChallengeOutcome) {
  assert.equal(outcome.action, "retry", outcome.action === "fail" ? outcome.reason : "");
  if (outcome.action !== "retry") throw new Error("unreachable");
  return outcome;
}

function failed(outcome: ChallengeOutcome) {
  assert.equal(outcome.action, "fail");
  if (outcome.action !== "fail") throw new Error("unreachable");
  assert.ok(!outcome.reason.includes(PASSWORD));
  return outcome;
}

describe("DigestSession.onChallenge", () => {
  test("first 401 → retry with Authorization, qop=auth, nc=00000001 and the right response", () => {
    const s = session();
    const r = retried(s.onChallenge(401, [kamailio("n1")], REGISTER));
    assert.equal(r.header.name, "Authorization");
    assert.deepEqual(r.headers, [r.header]);
    const p = params(r.header.value);
    assert.deepEqual(
      { ...p },
      {
        username: "101",
        realm: "hotel.test",
        nonce: "n1",
        uri: "sip:hotel.test",
        response: computeDigestResponse({
          algorithm: "MD5",
          username: "101",
          realm: "hotel.test",
          password: PASSWORD,
          nonce: "n1",
          method: "REGISTER",
          uri: "sip:hotel.test",
          qop: "auth",
          nc: 1,
          cnonce: "c1",
        }),
        algorithm: "MD5",
        cnonce: "c1",
        qop: "auth",
        nc: "00000001",
      },
    );
  });

  test("RFC 2617 §3.5 through the session (qop offered as auth,auth-int → auth)", () => {
    const s = new DigestSession({ username: "Mufasa", password: "Circle Of Life", cnonce: () => "0a4f113b" });
    const challenge =
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
      'opaque="5ccc069c403ebaf9f0171e9517f40e41"';
    const r = retried(s.onChallenge(401, [challenge], { method: "GET", uri: "/dir/index.html" }));
    const p = params(r.header.value);
    assert.equal(p.response, "6629fae49393a05397450978507c4ef1");
    assert.equal(p.qop, "auth");
    assert.equal(p.opaque, "5ccc069c403ebaf9f0171e9517f40e41");
  });

  test("RFC 7616 §3.9.1: SHA-256 is chosen over MD5, whatever the order", () => {
    const common =
      'realm="http-auth@example.org", qop="auth, auth-int", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", ' +
      'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
    const md5 = `Digest ${common}, algorithm=MD5`;
    const sha = `Digest ${common}, algorithm=SHA-256`;
    for (const values of [[md5, sha], [sha, md5], [`${md5}, ${sha}`]]) {
      const s = new DigestSession({
        username: "Mufasa",
        password: "Circle of Life",
        cnonce: () => "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
      });
      const r = retried(s.onChallenge(401, values, { method: "GET", uri: "/dir/index.html" }));
      const p = params(r.header.value);
      assert.equal(p.algorithm, "SHA-256");
      assert.equal(p.response, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
      assert.equal(r.headers.length, 1);
    }
  });

  test("MD5 is used when the SHA-256 challenge is not usable", () => {
    const s = session();
    const r = retried(
      s.onChallenge(
        401,
        [
          'Digest realm="hotel.test", nonce="a", algorithm=SHA-256, qop="auth-int"',
          'Digest realm="hotel.test", nonce="b", algorithm=MD5, qop="auth"',
        ],
        REGISTER,
      ),
    );
    assert.equal(params(r.header.value).algorithm, "MD5");
  });

  test("a second 401 for the same nonce without stale → fail, no loop", () => {
    const s = session();
    retried(s.onChallenge(401, [kamailio("n1")], REGISTER));
    const f = failed(s.onChallenge(401, [kamailio("n1")], REGISTER));
    assert.equal(f.code, "rejected");
    assert.match(f.reason, /wrong password or user/);
    assert.match(f.reason, /"101"/);
  });

  test("Kamailio's wrong-password 401 carries a fresh nonce: still a failure", () => {
    const s = session();
    retried(s.onChallenge(401, [kamailio("n1")], REGISTER));
    assert.equal(failed(s.onChallenge(401, [kamailio("n2")], REGISTER)).code, "rejected");
    // The rejected credentials are not reused pre-emptively; a new attempt starts from scratch.
    assert.deepEqual(s.authorize("REGISTER", REGISTER.uri), []);
    retried(s.onChallenge(401, [kamailio("n3")], REGISTER));
  });

  test("stale=true → retry once with the new nonce and nc back to 00000001", () => {
    const s = session();
    retried(s.onChallenge(401, [kamailio("n1")], REGISTER));
    s.authorize("REGISTER", REGISTER.uri); // nc 2 on n1
    const r = retried(s.onChallenge(401, [kamailio("n2", ", stale=true")], REGISTER));
    const p = params(r.header.value);
    assert.equal(p.nonce, "n2");
    assert.equal(p.nc, "00000001");
    // The answer to that retry is challenged again without stale: now it is the password.
    assert.equal(failed(s.onChallenge(401, [kamailio("n3")], REGISTER)).code, "rejected");
  });

  test("stale=true right after the retry of a challenge is not a failure; twice in a row is", () => {
    const s = session();
    retried(s.onChallenge(401, [kamailio("n1")], REGISTER));
    const r = retried(s.onChallenge(401, [kamailio("n2", ", stale=TRUE")], REGISTER));
    assert.equal(params(r.header.value).nonce, "n2");
    const f = failed(s.onChallenge(401, [kamailio("n3", ", stale=true")], REGISTER));
    assert.equal(f.code, "stale-loop");
  });

  test("407 → Proxy-Authorization; a registrar 401 after it keeps the proxy credentials", () => {
    const s = session();
    const proxy = 'Digest realm="proxy.test", nonce="p1", qop="auth"';
    const r1 = retried(s.onChallenge(407, [proxy], { method: "INVITE", uri: "sip:200@hotel.test" }));
    assert.equal(r1.header.name, "Proxy-Authorization");
    assert.equal(params(r1.header.value).realm, "proxy.test");
    const r2 = retried(s.onChallenge(401, [kamailio("n1")], { method: "INVITE", uri: "sip:200@hotel.test" }));
    assert.deepEqual(
      r2.headers.map((h) => [h.name, params(h.value).realm, params(h.value).nc]),
      [
        ["Authorization", "hotel.test", "00000001"],
        ["Proxy-Authorization", "proxy.test", "00000002"],
      ],
    );
  });

  test("a challenge naming two realms is answered for both", () => {
    const s = session();
    const r = retried(s.onChallenge(401, ['Digest realm="a", nonce="1"', 'Digest realm="b", nonce="2"'], REGISTER));
    assert.deepEqual(
      r.headers.map((h) => params(h.value).realm),
      ["a", "b"],
    );
  });

  test("only qop=auth-int → fail with a clear reason", () => {
    const f = failed(session().onChallenge(401, ['Digest realm="hotel.test", nonce="n", qop="auth-int"'], REGISTER));
    assert.equal(f.code, "unsupported");
    assert.match(f.reason, /only qop=auth-int; auth-int is not supported/);
  });

  test("no qop offered → the RFC 2069 form without qop, nc or cnonce", () => {
    const r = retried(session().onChallenge(401, ['Digest realm="hotel.test", nonce="n"'], REGISTER));
    const p = params(r.header.value);
    assert.equal(p.qop, undefined);
    assert.equal(p.nc, undefined);
    assert.equal(p.cnonce, undefined);
    assert.equal(
      p.response,
      computeDigestResponse({
        algorithm: "MD5",
        username: "101",
        realm: "hotel.test",
        password: PASSWORD,
        nonce: "n",
        ...REGISTER,
      }),
    );
  });

  test("refuses what it cannot answer, saying why", () => {
    const s = session();
    assert.equal(failed(s.onChallenge(403, [kamailio("n")], REGISTER)).code, "not-a-challenge");
    assert.equal(failed(s.onChallenge(401, [], REGISTER)).code, "malformed");
    assert.equal(failed(s.onChallenge(407, ['Digest realm="h"'], REGISTER)).code, "malformed");
    const basic = failed(s.onChallenge(401, ['Basic realm="x"'], REGISTER));
    assert.equal(basic.code, "unsupported");
    assert.match(basic.reason, /Basic is not supported/);
    const sha512 = failed(s.onChallenge(401, ['Digest realm="h", nonce="n", algorithm=SHA-512-256'], REGISTER));
    assert.match(sha512.reason, /unsupported algorithm "SHA-512-256"/);
  });

  test("a configured realm answers only its own challenges", () => {
    const s = session({ realm: "hotel.test" });
    const f = failed(s.onChallenge(401, ['Digest realm="other", nonce="n"'], REGISTER));
    assert.equal(f.code, "realm-mismatch");
    const r = retried(s.onChallenge(401, ['Digest realm="other", nonce="x"', kamailio("n1")], REGISTER));
    assert.deepEqual(
      r.headers.map((h) => params(h.value).realm),
      ["hotel.test"],
    );
  });
});

describe("DigestSession.authorize", () => {
  test("nothing before the first challenge", () => {
    assert.deepEqual(session().authorize("REGISTER", REGISTER.uri), []);
  });

  test("pre-emptive reuse of the nonce: nc increments, a fresh cnonce each time", () => {
    const s = session();
    retried(s.onChallenge(401, [kamailio("n1")], REGISTER));
    const a = s.authorize("REGISTER", REGISTER.uri);
    const b = s.authorize("OPTIONS", "sip:hotel.test");
    assert.equal(a.length, 1);
    assert.deepEqual(
      [a[0], b[0]].map((h) => [h.name, params(h.value).nonce, params(h.value).nc, params(h.value).cnonce]),
      [
        ["Authorization", "n1", "00000002", "c2"],
        ["Authorization", "n1", "00000003", "c3"],
      ],
    );
    assert.equal(
      params(b[0].value).response,
      computeDigestResponse({
        algorithm: "MD5",
        username: "101",
        realm: "hotel.test",
        password: PASSWORD,
        nonce: "n1",
        method: "OPTIONS",
        uri: "sip:hotel.test",
        qop: "auth",
        nc: 3,
        cnonce: "c3",
      }),
    );
  });

  test("a 401 to a pre-emptive request is a new challenge, not a failure", () => {
    const s = session();
    retried(s.onChallenge(401, [kamailio("n1")], REGISTER));
    s.authorize("REGISTER", REGISTER.uri);
    const r = retried(s.onChallenge(401, [kamailio("n2")], REGISTER));
    assert.deepEqual([params(r.header.value).nonce, params(r.header.value).nc], ["n2", "00000001"]);
  });

  test("MD5-sess keeps one cnonce per nonce", () => {
    const s = session();
    const r = retried(s.onChallenge(401, [kamailio("n1", ", algorithm=MD5-sess")], REGISTER));
    const [next] = s.authorize("REGISTER", REGISTER.uri);
    assert.deepEqual([params(r.header.value).cnonce, params(next.value).cnonce], ["c1", "c1"]);
    assert.equal(params(next.value).nc, "00000002");
    assert.equal(params(next.value).algorithm, "MD5-sess");
  });

  test("reset forgets the challenges", () => {
    const s = session();
    retried(s.onChallenge(401, [kamailio("n1")], REGISTER));
    s.reset();
    assert.deepEqual(s.authorize("REGISTER", REGISTER.uri), []);
  });
});

describe("secrets", () => {
  test("the password shows up nowhere; masked headers hide the response", () => {
    const s = session();
    const r = retried(s.onChallenge(401, [kamailio("n1")], REGISTER));
    const [pre] = s.authorize("REGISTER", REGISTER.uri);
    const texts = [JSON.stringify(s), String(s), r.header.value, pre.value, JSON.stringify(s.realms)];
    for (const t of texts) assert.ok(!t.includes(PASSWORD), t);
    for (const h of [r.header, pre]) {
      const masked = maskAuthorization(h.value);
      assert.ok(!masked.includes(params(h.value).response));
      assert.ok(!masked.includes(PASSWORD));
      assert.match(masked, /response="\*\*\*"/);
    }
    assert.deepEqual(JSON.parse(JSON.stringify(s)), {
      username: "101",
      realms: [{ name: "Authorization", realm: "hotel.test", algorithm: "MD5", nc: 2 }],
    });
  });
});
