import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { evs, freshGet, get, listener, startPhone, waitFor } from "./helpers.ts";

const BASIC = { user: "admin", password: "s3cret", scheme: "basic" as const };

describe("SNOM simulator: faults", () => {
  test("hang: no answer (the client times out), the command is not applied; the next request is normal", async () => {
    const { phone, base } = await startPhone();
    phone.fault("timeout");
    await assert.rejects(freshGet(`${base}/dummy.htm?settings=save&dnd_mode=on`, 200), /timeout/);
    assert.equal(phone.dnd, false);
    assert.equal(phone.requests[0].status, 0);
    assert.equal(phone.requests[0].fault, "hang");
    assert.equal((await freshGet(`${base}/dummy.htm?settings=save&dnd_mode=on`)).status, 200);
    assert.equal(phone.dnd, true);
  });

  test("401 even with the right credentials, with a challenge; 500; counts and paths", async () => {
    const { phone, base } = await startPhone({ user: "admin", password: "s3cret" });
    phone.fault("401");
    phone.fault({ kind: "500", path: "/command.htm" }, 2);
    const r401 = await get(base, "/dummy.htm?settings=save&dnd_mode=on", BASIC);
    assert.equal(r401.status, 401);
    assert.equal(r401.wwwAuthenticate, 'Basic realm="snom"');
    assert.equal(phone.dnd, false);
    assert.equal(
      (await get(base, "/dummy.htm?settings=save&dnd_mode=on", BASIC)).status,
      200,
      "the path-less 401 is used up",
    );
    assert.equal((await get(base, "/command.htm?key=DND", BASIC)).status, 500);
    assert.equal((await get(base, "/command.htm?key=DND", BASIC)).status, 500);
    assert.equal(phone.dnd, true, "faulted commands do nothing");
    assert.equal((await get(base, "/command.htm?key=DND", BASIC)).status, 200);
    assert.equal(phone.dnd, false);
    assert.deepEqual(
      phone.requests.map((r) => r.fault ?? null),
      ["401", null, "500", "500", null],
    );
  });

  test("slow: answered after the delay; drop: the connection is closed without an answer", async () => {
    const { phone, base } = await startPhone();
    phone.fault({ kind: "slow", ms: 150 });
    const t0 = Date.now();
    assert.equal((await freshGet(`${base}/command.htm?key=DND`)).status, 200);
    assert.ok(Date.now() - t0 >= 140);
    assert.equal(phone.dnd, true);
    phone.fault("drop");
    await assert.rejects(freshGet(`${base}/command.htm?key=DND`));
    assert.equal(phone.dnd, true);
  });

  test("Infinity until cleared; /sim/ control is never faulted", async () => {
    const { phone, base } = await startPhone();
    phone.fault("500", Number.POSITIVE_INFINITY);
    for (let i = 0; i < 3; i++) assert.equal((await get(base, "/command.htm?key=ENTER")).status, 500);
    assert.equal((await get(base, "/sim/state")).status, 200);
    assert.equal((await get(base, "/sim/clear-faults")).status, 200);
    assert.equal((await get(base, "/command.htm?key=ENTER")).status, 200);
    assert.equal((await get(base, "/sim/fault?kind=500&count=forever&path=/dummy.htm")).status, 200);
    assert.equal((await get(base, "/dummy.htm?settings=save&dnd_mode=on")).status, 500);
    assert.equal((await get(base, "/command.htm?key=ENTER")).status, 200);
    assert.equal((await get(base, "/sim/fault?kind=teapot")).status, 400);
  });

  test("down and up: refused while down, same address and state after; a hanging request is cut", async () => {
    const { phone, base } = await startPhone();
    phone.incoming("201");
    phone.answer();
    phone.fault("hang");
    const hanging = freshGet(`${base}/command.htm?key=ENTER`, 5000);
    await waitFor(() => phone.requests.length === 1, "the hanging request");
    await phone.down();
    await assert.rejects(hanging);
    await assert.rejects(freshGet(`${base}/command.htm?key=ENTER`));
    assert.equal(phone.isUp, false);
    await phone.up();
    assert.equal((await freshGet(`${base}/command.htm?key=F_HOLD`)).status, 200);
    assert.equal(phone.calls.live[0].state, "held", "a network outage keeps the call");
  });

  test("down with boot (power loss) comes back after ms and announces itself; /sim/down does it over HTTP", async () => {
    const l = await listener();
    const { phone, base } = await startPhone({
      settings: { action_setup_url: `${l.url}/s?ev=setup`, action_log_on_url: `${l.url}/s?ev=log_on` },
    });
    await phone.idle();
    phone.incoming("201");
    await phone.down({ ms: 50, boot: true });
    assert.equal(phone.calls.live.length, 0);
    await waitFor(() => phone.isUp, "up");
    await phone.idle();
    assert.deepEqual(evs(l.got), ["setup", "log_on", "setup", "log_on"]);
    assert.equal((await get(base, "/sim/down?ms=60")).status, 200);
    await waitFor(() => !phone.isUp, "down by control");
    await waitFor(() => phone.isUp, "up by control");
    await phone.idle();
    assert.equal(l.got.length, 4, "without boot=1 nothing is announced");
  });
});
