import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { scanAuthHeader } from "../../../src/sip/auth/challenge.ts";
import {
  formatAuthorization,
  maskAuthorization,
  maskSipHeaders,
  quoteString,
} from "../../../src/sip/auth/credentials.ts";
import { computeDigestResponse, DigestAuthError } from "../../../src/sip/auth/digest.ts";

const PASSWORD = "Circle of Life";
const FIELDS = {
  username: "Mufasa",
  realm: "http-auth@example.org",
  nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
  uri: "/dir/index.html",
  response: "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
  algorithm: "SHA-256",
  cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
  opaque: "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
  qop: "auth",
  nc: 1,
} as const;

describe("formatAuthorization", () => {
  test("RFC 7616 §3.9.1 credentials: quoted strings, unquoted algorithm, qop and nc", () => {
    assert.equal(
      formatAuthorization(FIELDS),
      'Digest username="Mufasa", realm="http-auth@example.org", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", ' +
        'uri="/dir/index.html", response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", ' +
        'algorithm=SHA-256, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", ' +
        'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", qop=auth, nc=00000001',
    );
  });

  test("the response in the RFC example is the one computed", () => {
    const response = computeDigestResponse({ ...FIELDS, password: PASSWORD, method: "GET" });
    assert.equal(response, FIELDS.response);
  });

  test("RFC 2069 form: no qop, nc or cnonce; optional fields left out", () => {
    assert.equal(
      formatAuthorization({
        username: "alice",
        realm: "hotel.test",
        nonce: "n",
        uri: "sip:hotel.test",
        response: "ab",
      }),
      'Digest username="alice", realm="hotel.test", nonce="n", uri="sip:hotel.test", response="ab"',
    );
  });

  test("round-trips through the header scanner, escapes included", () => {
    const value = formatAuthorization({ ...FIELDS, username: 'the "desk" \\ 1', nc: 0x1f });
    const [item] = scanAuthHeader(value);
    assert.equal(item.scheme, "Digest");
    const params = Object.fromEntries(item.params.map((p) => [p.name, p.value]));
    assert.equal(params.username, 'the "desk" \\ 1');
    assert.equal(params.nc, "0000001f");
    assert.equal(params.qop, "auth");
    assert.equal(params.uri, FIELDS.uri);
  });

  test("refuses line breaks (header injection) and qop without nc", () => {
    assert.throws(() => formatAuthorization({ ...FIELDS, username: "a\r\nVia: x" }), DigestAuthError);
    assert.throws(() => formatAuthorization({ ...FIELDS, nc: undefined }), /needs nc and cnonce/);
    assert.equal(quoteString('a"b\\c'), '"a\\"b\\\\c"');
  });
});

describe("maskAuthorization", () => {
  const value = formatAuthorization(FIELDS);

  test("hides response, cnonce and nonce, keeps the rest", () => {
    const masked = maskAuthorization(value);
    assert.equal(
      masked,
      'Digest username="Mufasa", realm="http-auth@example.org", nonce="***", uri="/dir/index.html", response="***", ' +
        'algorithm=SHA-256, cnonce="***", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", qop=auth, nc=00000001',
    );
    for (const secret of [FIELDS.response, FIELDS.nonce, FIELDS.cnonce, PASSWORD]) assert.ok(!masked.includes(secret));
  });

  test("unquoted values and odd spacing are masked too", () => {
    assert.equal(
      maskAuthorization('Digest username="a", nonce = abc ,response=deadbeef,cnonce="x\\"y"'),
      'Digest username="a", nonce = *** ,response=***,cnonce="***"',
    );
  });

  test("non-Digest or malformed values are masked wholesale", () => {
    assert.equal(maskAuthorization("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), "Basic ***");
    assert.equal(maskAuthorization("Bearer abc.def"), "Bearer ***");
    assert.equal(maskAuthorization('"junk" response="deadbeef"'), "***");
    assert.equal(maskAuthorization('Digest username="a", response "deadbeef"'), 'Digest username="a", ***');
    assert.equal(maskAuthorization(""), "");
  });
});

describe("maskSipHeaders", () => {
  test("masks Authorization and Proxy-Authorization lines of a whole message, nothing else", () => {
    const auth = formatAuthorization({ ...FIELDS, uri: "sip:hotel.test" });
    const lines = [
      "REGISTER sip:hotel.test SIP/2.0",
      "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK776asdhds",
      "From: <sip:101@hotel.test>;tag=1928301774",
      `Authorization: ${auth}`,
      `proxy-authorization : ${auth.replace(", response=", ",\r\n response=")}`,
      'WWW-Authenticate: Digest realm="hotel.test", nonce="public"',
      "Content-Length: 0",
      "",
      "",
    ];
    const text = lines.join("\r\n");
    const masked = maskSipHeaders(text);
    for (const secret of [FIELDS.response, FIELDS.nonce, FIELDS.cnonce, PASSWORD]) assert.ok(!masked.includes(secret));
    const out = masked.split("\r\n");
    assert.equal(out.length, lines.length); // the folded Proxy-Authorization is one line again
    assert.deepEqual(out.slice(0, 3), lines.slice(0, 3));
    assert.equal(out[3], `Authorization: ${maskAuthorization(auth)}`);
    assert.match(out[4], /^proxy-authorization : Digest username="Mufasa", .*response="\*\*\*"/);
    assert.deepEqual(out.slice(5), [
      'WWW-Authenticate: Digest realm="hotel.test", nonce="public"',
      "Content-Length: 0",
      "",
      "",
    ]);
  });

  test("keeps LF-only text and text without those headers unchanged", () => {
    const text = "OPTIONS sip:a SIP/2.0\nCall-ID: x\n\nbody";
    assert.equal(maskSipHeaders(text), text);
    assert.equal(maskSipHeaders('Authorization: Digest nonce="n"\n'), 'Authorization: Digest nonce="***"\n');
  });
});
