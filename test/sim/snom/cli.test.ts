import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { USAGE } from "../../../src/cli/commands.ts";
import { maskQuery, maskUrl, simSnomCommand } from "../../../src/sim/snom/cli.ts";
import { get, listener, waitFor } from "./helpers.ts";

const capture = () => {
  const out = { text: "", write: (s: string) => (out.text += s) };
  return out;
};

describe("bellhop sim snom", () => {
  test("registered with the other simulators in the usage text", () => {
    assert.match(USAGE, /bellhop sim snom --listen PORT \[--user U --password P\] \[--phones N\]/);
  });

  test("--help exits 0; usage errors exit 2", async () => {
    const out = capture();
    assert.equal(await simSnomCommand(["--help"], { stdout: out, stderr: capture() }), 0);
    assert.match(out.text, /usage: bellhop sim snom --listen PORT/);
    for (const argv of [
      [],
      ["--listen", "x"],
      ["--bogus"],
      ["--listen", "0", "--user", "u"],
      ["--listen", "0", "--auth", "digest"],
      ["--listen", "0", "--auth", "ntlm", "--user", "u", "--password", "p"],
      ["--listen", "0", "--layout", "rooms"],
      ["--listen", "0", "--set", "novalue"],
      ["--listen", "65535", "--phones", "2", "--layout", "ports"],
    ]) {
      const stderr = capture();
      assert.equal(await simSnomCommand(argv, { stdout: capture(), stderr }), 2, argv.join(" "));
      assert.match(stderr.text, /usage: bellhop sim snom/);
    }
  });

  test("masking: private settings and secret URL parameters, not key presses", () => {
    assert.equal(maskQuery({ key: "OFFHOOK" }), "key=OFFHOOK");
    assert.equal(
      maskQuery({ settings: "save", http_pass: "x", user_pass1: "" }),
      "settings=save&http_pass=***&user_pass1=",
    );
    assert.equal(
      maskQuery({ action_incoming_url: "http://a/ev?key=s3cret&r=$remote" }),
      "action_incoming_url=http://a/ev?key=***&r=$remote",
    );
    assert.equal(maskUrl("http://cti:pw@a/x?token=t&n=1"), "http://cti:***@a/x?token=***&n=1");
  });

  test("two phones on 127.0.0.2/3 with digest: prints them, each request, action URLs and fetches; stops on abort", async () => {
    const events = await listener();
    const docs = await listener({ body: "<SnomIPPhoneText><Title>Hi</Title><Text>x</Text></SnomIPPhoneText>" });
    const stdout = capture();
    const ac = new AbortController();
    const run = simSnomCommand(
      [
        "--listen",
        "0",
        "--phones",
        "2",
        "--user",
        "admin",
        "--password",
        "s3cret",
        "--auth",
        "digest",
        "--first-extension",
        "201",
        "--set",
        `action_incoming_url=${events.url}/ev?key=k3y&r=$remote`,
      ],
      { stdout, stderr: capture(), signal: ac.signal },
    );
    await waitFor(() => /# ring phone 1/.test(stdout.text), "started");
    assert.match(
      stdout.text,
      /# phone 1 ext 201 mac 000413000001 on http:\/\/127\.0\.0\.2:(\d+) \(digest auth as admin\)/,
    );
    const port = /127\.0\.0\.3:(\d+)/.exec(stdout.text)?.[1];
    assert.ok(port);
    const phone2 = `http://127.0.0.3:${port}`;
    const auth = { user: "admin", password: "s3cret", scheme: "digest" as const };
    assert.equal((await get(phone2, "/dummy.htm?settings=save&user_idle_text1=Rossi&http_pass=n3w", auth)).status, 200);
    assert.equal((await get(phone2, "/sim/incoming?from=0612345678")).status, 200);
    const url = encodeURIComponent(`${docs.url}/w`);
    assert.equal((await get(phone2, `/minibrowser.htm?url=${url}`, { ...auth, password: "n3w" })).status, 200);
    await waitFor(() => events.got.length === 1 && /minibrowser push/.test(stdout.text), "action and fetch");
    await waitFor(() => / > incoming /.test(stdout.text), "action line");
    ac.abort();
    assert.equal(await run, 0);
    const lines = stdout.text.split("\n");
    assert.ok(
      lines.some((x) =>
        / phone 2 127\.0\.0\.3 < GET \/dummy\.htm\?settings=save&user_idle_text1=Rossi&http_pass=\*\*\* \[auth missing\] → 401/.test(
          x,
        ),
      ),
    );
    assert.ok(
      lines.some((x) =>
        /phone 2 127\.0\.0\.3 < GET \/dummy\.htm\?.* → 200: saved user_idle_text1=Rossi; saved http_pass=\*\*\*/.test(
          x,
        ),
      ),
    );
    assert.ok(
      lines.some((x) =>
        /phone 2 127\.0\.0\.3 > incoming http:\/\/127\.0\.0\.1:\d+\/ev\?key=\*\*\*&r=sip(:|%3A)0612345678/.test(x),
      ),
    );
    assert.ok(
      lines.some((x) =>
        /phone 2 127\.0\.0\.3 > minibrowser push http:\/\/127\.0\.0\.1:\d+\/w → 200 SnomIPPhoneText/.test(x),
      ),
    );
    assert.doesNotMatch(stdout.text, /s3cret|n3w|k3y/);
    assert.equal(events.got[0].query.get("key"), "k3y");
  });

  test("a port in use: exit 1 with a hint", async () => {
    const l = await listener();
    const port = new URL(l.url).port;
    const stderr = capture();
    assert.equal(await simSnomCommand(["--listen", port, "--host", "127.0.0.1"], { stdout: capture(), stderr }), 1);
    assert.match(stderr.text, /bellhop sim snom: .*(EADDRINUSE|in use)/i);
  });
});
