import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { USAGE } from "../../../src/cli/commands.ts";
import { formatRequest, maskUrl, simVoispeedCommand } from "../../../src/sim/voispeed/cli.ts";
import { listener, names, startSim, TOKEN } from "./helpers.ts";

const capture = () => {
  const out = { text: "", write: (s: string) => (out.text += s) };
  return out;
};

async function waitFor(read: () => string, re: RegExp): Promise<RegExpExecArray> {
  for (let i = 0; i < 300; i++) {
    const m = re.exec(read());
    if (m) return m;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`not seen: ${re}`);
}

describe("bellhop sim voispeed", () => {
  test("registered with the other simulators in the usage text", () => {
    assert.match(USAGE, /bellhop sim voispeed --listen PORT \[--users N\] \[--notify URL\] \[--ivr URL\]/);
  });

  test("--help exits 0; usage errors exit 2", async () => {
    const out = capture();
    assert.equal(await simVoispeedCommand(["--help"], { stdout: out, stderr: capture() }), 0);
    assert.match(out.text, /usage: bellhop sim voispeed --listen PORT/);
    for (const argv of [
      [],
      ["--listen", "x"],
      ["--bogus"],
      ["--listen", "0", "--notify", "ftp://x"],
      ["--listen", "0", "--path", "x"],
    ]) {
      const stderr = capture();
      assert.equal(await simVoispeedCommand(argv, { stdout: capture(), stderr }), 2, argv.join(" "));
      assert.match(stderr.text, /usage: bellhop sim voispeed/);
    }
  });

  test("masking: the token in request lines, key/token in printed URLs", async () => {
    assert.equal(maskUrl("http://a/ev?key=s3cret&x=1"), "http://a/ev?key=***&x=1");
    const { sim, get } = await startSim();
    await get({ service: "set_user_mode", ext: "101", mode: "2" });
    const line = formatRequest(sim.requests[0]);
    assert.match(
      line,
      /< GET \/PBX\/seri_endpoint\.php token=\*\*\* service=set_user_mode ext=101 mode=2 → 200 outcome 0 request_id \d{14}/,
    );
    assert.doesNotMatch(line, new RegExp(TOKEN));
  });

  test("listens, prints requests, events and IVR script calls (secrets masked); /sim/ scripts a call; stops on abort", async () => {
    const events = await listener();
    const ivr = await listener({ body: "command=0" });
    const stdout = capture();
    const ac = new AbortController();
    const run = simVoispeedCommand(
      [
        "--listen",
        "0",
        "--users",
        "3",
        "--token",
        "t0ps3cret",
        "--notify",
        `${events.url}/ev?key=k3y`,
        "--ivr",
        `${ivr.url}/ivr?key=k3y`,
        "--delay",
        "1",
      ],
      { stdout, stderr: capture(), signal: ac.signal },
    );
    const port = (
      await waitFor(() => stdout.text, /# listening on http:\/\/127\.0\.0\.1:(\d+)\/PBX\/seri_endpoint\.php/)
    )[1];
    assert.match(stdout.text, /# 3 users, extensions 101–103/);
    assert.match(stdout.text, /# events to http:\/\/127\.0\.0\.1:\d+\/ev\?key=\*\*\*/);
    const base = `http://127.0.0.1:${port}`;
    const ctl = async (path: string, q: Record<string, string>) =>
      (await fetch(`${base}/sim/${path}?${new URLSearchParams({ token: "t0ps3cret", ...q })}`)).json();
    assert.equal((await fetch(`${base}/sim/state?token=wrong`)).status, 403);
    const call = (await ctl("call", { from: "101", to: "0612345678", talk: "60" })) as Record<string, unknown>;
    assert.deepEqual([call.state, call.outcome], ["ended", 1]);
    assert.deepEqual(names(events.got).slice(0, 2), ["3:call_in", "2:outgoing_call"]);
    const r = await fetch(`${base}/PBX/seri_endpoint.php?service=set_user_mode&ext=102&mode=2&token=t0ps3cret`);
    assert.match(await r.text(), /<outcome>0<\/outcome>/);
    await ctl("fail", { match: "103" });
    await fetch(`${base}/PBX/seri_endpoint.php?service=set_user_mode&ext=103&mode=2&token=t0ps3cret`);
    const ivrCall = (await ctl("ivr-call", { from: "101", ivr: "500" })) as Record<string, unknown>;
    const step = (await ctl("ivr", { callid: String(ivrCall.call_id), input: "12" })) as { state: string };
    assert.equal(step.state, "ended");
    await waitFor(() => stdout.text, /cmd_failed/);
    const state = (await ctl("state", {})) as { users: { ext: string; mode: number; av_status: number }[] };
    assert.deepEqual(
      state.users.map((u) => [u.ext, u.mode, u.av_status]),
      [
        ["101", 1, 2],
        ["102", 2, 5],
        ["103", 1, 2],
      ],
    );
    assert.match(stdout.text, /< GET \/sim\/call token=\*\*\* from=101 to=0612345678 talk=60 → 200/);
    assert.match(stdout.text, /> ssn 1 call_in call_id=\d+ calling=101 called=0612345678/);
    assert.match(stdout.text, /> user 16 call_disconnect_out ext=101 .*duration=60 → 200/);
    assert.match(stdout.text, /> user 1 cmd_failed ext=103 request_id=\d{14} error_msg=command failed → 200/);
    assert.match(stdout.text, /> ivr script license_id=MP3026487718 .* input=12 tag=-1 → 200 command=0 \[end\]/);
    assert.doesNotMatch(stdout.text, /t0ps3cret|k3y/);
    ac.abort();
    assert.equal(await run, 0);
  });

  test("control errors: a bad parameter is 400 with the reason, an unknown path 404 with help", async () => {
    const { control } = await startSim();
    const bad = await control("call", { from: "101" });
    assert.deepEqual([bad.status, bad.json.error], [400, "to is required"]);
    const unknown = await control("nope");
    assert.equal(unknown.status, 404);
    assert.ok(Array.isArray(unknown.json.help));
    const ok = await control("call", { from: "101", to: "102", answer: "busy" });
    assert.deepEqual([ok.status, ok.json.outcome], [200, 2]);
    const ringing = await control("call", { from: "101", to: "102", hangup: "none", answer: "yes" });
    const id = String(ringing.json.call_id);
    assert.equal(ringing.json.state, "active");
    assert.equal((await control("hangup", { call_id: id, by: "called" })).json.state, "ended");
    assert.equal((await control("voicemail", { ext: "101" })).status, 200);
  });
});
