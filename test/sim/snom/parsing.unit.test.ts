import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseAuthParams } from "../../../src/sim/snom/auth.ts";
import { isKnownKey, parseKeys } from "../../../src/sim/snom/keys.ts";
import { Settings } from "../../../src/sim/snom/settings.ts";
import { expandVariables } from "../../../src/sim/snom/variables.ts";
import { parseXml } from "../../../src/sim/snom/xml.ts";

describe("SNOM simulator parsing", () => {
  test("key events: Key[,ms[,pause]] separated by ;, names exactly as SNOM lists them", () => {
    assert.deepEqual(parseKeys("OFFHOOK;1,100;2,100,50;;#"), [
      { key: "OFFHOOK", ms: null, pauseMs: null, known: true },
      { key: "1", ms: 100, pauseMs: null, known: true },
      { key: "2", ms: 100, pauseMs: 50, known: true },
      { key: "#", ms: null, pauseMs: null, known: true },
    ]);
    const [bad] = parseKeys("ENTER,1,2,3");
    assert.equal(bad.known, false);
    assert.match(bad.problem ?? "", /malformed/);
    for (const k of ["F_REDIAL", "F_HOLD", "F_R", "TRANSFER", "CANCEL", "P1", "P24", "EK0", "*", "DND", "DISCONNECT"]) {
      assert.ok(isKnownKey(k), k);
    }
    for (const k of ["HOLD", "offhook", "P0", "F5", "EK", "", "##"]) assert.ok(!isKnownKey(k), k);
  });

  test("variables: longest known name, `&` ends a path variable, unknown names kept", () => {
    const vars: Record<string, string> = {
      mac: "000413000001",
      remote: "sip:201@pbx",
      "call-id": "a b@h",
      user_name1: "101",
    };
    const lookup = (n: string) => vars[n];
    assert.deepEqual(expandVariables("http://s/$mac&/x.xml?r=$remote&c=$call-id&u=$user_name1&z=$zz", lookup), {
      url: "http://s/000413000001/x.xml?r=sip:201@pbx&c=a%20b@h&u=101&z=$zz",
      unknown: ["zz"],
    });
    assert.equal(expandVariables("http://s/?r=$remote2", lookup).url, "http://s/?r=sip:201@pbx2");
    assert.equal(expandVariables("http://s/?cost=$", lookup).url, "http://s/?cost=$");
  });

  test("xml: entities, CDATA, comments, self-closing tags; mismatches throw", () => {
    const doc = parseXml(
      '<?xml version="1.0"?><!-- c --><A x="1 &amp; 2"><B>t &lt;&#233;&#x41;</B><C/><D><![CDATA[<raw>]]></D></A>',
    );
    assert.equal(doc.name, "A");
    assert.equal(doc.attrs.x, "1 & 2");
    assert.equal(doc.children[0].text, "t <éA");
    assert.equal(doc.children[1].name, "C");
    assert.equal(doc.children[2].text, "<raw>");
    for (const bad of ["<A><B></A>", "<A>", "text", "<A></A><B/>", "<A x=1/>"]) assert.throws(() => parseXml(bad), bad);
  });

  test("Authorization parameters, quoted or not", () => {
    assert.deepEqual(parseAuthParams('username="a b", nc=00000001, qop=auth, uri="/c.htm?key=1,2"'), {
      username: "a b",
      nc: "00000001",
      qop: "auth",
      uri: "/c.htm?key=1,2",
    });
  });

  test("settings: save, refuse, store, and what a volatile reboot keeps", () => {
    const s = new Settings({ dnd_mode: "off", user_idle_text1: "" });
    const r = s.save({ settings: "save", dnd_mode: "maybe", user_idle_text1: "A", x: "1" }, false);
    assert.deepEqual(r.refused, [{ name: "dnd_mode", value: "maybe", why: "on or off" }]);
    assert.deepEqual(
      r.changed.map((c) => c.name),
      ["user_idle_text1", "x"],
    );
    s.save({ x: "2" }, true);
    s.reboot(true);
    assert.equal(s.get("user_idle_text1"), "");
    assert.equal(s.get("x"), "2");
  });
});
