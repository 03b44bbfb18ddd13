import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { listener, startPhone, waitFor } from "./helpers.ts";

const WELCOME = `<?xml version="1.0" encoding="UTF-8"?>
<SnomIPPhoneText>
  <Title>Welcome</Title>
  <Text>Hello Mr. Rossi &amp; family</Text>
  <Led number="5" color="red">blink</Led>
  <SoftKeyItem><Name>F1</Name><Label>OK</Label><URL>/snom/xml/ok?room=101</URL></SoftKeyItem>
  <SoftKeyItem><Name>F4</Name><URL>snom://mb_exit</URL></SoftKeyItem>
</SnomIPPhoneText>`;

function docs(pages: Record<string, string>) {
  return listener({ type: "text/xml", body: (r) => pages[r.path] ?? "<nope" });
}

describe("SNOM simulator: XML minibrowser", () => {
  test("minibrowser.htm?url= fetches the document and shows it: title, text, softkeys, LEDs", async () => {
    const app = await docs({
      "/snom/xml/welcome": WELCOME,
      "/snom/xml/ok":
        '<SnomIPPhoneText><Led number="5">Off</Led><fetch mil="0">snom://mb_exit</fetch></SnomIPPhoneText>',
    });
    const { phone, get } = await startPhone();
    const r = await get(`/minibrowser.htm?url=${encodeURIComponent(`${app.url}/snom/xml/welcome?lang=it`)}`);
    assert.equal(r.status, 200);
    await phone.idle();
    assert.equal(app.got[0].url, "/snom/xml/welcome?lang=it");
    assert.equal(phone.screen?.object, "SnomIPPhoneText");
    assert.equal(phone.screen?.title, "Welcome");
    assert.equal(phone.screen?.text, "Hello Mr. Rossi & family");
    assert.deepEqual(
      phone.screen?.softkeys.map((k) => [k.name, k.label]),
      [
        ["F1", "OK"],
        ["F4", "F4"],
      ],
    );
    assert.deepEqual([...phone.leds.values()], [{ number: 5, color: "red", mode: "blink" }]);
    assert.deepEqual(
      phone.fetches.map((f) => [f.reason, f.status, f.object]),
      [["push", 200, "SnomIPPhoneText"]],
    );

    // The guest presses OK (F1): the relative URL resolves against the document's; its answer turns
    // the LED off (hands it back) and closes the screen through <fetch mil="0">snom://mb_exit</fetch>.
    await get("/command.htm?key=F1");
    await waitFor(() => phone.screen === null, "screen closed");
    await phone.idle();
    assert.equal(app.got[1].url, "/snom/xml/ok?room=101");
    assert.equal(phone.leds.size, 0);
    assert.deepEqual(
      phone.fetches.map((f) => f.reason),
      ["push", "softkey", "fetch"],
    );
  });

  test("softkeys by label through the API; F4 → snom://mb_exit closes; CANCEL closes too", async () => {
    const app = await docs({ "/w": WELCOME });
    const { phone, get } = await startPhone();
    await get(`/minibrowser.htm?url=${encodeURIComponent(`${app.url}/w`)}`);
    await phone.idle();
    await phone.pressSoftKey("F4");
    assert.equal(phone.screen, null);
    await get(`/minibrowser.htm?url=${encodeURIComponent(`${app.url}/w`)}`);
    await phone.idle();
    await get("/command.htm?key=CANCEL");
    assert.equal(phone.screen, null);
    await assert.rejects(phone.pressSoftKey("OK"), /no softkey/);
  });

  test("a <fetch mil> reloads after the delay while the screen is up", async () => {
    let n = 0;
    const app = await listener({
      body: () =>
        `<SnomIPPhoneText><Title>T${++n}</Title><Text>x</Text><fetch mil="30">/again</fetch></SnomIPPhoneText>`,
    });
    const { phone, get } = await startPhone();
    await get(`/minibrowser.htm?url=${encodeURIComponent(`${app.url}/first`)}`);
    await waitFor(() => phone.screen?.title === "T3", "two reloads");
    assert.deepEqual(
      app.got.slice(0, 3).map((r) => r.path),
      ["/first", "/again", "/again"],
    );
    phone.browser.exit();
    const seen = app.got.length;
    await new Promise((r) => setTimeout(r, 80));
    assert.ok(app.got.length <= seen + 1, "no reloads after the screen closed");
  });

  test("menus; a malformed document or an unreachable URL leave the screen as it was", async () => {
    const app = await docs({
      "/menu":
        "<SnomIPPhoneMenu><Title>Services</Title><MenuItem><Name>Wake-up</Name><URL>/wake</URL></MenuItem></SnomIPPhoneMenu>",
      "/bad": "<SnomIPPhoneText><Title>x</SnomIPPhoneText>",
    });
    const { phone, get } = await startPhone();
    await get(`/minibrowser.htm?url=${encodeURIComponent(`${app.url}/menu`)}`);
    await phone.idle();
    assert.deepEqual(phone.screen?.items, [{ name: "Wake-up", url: "/wake" }]);
    await get(`/minibrowser.htm?url=${encodeURIComponent(`${app.url}/bad`)}`);
    await get(`/minibrowser.htm?url=${encodeURIComponent("http://127.0.0.1:9/x")}`);
    await phone.idle();
    await phone.browser.selectItem("Wake-up");
    assert.equal(phone.screen?.title, "Services");
    const errors = phone.fetches.slice(1).map((f) => f.error ?? "");
    assert.match(errors[0], /malformed XML/);
    assert.ok(errors[1].length > 0);
    assert.match(errors[2], /malformed XML/, "/wake answered the listener's non-XML default");
  });
});
