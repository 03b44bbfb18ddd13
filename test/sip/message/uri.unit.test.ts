import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatUri, parseUri, SipParseError, type SipUri, sipUri } from "../../../src/sip/message/index.ts";

const sip = (text: string) => {
  const uri = parseUri(text);
  assert.equal(uri.kind, "sip");
  return uri as SipUri;
};

describe("SIP URI", () => {
  test("user, password, host, port, parameters, headers", () => {
    assert.deepEqual(sip("sips:alice:secret@example.com:5061;transport=tls;lr?Subject=hi&Priority=urgent"), {
      kind: "sip",
      scheme: "sips",
      user: "alice",
      password: "secret",
      host: "example.com",
      port: 5061,
      params: [
        { name: "transport", value: "tls" },
        { name: "lr", value: null },
      ],
      headers: [
        { name: "Subject", value: "hi" },
        { name: "Priority", value: "urgent" },
      ],
    });
  });

  test("no user part; scheme is case-insensitive", () => {
    const uri = sip("SIP:registrar.example.com");
    assert.equal(uri.scheme, "sip");
    assert.equal(uri.user, undefined);
    assert.equal(uri.host, "registrar.example.com");
    assert.equal(uri.port, undefined);
  });

  test("IPv6 references: host without brackets, brackets back when formatted", () => {
    const uri = sip("sip:[::1]:5060");
    assert.equal(uri.host, "::1");
    assert.equal(uri.port, 5060);
    assert.equal(formatUri(uri), "sip:[::1]:5060");
    const full = sip("sip:bob@[2001:db8::10:5070]:5070;maddr=[2001:db8::1]");
    assert.equal(full.host, "2001:db8::10:5070");
    assert.equal(full.params[0].value, "[2001:db8::1]");
    assert.equal(formatUri(full), "sip:bob@[2001:db8::10:5070]:5070;maddr=[2001:db8::1]");
  });

  test("escapes are decoded, and re-encoded only where needed", () => {
    const uri = sip("sip:%61lice%40home@example.com;n%61me=a%3Bb?h=%3Csip:x%3E");
    assert.equal(uri.user, "alice@home");
    assert.deepEqual(uri.params, [{ name: "name", value: "a;b" }]);
    assert.deepEqual(uri.headers, [{ name: "h", value: "<sip:x>" }]);
    assert.equal(formatUri(uri), "sip:alice%40home@example.com;name=a%3Bb?h=%3Csip:x%3E");
    assert.equal(sip("sip:%C3%A9t%C3%A9@x").user, "été");
    assert.equal(formatUri(sip("sip:%C3%A9t%C3%A9@x")), "sip:%C3%A9t%C3%A9@x");
  });

  test("telephone-subscriber user with user=phone", () => {
    const uri = sip("sip:+1-212-555-1212:1234@gateway.com;user=phone");
    assert.equal(uri.user, "+1-212-555-1212");
    assert.equal(uri.password, "1234");
  });

  test("rejects malformed URIs", () => {
    for (const bad of [
      "",
      "sip:",
      "sip:@host",
      "sip:user@",
      "sip:host:99999",
      "sip:host:",
      "sip:host;",
      "sip:host?",
      "sip:host?a",
      "sip:user name@host",
      "sip:us%zzer@host",
      "sip:[::1",
      "sip:[]",
      "sip:[fe80::1%eth0]",
      "<sip:host>",
      "sip:host extra",
      "1sip:host",
      "tel:",
      "tel:+1 555",
      "mailto:",
      "foo:a b",
    ]) {
      assert.throws(() => parseUri(bad), SipParseError, bad);
    }
  });
});

describe("tel and other URIs", () => {
  test("tel: number and parameters", () => {
    assert.deepEqual(parseUri("tel:+1-201-555-0123;phone-context=example.com"), {
      kind: "tel",
      number: "+1-201-555-0123",
      params: [{ name: "phone-context", value: "example.com" }],
    });
    assert.equal(formatUri(parseUri("tel:7042;phone-context=example.com")), "tel:7042;phone-context=example.com");
  });

  test("absolute URIs are kept opaque", () => {
    assert.deepEqual(parseUri("urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"), {
      kind: "absolute",
      scheme: "urn",
      opaque: "uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
    });
  });

  test("sipUri builds a URI that formats", () => {
    assert.equal(
      formatUri(sipUri("192.0.2.1", { user: "room 101", port: 5062, params: [{ name: "transport", value: "tcp" }] })),
      "sip:room%20101@192.0.2.1:5062;transport=tcp",
    );
  });
});
