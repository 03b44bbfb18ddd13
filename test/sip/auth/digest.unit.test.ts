import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import {
  computeDigestResponse,
  computeHa1,
  DigestAuthError,
  digestHash,
  formatNonceCount,
} from "../../../src/sip/auth/digest.ts";

const md5 = (s: string) => createHash("md5").update(s).digest("hex");

// RFC 7616 §3.9.1
const RFC7616 = {
  username: "Mufasa",
  password: "Circle of Life",
  realm: "http-auth@example.org",
  nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
  cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
  method: "GET",
  uri: "/dir/index.html",
  qop: "auth",
  nc: 1,
} as const;

describe("computeDigestResponse", () => {
  test("RFC 2617 §3.5: MD5, qop=auth", () => {
    const response = computeDigestResponse({
      algorithm: "MD5",
      username: "Mufasa",
      password: "Circle Of Life",
      realm: "testrealm@host.com",
      nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
      cnonce: "0a4f113b",
      nc: 1,
      qop: "auth",
      method: "GET",
      uri: "/dir/index.html",
    });
    assert.equal(response, "6629fae49393a05397450978507c4ef1");
  });

  test("RFC 7616 §3.9.1: SHA-256", () => {
    assert.equal(
      computeDigestResponse({ ...RFC7616, algorithm: "SHA-256" }),
      "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
    );
  });

  test("RFC 7616 §3.9.1: MD5", () => {
    assert.equal(computeDigestResponse({ ...RFC7616, algorithm: "MD5" }), "8ca523f5e9506fed4657c9700eebdbec");
  });

  test("without qop: the RFC 2069 form H(HA1:nonce:HA2)", () => {
    const input = {
      algorithm: "MD5",
      username: "alice",
      password: "s3cret",
      realm: "hotel.test",
      nonce: "abc",
      method: "REGISTER",
      uri: "sip:hotel.test",
    } as const;
    const expected = md5(`${md5("alice:hotel.test:s3cret")}:abc:${md5("REGISTER:sip:hotel.test")}`);
    assert.equal(computeDigestResponse(input), expected);
  });

  test("MD5-sess: HA1 = H(H(user:realm:password):nonce:cnonce)", () => {
    const input = {
      algorithm: "MD5-sess",
      username: "alice",
      password: "s3cret",
      realm: "hotel.test",
      nonce: "n1",
      cnonce: "c1",
      nc: 2,
      qop: "auth",
      method: "REGISTER",
      uri: "sip:hotel.test",
    } as const;
    const ha1 = md5(`${md5("alice:hotel.test:s3cret")}:n1:c1`);
    assert.equal(computeHa1(input), ha1);
    const expected = md5(`${ha1}:n1:00000002:c1:auth:${md5("REGISTER:sip:hotel.test")}`);
    assert.equal(computeDigestResponse(input), expected);
  });

  test("SHA-256-sess uses SHA-256 throughout", () => {
    const sha = (s: string) => createHash("sha256").update(s).digest("hex");
    const input = { ...RFC7616, algorithm: "SHA-256-sess" } as const;
    const ha1 = sha(`${sha("Mufasa:http-auth@example.org:Circle of Life")}:${RFC7616.nonce}:${RFC7616.cnonce}`);
    const expected = sha(`${ha1}:${RFC7616.nonce}:00000001:${RFC7616.cnonce}:auth:${sha("GET:/dir/index.html")}`);
    assert.equal(computeDigestResponse(input), expected);
  });

  test("auth-int hashes the body into HA2", () => {
    const base = { ...RFC7616, algorithm: "MD5", qop: "auth-int" } as const;
    const ha1 = md5("Mufasa:http-auth@example.org:Circle of Life");
    const ha2 = md5(`GET:/dir/index.html:${md5("v=0\r\n")}`);
    const expected = md5(`${ha1}:${RFC7616.nonce}:00000001:${RFC7616.cnonce}:auth-int:${ha2}`);
    assert.equal(computeDigestResponse({ ...base, body: "v=0\r\n" }), expected);
  });

  test("missing cnonce or nc is an error that does not carry the password", () => {
    const input = { ...RFC7616, algorithm: "MD5" } as const;
    for (const bad of [
      { ...input, cnonce: undefined },
      { ...input, nc: undefined },
      { ...input, qop: undefined, algorithm: "MD5-sess", cnonce: undefined } as const,
    ]) {
      assert.throws(
        () => computeDigestResponse(bad),
        (e: unknown) => e instanceof DigestAuthError && !e.message.includes(RFC7616.password),
      );
    }
  });
});

describe("helpers", () => {
  test("formatNonceCount writes 8 lowercase hex digits", () => {
    assert.equal(formatNonceCount(1), "00000001");
    assert.equal(formatNonceCount(255), "000000ff");
    assert.equal(formatNonceCount(0xffffffff), "ffffffff");
    for (const bad of [0, -1, 1.5, 0x100000000]) assert.throws(() => formatNonceCount(bad), DigestAuthError);
  });

  test("digestHash picks MD5 or SHA-256 by algorithm", () => {
    assert.equal(digestHash("MD5", ""), "d41d8cd98f00b204e9800998ecf8427e");
    assert.equal(digestHash("MD5-sess", ""), "d41d8cd98f00b204e9800998ecf8427e");
    assert.equal(digestHash("SHA-256", ""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert.equal(digestHash("SHA-256-sess", "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
