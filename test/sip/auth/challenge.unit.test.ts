import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ChallengeError,
  parseAlgorithm,
  parseChallenge,
  parseChallenges,
  scanAuthHeader,
} from "../../../src/sip/auth/challenge.ts";

describe("parseChallenge", () => {
  test("Kamailio's shape", () => {
    const c = parseChallenge('Digest realm="hotel.test", nonce="ZmH0sWZh87CFQ8n2rUlKNgtzgKUhDCXa", qop="auth"');
    assert.deepEqual(c, {
      scheme: "Digest",
      realm: "hotel.test",
      nonce: "ZmH0sWZh87CFQ8n2rUlKNgtzgKUhDCXa",
      algorithm: "MD5",
      qop: ["auth"],
      stale: false,
    });
  });

  test("stale=true, quoted or not, any case", () => {
    assert.equal(parseChallenge('Digest realm="h", nonce="n2", qop="auth", stale=true').stale, true);
    assert.equal(parseChallenge('Digest realm="h", nonce="n2", stale="TRUE"').stale, true);
    assert.equal(parseChallenge('Digest realm="h", nonce="n2", stale=false').stale, false);
  });

  test("algorithm tokens are canonicalised; absent means MD5", () => {
    assert.equal(parseChallenge('Digest realm="h", nonce="n", algorithm=MD5-sess').algorithm, "MD5-sess");
    assert.equal(parseChallenge('Digest realm="h", nonce="n", algorithm=sha-256').algorithm, "SHA-256");
    assert.equal(parseChallenge('Digest realm="h", nonce="n", algorithm="SHA-256-sess"').algorithm, "SHA-256-sess");
    assert.equal(parseChallenge('Digest realm="h", nonce="n"').algorithm, "MD5");
    assert.equal(parseAlgorithm("Md5"), "MD5");
    assert.equal(parseAlgorithm("SHA-512-256"), undefined);
  });

  test("RFC 7616 shape: folded lines, qop list, opaque, domain", () => {
    const c = parseChallenge(
      'Digest\r\n    realm="http-auth@example.org",\r\n    qop="auth, auth-int",\r\n    algorithm=SHA-256,\r\n' +
        '    nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",\r\n' +
        '    opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", domain="sip:a.test sip:b.test"',
    );
    assert.equal(c.realm, "http-auth@example.org");
    assert.deepEqual(c.qop, ["auth", "auth-int"]);
    assert.equal(c.algorithm, "SHA-256");
    assert.equal(c.nonce, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
    assert.equal(c.opaque, "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
    assert.deepEqual(c.domain, ["sip:a.test", "sip:b.test"]);
  });

  test("commas and escaped quotes inside quoted strings", () => {
    const c = parseChallenge('Digest realm="Hotel \\"Sea, Sun\\", Inc", nonce="a,b=c", opaque="x\\\\y"');
    assert.equal(c.realm, 'Hotel "Sea, Sun", Inc');
    assert.equal(c.nonce, "a,b=c");
    assert.equal(c.opaque, "x\\y");
  });

  test("whitespace, case-insensitive names, unquoted tokens, empty list elements", () => {
    const c = parseChallenge('  digest   REALM = "h" ,, Nonce=abc123 ,QOP = auth ,  Algorithm = md5  ');
    assert.equal(c.scheme, "Digest");
    assert.equal(c.realm, "h");
    assert.equal(c.nonce, "abc123");
    assert.deepEqual(c.qop, ["auth"]);
    assert.equal(c.algorithm, "MD5");
  });

  test("the first occurrence of a repeated parameter wins", () => {
    assert.equal(parseChallenge('Digest realm="a", nonce="1", realm="b"').realm, "a");
  });

  test("skips a Basic challenge before the Digest one", () => {
    assert.equal(parseChallenge('Basic realm="x", Digest realm="h", nonce="n"').realm, "h");
  });

  test("throws a ChallengeError saying why", () => {
    assert.throws(() => parseChallenge('Basic realm="x"'), /auth scheme Basic is not supported/);
    assert.throws(() => parseChallenge('Digest realm="h"'), /without a nonce/);
    assert.throws(() => parseChallenge('Digest nonce="n"'), /without a realm/);
    assert.throws(() => parseChallenge('Digest realm="h", nonce="n", algorithm=SHA-512-256'), /unsupported algorithm/);
    assert.throws(() => parseChallenge(""), ChallengeError);
  });

  test("an unterminated quoted string runs to the end instead of failing", () => {
    assert.equal(parseChallenge('Digest realm="h", nonce="abc').nonce, "abc");
  });
});

describe("parseChallenges", () => {
  test("several challenges in one value (RFC 8760 §2.4 order)", () => {
    const parsed = parseChallenges(
      'Digest realm="hotel.test", nonce="n1", algorithm=SHA-256, qop="auth", ' +
        'Digest realm="hotel.test", nonce="n2", algorithm=MD5, qop="auth", Basic realm="legacy"',
    );
    assert.equal(parsed.length, 3);
    assert.ok(parsed[0].ok && parsed[0].challenge.algorithm === "SHA-256" && parsed[0].challenge.nonce === "n1");
    assert.ok(parsed[1].ok && parsed[1].challenge.algorithm === "MD5" && parsed[1].challenge.nonce === "n2");
    assert.deepEqual(parsed[2], {
      ok: false,
      scheme: "Basic",
      problem: "unsupported",
      reason: "auth scheme Basic is not supported",
    });
  });

  test("reports unusable Digest challenges with their realm", () => {
    const [p] = parseChallenges('Digest realm="h", nonce="n", algorithm=SHA-512-256');
    assert.equal(p.ok, false);
    assert.ok(!p.ok && p.realm === "h" && p.problem === "unsupported");
  });
});

describe("scanAuthHeader", () => {
  test("records raw value positions, quotes included", () => {
    const text = 'Digest nonce="a\\"b", nc=00000001';
    const [item] = scanAuthHeader(text);
    const [nonce, nc] = item.params;
    assert.equal(text.slice(nonce.valueStart, nonce.valueEnd), '"a\\"b"');
    assert.equal(nonce.value, 'a"b');
    assert.equal(text.slice(nc.valueStart, nc.valueEnd), "00000001");
    assert.equal(nc.quoted, false);
  });

  test("never loops on junk", () => {
    for (const junk of ['"', "=", ",,,", '=" , "=', "a b c", 'x="', "\\", "Digest ==="]) {
      assert.ok(Array.isArray(scanAuthHeader(junk)));
    }
  });
});
