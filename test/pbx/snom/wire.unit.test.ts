import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, test } from "node:test";
import { maskTarget } from "../../../src/pbx/snom/client.ts";
import { parseHttpResponse, TransportFailure } from "../../../src/pbx/snom/transport.ts";
import {
  actionEvents,
  actionUrlSettings,
  dialRequest,
  encodeValue,
  isSettingName,
  isSnomKey,
  keyRequest,
  minibrowserRequest,
  releaseAllCallsRequest,
  settingNames,
  settingsRequest,
  snomKeys,
  snomTextXml,
  welcomeUrl,
  welcomeXml,
} from "../../../src/pbx/snom/wire.ts";

describe("SNOM wire format", () => {
  test("setting names", () => {
    assert.equal(settingNames.dnd, "dnd_mode");
    assert.equal(settingNames.keyboardLock, "keyboard_lock");
    assert.equal(settingNames.idleText(), "user_idle_text1");
    assert.equal(settingNames.realName(2), "user_realname2");
  });

  test("every action URL event has its setting; hold/unhold/reg_failed/transfer without _url", () => {
    assert.deepEqual(Object.keys(actionUrlSettings).sort(), [...actionEvents].sort());
    for (const [event, name] of Object.entries(actionUrlSettings)) {
      assert.match(name, /^action_[a-z_]+$/, event);
      assert.equal(name.endsWith("_url"), !["hold", "unhold", "registrationFailed", "transfer"].includes(event));
    }
    assert.equal(actionUrlSettings.incoming, "action_incoming_url");
    assert.equal(actionUrlSettings.dndOff, "action_dnd_off_url");
    assert.equal(actionUrlSettings.logOn, "action_log_on_url");
  });

  test("values: UTF-8 percent-encoding, * as %2A, space as %20 (never +)", () => {
    assert.equal(encodeValue("a b*c#d&e=f"), "a%20b%2Ac%23d%26e%3Df");
    assert.equal(encodeValue("Müller (VIP)!'"), "M%C3%BCller%20%28VIP%29%21%27");
  });

  test("request targets", () => {
    assert.equal(keyRequest(["ENTER"]), "/command.htm?key=ENTER");
    assert.equal(keyRequest(["*", "#", "P2,300"]), "/command.htm?key=%2A;%23;P2,300");
    assert.equal(dialRequest("101"), "/command.htm?number=101");
    assert.equal(dialRequest("101", "sip:2@pbx"), "/command.htm?number=101&outgoing_uri=sip%3A2%40pbx");
    assert.equal(releaseAllCallsRequest(), "/command.htm?RELEASE_ALL_CALLS");
    assert.equal(
      settingsRequest({ dnd_mode: "on", user_idle_text1: "Anna Rossi" }),
      "/dummy.htm?settings=save&dnd_mode=on&user_idle_text1=Anna%20Rossi&store_settings=save",
    );
    assert.equal(
      settingsRequest({ keyboard_lock: "on" }, { store: false, path: "/settings.htm" }),
      "/settings.htm?settings=save&keyboard_lock=on",
    );
    assert.equal(minibrowserRequest("http://a/b.xml?x=1"), "/minibrowser.htm?url=http%3A%2F%2Fa%2Fb.xml%3Fx%3D1");
  });

  test("keys and setting names: the documented ones and their like pass, anything that could split a request does not", () => {
    for (const k of snomKeys) assert.ok(isSnomKey(k), k);
    for (const k of ["P12", "F_CONFERENCE", "OFFHOOK,200", "5,100,50"]) assert.ok(isSnomKey(k), k);
    for (const k of ["", "enter", "1;2", "A&B", "1,2,3,4", "F HOLD", "%23"]) assert.ok(!isSnomKey(k), k);
    for (const n of ["dnd_mode", "user_idle_text1", "fkey[3]"]) assert.ok(isSettingName(n), n);
    for (const n of ["", "1abc", "a=b", "a&b", "a b", "x[1"]) assert.ok(!isSettingName(n), n);
  });

  test("SnomIPPhoneText: escaped text, OK softkey closing the minibrowser", () => {
    assert.equal(
      snomTextXml({ title: "Hi", text: "A & B <\"C'>\u0007" }),
      '<?xml version="1.0" encoding="UTF-8"?>\n<SnomIPPhoneText><Title>Hi</Title><Text>A &amp; B &lt;&quot;C&apos;&gt;</Text></SnomIPPhoneText>\n',
    );
    assert.match(
      welcomeXml("Welcome", "Hello"),
      /<Text>Hello<\/Text><SoftKeyItem><Name>F1<\/Name><Label>OK<\/Label><URL>snom:\/\/mb_exit<\/URL><\/SoftKeyItem><\/SnomIPPhoneText>/,
    );
  });

  test("the welcome URL on the appliance", () => {
    assert.equal(welcomeUrl("http://10.0.0.2:8080/", "101"), "http://10.0.0.2:8080/api/v1/snom/welcome/101.xml");
    assert.equal(welcomeUrl("https://box/bellhop", "A-1"), "https://box/bellhop/api/v1/snom/welcome/A-1.xml");
  });

  test("the packet log masks values of *pass* settings only", () => {
    assert.equal(
      maskTarget("/dummy.htm?settings=save&http_pass=abc&admin_mode_password=x&dnd_mode=on"),
      "/dummy.htm?settings=save&http_pass=***&admin_mode_password=***&dnd_mode=on",
    );
    assert.equal(maskTarget("/command.htm?key=ENTER"), "/command.htm?key=ENTER");
  });
});

describe("phone HTTP answers", () => {
  const parse = (s: string, atEnd = false) => parseHttpResponse(Buffer.from(s, "latin1"), atEnd);

  test("headers kept per name, WWW-Authenticate twice", () => {
    const r = parse(
      'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm="a", nonce="1"\r\nwww-authenticate: Basic realm="a"\r\nContent-Length: 2\r\n\r\nno',
    );
    assert.ok(r && !(r instanceof Error));
    assert.equal(r.status, 401);
    assert.deepEqual(r.headers.get("www-authenticate"), ['Digest realm="a", nonce="1"', 'Basic realm="a"']);
    assert.equal(r.body, "no");
  });

  test("chunked, to the close, incomplete, malformed", () => {
    const c = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
    assert.ok(c && !(c instanceof Error));
    assert.equal(c.body, "abcde");
    assert.equal(parse("HTTP/1.1 200 OK\r\n\r\nhello"), null, "no length: more may come");
    const end = parse("HTTP/1.1 200 OK\r\n\r\nhello", true);
    assert.ok(end && !(end instanceof Error));
    assert.equal(end.body, "hello");
    assert.equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), null);
    assert.ok(parse("SIP/2.0 200 OK\r\n\r\n") instanceof TransportFailure);
    assert.ok(parse("garbage", true) instanceof TransportFailure);
  });
});
