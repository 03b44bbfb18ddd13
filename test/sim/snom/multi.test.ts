import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sourceAddress } from "../../../src/sim/snom/outbound.ts";
import { nthAddress, SnomSimulator } from "../../../src/sim/snom/simulator.ts";
import { get, listener, startSim } from "./helpers.ts";

const BASIC = { user: "admin", password: "s3cret", scheme: "basic" as const };

describe("SNOM simulator: several phones", () => {
  test("nthAddress counts IPv4 addresses and stays inside 127/8", () => {
    assert.equal(nthAddress("127.0.0.2", 0), "127.0.0.2");
    assert.equal(nthAddress("127.0.0.254", 3), "127.0.1.1");
    assert.equal(nthAddress("10.1.2.3", 1), "10.1.2.4");
    assert.equal(nthAddress("127.255.255.255", 1), null);
    assert.equal(nthAddress("::1", 1), null);
    assert.equal(nthAddress("localhost", 0), null);
  });

  test("a phone's requests go out from its own address when that can reach the target", () => {
    assert.equal(sourceAddress("127.0.0.3", "127.0.0.1"), "127.0.0.3");
    assert.equal(sourceAddress("10.20.0.31", "10.20.0.2"), "10.20.0.31");
    assert.equal(sourceAddress("0.0.0.0", "127.0.0.1"), undefined, "wildcard: the system chooses");
    assert.equal(sourceAddress("127.0.0.3", "10.20.0.2"), undefined, "loopback cannot reach the network");
    assert.equal(sourceAddress("127.0.0.3", "localhost"), undefined, "a name may resolve to either family");
    assert.equal(sourceAddress("127.0.0.3", "[::1]"), undefined);
    assert.equal(sourceAddress("::1", "[::1]"), "::1");
  });

  test("addresses layout: phones on 127.0.0.2… with one common port, each with its own state and $phone_ip", async () => {
    const l = await listener();
    const { sim, addresses } = await startSim({
      phones: 3,
      user: "admin",
      password: "s3cret",
      settings: { action_setup_url: `${l.url}/boot?mac=$mac&ip=$phone_ip&ext=$active_user` },
    });
    assert.deepEqual(
      addresses.map((a) => a.ip),
      ["127.0.0.2", "127.0.0.3", "127.0.0.4"],
    );
    const port = addresses[0].port;
    assert.ok(addresses.every((a) => a.port === port));
    await sim.idle();
    assert.deepEqual(l.got.map((r) => r.url).sort(), [
      "/boot?mac=000413000001&ip=127.0.0.2&ext=101",
      "/boot?mac=000413000002&ip=127.0.0.3&ext=102",
      "/boot?mac=000413000003&ip=127.0.0.4&ext=103",
    ]);

    // The appliance's way: the room's IP plus the common port.
    await get(`http://127.0.0.3:${port}`, "/dummy.htm?settings=save&user_idle_text1=Rossi&dnd_mode=on", BASIC);
    assert.equal(sim.phone(2).idleText(), "Rossi");
    assert.equal(sim.phone(2).dnd, true);
    assert.equal(sim.phone(1).idleText(), "");
    assert.equal(sim.phone(3).dnd, false);
    assert.equal(sim.byIp("127.0.0.3"), sim.phone(2));
    assert.equal(sim.byExtension("103"), sim.phone(3));
    assert.deepEqual(
      sim.requests.map((r) => [r.phone, r.ip, r.path]),
      [[2, "127.0.0.3", "/dummy.htm"]],
    );
  });

  test("a call on one phone fires that phone's action URLs only", async () => {
    const l = await listener();
    const { sim } = await startSim({
      phones: 2,
      settings: { action_incoming_url: `${l.url}/in?ip=$phone_ip&r=$remote` },
    });
    sim.phone(2).incoming("101");
    await sim.idle();
    assert.equal(l.got.length, 1);
    assert.equal(l.got[0].query.get("ip"), "127.0.0.3");
    assert.equal(l.got[0].remote, "127.0.0.3", "sent from the phone's own address, as a real phone's come");
    await sim.phone(2).browser.open(`${l.url}/page.xml`, "push");
    assert.deepEqual(
      l.got.map((r) => [r.path, r.remote]),
      [
        ["/in", "127.0.0.3"],
        ["/page.xml", "127.0.0.3"],
      ],
      "the minibrowser too",
    );
    assert.equal(sim.phone(1).calls.all.length, 0);
  });

  test("ports layout: every phone on one address with its own port; perPhone options", async () => {
    const { sim, addresses } = await startSim(
      { phones: 2, layout: "ports", perPhone: (n) => (n === 2 ? { user: "front", password: "desk" } : {}) },
      0,
      "127.0.0.1",
    );
    assert.deepEqual(
      addresses.map((a) => a.ip),
      ["127.0.0.1", "127.0.0.1"],
    );
    assert.notEqual(addresses[0].port, addresses[1].port);
    assert.equal((await get(sim.phone(1).url, "/command.htm?key=ENTER")).status, 200);
    assert.equal((await get(sim.phone(2).url, "/command.htm?key=ENTER")).status, 401);
    const ok = await get(sim.phone(2).url, "/command.htm?key=ENTER", {
      user: "front",
      password: "desk",
      scheme: "basic",
    });
    assert.equal(ok.status, 200);
  });

  test("the addresses layout refuses a host it cannot count from", async () => {
    const sim = new SnomSimulator({ phones: 2 });
    await assert.rejects(sim.listen(0, "localhost"), /IPv4 address/);
    await sim.close();
  });
});
