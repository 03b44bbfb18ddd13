/**
 * SnomClient against a scripted phone (phone-server.ts): the requests each method sends, Basic and
 * Digest as the phone asks (a stale nonce, wrong credentials), time-outs and refusals, per-phone
 * order, https, and what reaches the packet log.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import { memoryLogger } from "../../../src/lib/logger.ts";
import { PbxError } from "../../../src/pbx/driver.ts";
import { SnomClient, type SnomClientOptions, SnomError, splitHost } from "../../../src/pbx/snom/client.ts";
import { selfSignedCertificate } from "../../../src/sim/ucm/simulator.ts";
import { tempDir } from "../../helpers/store.ts";
import { peerSkip } from "../../peers/available.ts";
import { ScriptedPhone } from "./phone-server.ts";

const phones: ScriptedPhone[] = [];
after(async () => {
  await Promise.all(phones.map((p) => p.close()));
});

async function setup(opts: Partial<SnomClientOptions> = {}, phone = new ScriptedPhone()) {
  phones.push(phone);
  const port = await phone.listen();
  const logger = memoryLogger();
  const client = new SnomClient({
    port,
    username: phone.user,
    password: phone.password,
    timeoutMs: 2000,
    logger,
    debug: () => true,
    ...opts,
  });
  return { phone, client, port, logger };
}

async function rejects(p: Promise<unknown>, check: (e: SnomError) => void): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof SnomError, `expected a SnomError, got ${err}`);
    assert.ok(err instanceof PbxError, "a SnomError is a PbxError (retryable decides the job)");
    check(err);
    return true;
  });
}

describe("SnomClient: requests", () => {
  test("saveSettings: dummy.htm?settings=save, the values URL-encoded as UTF-8, store_settings=save", async () => {
    const { phone, client } = await setup();
    await client.saveSettings("127.0.0.1", { user_idle_text1: "Élise Dupont & Co", dnd_mode: "on" });
    const [r] = phone.requests;
    assert.equal(
      r.target,
      "/dummy.htm?settings=save&user_idle_text1=%C3%89lise%20Dupont%20%26%20Co&dnd_mode=on&store_settings=save",
    );
    assert.equal(phone.settings.get("user_idle_text1"), "Élise Dupont & Co");
    assert.equal(phone.stored.get("dnd_mode"), "on");
    await client.saveSettings("127.0.0.1", { keyboard_lock: "off" }, { store: false });
    assert.equal(phone.requests[1].target, "/dummy.htm?settings=save&keyboard_lock=off");
  });

  test("pressKey, dial, DTMF, release: command.htm as the wiki writes it", async () => {
    const { phone, client } = await setup();
    await client.pressKey("127.0.0.1", "OFFHOOK");
    await client.pressKey("127.0.0.1", ["1", "#", "*", "F_HOLD,500,200", "P3"]);
    await client.dial("127.0.0.1", "+390612", {});
    await client.dial("127.0.0.1", "102", { outgoingUri: "sip:101@pbx" });
    await client.sendDtmf("127.0.0.1", "12#");
    await client.releaseAllCalls("127.0.0.1");
    assert.deepEqual(
      phone.requests.map((r) => r.target),
      [
        "/command.htm?key=OFFHOOK",
        "/command.htm?key=1;%23;%2A;F_HOLD,500,200;P3",
        "/command.htm?number=%2B390612",
        "/command.htm?number=102&outgoing_uri=sip%3A101%40pbx",
        "/command.htm?key_dtmf=12%23",
        "/command.htm?RELEASE_ALL_CALLS",
      ],
    );
  });

  test("a key event, number or setting name that could carry another request is refused before sending", async () => {
    const { phone, client } = await setup();
    for (const bad of ["1&key=2", "ENTER;RELEASE", "", "a b", "ok"]) {
      await rejects(client.pressKey("127.0.0.1", bad), (e) => {
        assert.equal(e.kind, "invalid");
        assert.equal(e.retryable, false);
      });
    }
    await rejects(client.dial("127.0.0.1", "101&RELEASE_ALL_CALLS"), (e) => assert.equal(e.kind, "invalid"));
    await rejects(client.saveSettings("127.0.0.1", { "a&b": "1" }), (e) => assert.equal(e.kind, "invalid"));
    await rejects(client.saveSettings("127.0.0.1", {}), (e) => assert.equal(e.kind, "invalid"));
    await rejects(client.showMinibrowser("127.0.0.1", "/relative.xml"), (e) => assert.equal(e.kind, "invalid"));
    await rejects(client.request("127.0.0.1", "command.htm"), (e) => assert.equal(e.kind, "invalid"));
    assert.equal(phone.requests.length, 0);
  });

  test("showMinibrowser: the URL percent-encoded whole; setActionUrls: one settings request", async () => {
    const { phone, client } = await setup();
    await client.showMinibrowser("127.0.0.1", "http://10.0.0.2:8080/api/v1/snom/welcome/101.xml?a=1&b=2");
    assert.equal(
      phone.requests[0].target,
      "/minibrowser.htm?url=http%3A%2F%2F10.0.0.2%3A8080%2Fapi%2Fv1%2Fsnom%2Fwelcome%2F101.xml%3Fa%3D1%26b%3D2",
    );
    assert.deepEqual(phone.minibrowser, ["http://10.0.0.2:8080/api/v1/snom/welcome/101.xml?a=1&b=2"]);
    await client.setActionUrls("127.0.0.1", {
      incoming: "http://10.0.0.2/cti/101/in?remote=$remote&call=$call-id",
      hold: "http://10.0.0.2/cti/101/hold",
      dndOn: "",
    });
    assert.equal(phone.requests.length, 2);
    assert.equal(phone.settings.get("action_incoming_url"), "http://10.0.0.2/cti/101/in?remote=$remote&call=$call-id");
    assert.equal(phone.settings.get("action_hold"), "http://10.0.0.2/cti/101/hold", "no _url suffix");
    assert.equal(phone.settings.get("action_dnd_on_url"), "", "an empty URL clears it");
  });

  test("a phone given as IP:port or with its own credentials", async () => {
    const { phone, client, port } = await setup({ port: 1, username: null, password: null });
    phone.auth = "basic";
    await client.pressKey({ ip: `127.0.0.1:${port}`, username: phone.user, password: phone.password }, "ENTER");
    assert.equal(phone.of("/command.htm").length, 1);
    assert.deepEqual(splitHost("[fd00::5]:8080"), { ip: "fd00::5", port: 8080 });
    assert.deepEqual(splitHost("fd00::5"), { ip: "fd00::5" });
    assert.deepEqual(splitHost("10.0.0.5"), { ip: "10.0.0.5" });
  });
});

describe("SnomClient: authentication as the phone asks", () => {
  test("Basic: the first request learns it from the 401, later ones send it at once", async () => {
    const { phone, client } = await setup();
    phone.auth = "basic";
    await client.pressKey("127.0.0.1", "ENTER");
    assert.equal(phone.requests.length, 2);
    assert.equal(phone.requests[0].authorization, undefined, "no credentials before the phone asks");
    assert.match(phone.requests[1].authorization ?? "", /^Basic /);
    await client.pressKey("127.0.0.1", "CANCEL");
    assert.equal(phone.requests.length, 3, "Basic sent pre-emptively");
    assert.ok(phone.requests[2].served);
  });

  test("Digest (MD5, qop=auth): answered, then re-used with a rising nonce count", async () => {
    const { phone, client } = await setup();
    phone.auth = "digest";
    await client.saveSettings("127.0.0.1", { dnd_mode: "on" });
    assert.equal(phone.requests.length, 2);
    assert.match(phone.requests[1].authorization ?? "", /^Digest .*nc=00000001/);
    await client.saveSettings("127.0.0.1", { dnd_mode: "off" });
    assert.equal(phone.requests.length, 3, "the nonce is re-used pre-emptively");
    assert.match(phone.requests[2].authorization ?? "", /nc=00000002/);
    assert.equal(phone.settings.get("dnd_mode"), "off");
  });

  test("Digest without qop (RFC 2069 form)", async () => {
    const { phone, client } = await setup();
    phone.auth = "digest";
    phone.qop = false;
    await client.pressKey("127.0.0.1", "ENTER");
    assert.ok(phone.requests[1].served);
    assert.doesNotMatch(phone.requests[1].authorization ?? "", /qop=/);
  });

  test("a stale nonce is answered again at once: no failure", async () => {
    const { phone, client } = await setup();
    phone.auth = "digest";
    await client.pressKey("127.0.0.1", "ENTER");
    phone.expireNonces();
    await client.pressKey("127.0.0.1", "CANCEL");
    const last = phone.requests.slice(2);
    assert.equal(last.length, 2, "the pre-emptive answer with the old nonce, then the retry with the new one");
    assert.equal(last[0].served, false);
    assert.equal(last[1].served, true);
    assert.equal(phone.of("/command.htm").length, 2);
  });

  test("wrong credentials: a 401 to our answer fails for good (Basic and Digest), the password nowhere", async () => {
    for (const mode of ["basic", "digest"] as const) {
      const { phone, client, logger } = await setup({ password: "wrong-password-123" });
      phone.auth = mode;
      await rejects(client.pressKey("127.0.0.1", "ENTER"), (e) => {
        assert.equal(e.kind, "auth");
        assert.equal(e.retryable, false);
        assert.equal(e.status, 401);
        assert.match(e.message, /refused the user and password .*check the link's username and password/);
        assert.ok(!e.message.includes("wrong-password-123"));
      });
      assert.equal(phone.requests.length, 2, `${mode}: one answer, no loop`);
      const text = JSON.stringify(logger.lines);
      assert.ok(!text.includes("wrong-password-123") && !text.includes(phone.password));
      assert.ok(!/Basic [A-Za-z0-9+/=]{8,}|response=/.test(text), "no Authorization value is logged");
    }
  });

  test("a phone that asks for credentials when none are configured", async () => {
    const { phone, client } = await setup({ username: null, password: null });
    phone.auth = "digest";
    await rejects(client.pressKey("127.0.0.1", "ENTER"), (e) => {
      assert.equal(e.kind, "auth");
      assert.equal(e.retryable, false);
      assert.match(e.message, /asks for a user and password \(HTTP 401\); set username and password on the link/);
    });
  });

  test("requests to one phone go one at a time: concurrent Digest requests never look like a wrong password", async () => {
    const { phone, client } = await setup();
    phone.auth = "digest";
    await Promise.all(Array.from({ length: 8 }, (_, i) => client.saveSettings("127.0.0.1", { [`x${i}`]: String(i) })));
    assert.equal(phone.of("/dummy.htm").length, 8);
    assert.equal(phone.requests.length, 9, "one challenge, then every request pre-emptive");
  });
});

describe("SnomClient: a phone that does not answer", () => {
  test("a time-out is retryable and named", async () => {
    const { phone, client, port } = await setup({ timeoutMs: 150 });
    phone.override = () => ({ hang: true });
    const t0 = Date.now();
    await rejects(client.pressKey("127.0.0.1", "ENTER"), (e) => {
      assert.equal(e.kind, "timeout");
      assert.equal(e.retryable, true);
      assert.equal(e.message, `phone 127.0.0.1:${port} did not answer within 150 ms`);
    });
    assert.ok(Date.now() - t0 < 1500);
  });

  test("a refused connection is retryable", async () => {
    const { phone, client } = await setup();
    await phone.close();
    await rejects(client.pressKey("127.0.0.1", "ENTER"), (e) => {
      assert.equal(e.kind, "unreachable");
      assert.equal(e.retryable, true);
      assert.match(e.message, /ECONNREFUSED/);
    });
  });

  test("HTTP 5xx is retryable, 404 and 403 are not", async () => {
    const { phone, client } = await setup();
    for (const [status, retryable] of [
      [500, true],
      [503, true],
      [404, false],
      [403, false],
    ] as const) {
      phone.override = () => ({ status });
      await rejects(client.saveSettings("127.0.0.1", { dnd_mode: "on" }), (e) => {
        assert.equal(e.kind, "http");
        assert.equal(e.status, status);
        assert.equal(e.retryable, retryable);
        assert.match(e.message, new RegExp(`answered HTTP ${status} to /dummy.htm`));
      });
    }
  });
});

describe("SnomClient: packet log", () => {
  test("request lines and statuses; setting values named *pass* masked; never a header", async () => {
    const { phone, client, logger } = await setup();
    phone.auth = "basic";
    await client.saveSettings("127.0.0.1", { http_pass: "new-phone-pass-9", dnd_mode: "on" });
    const lines = logger.lines.filter((l) => l.msg === "snom packet");
    assert.ok(
      lines.some((l) => /^GET \/dummy\.htm\?settings=save&http_pass=\*\*\*&dnd_mode=on/.test(String(l.request))),
    );
    assert.ok(lines.some((l) => l.status === 401) && lines.some((l) => l.status === 200));
    const text = JSON.stringify(logger.lines);
    assert.ok(!text.includes("new-phone-pass-9"));
    assert.ok(!text.includes(phone.password));
    assert.ok(!text.includes("Basic "));
  });

  test("nothing is logged with debug off", async () => {
    const { client, logger } = await setup({ debug: () => false });
    await client.pressKey("127.0.0.1", "ENTER");
    assert.equal(logger.lines.length, 0);
  });
});

const skip = peerSkip("openssl");
describe("SnomClient over https", { skip }, () => {
  test("without caFile the phone's certificate is taken; with the wrong CA it is refused for good", async () => {
    const tls = selfSignedCertificate("snom-phone");
    const phone = new ScriptedPhone(tls);
    phone.auth = "digest";
    const { client, port } = await setup({ scheme: "https" }, phone);
    await client.saveSettings("127.0.0.1", { dnd_mode: "on" });
    assert.equal(phone.settings.get("dnd_mode"), "on");

    const t = tempDir();
    try {
      const own = `${t.dir}/phones-ca.pem`;
      writeFileSync(own, tls.cert);
      const trusting = new SnomClient({
        scheme: "https",
        port,
        username: phone.user,
        password: phone.password,
        caFile: own,
      });
      await trusting.pressKey("127.0.0.1", "ENTER");
      const other = `${t.dir}/other-ca.pem`;
      writeFileSync(other, selfSignedCertificate("another-ca").cert);
      const strict = new SnomClient({
        scheme: "https",
        port,
        username: phone.user,
        password: phone.password,
        caFile: other,
      });
      await rejects(strict.pressKey("127.0.0.1", "ENTER"), (e) => {
        assert.equal(e.kind, "tls");
        assert.equal(e.retryable, false);
      });
      const missing = new SnomClient({ scheme: "https", port, caFile: `${t.dir}/nope.pem` });
      await rejects(missing.pressKey("127.0.0.1", "ENTER"), (e) => {
        assert.equal(e.kind, "tls");
        assert.match(e.message, /cannot read caFile/);
      });
    } finally {
      t.cleanup();
    }
  });
});
