/**
 * What every media socket opener must do alike (sip/rtp/udp.ts): run by udp.test.ts for node:dgram
 * and by test/runtime/udp.test.ts for Bun's own socket.
 */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import type { UdpFactory, UdpSocket } from "../../../src/sip/rtp/udp.ts";

const opened: UdpSocket[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > until) assert.fail(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

type Heard = { bytes: number[]; address: string; port: number };

async function open(bind: UdpFactory, address = "127.0.0.1", port = 0) {
  const s = await bind(address.includes(":") ? "udp6" : "udp4", address, port);
  opened.push(s);
  const heard: Heard[] = [];
  s.onMessage = (msg, from, fromPort) => heard.push({ bytes: [...msg], address: from, port: fromPort });
  return { s, heard };
}

const noFailure = (err: Error) => assert.fail(`send failed: ${err.message}`);

export function udpContract(name: string, factory: UdpFactory): void {
  describe(`media UDP sockets, ${name}`, () => {
    test("datagrams both ways, with the sender's address and port", async () => {
      const a = await open(factory);
      const b = await open(factory);
      a.s.send(Uint8Array.of(1, 2, 3), b.s.port, "127.0.0.1", noFailure);
      b.s.send(Uint8Array.of(9), a.s.port, "127.0.0.1", noFailure);
      await waitFor("both", () => a.heard.length === 1 && b.heard.length === 1);
      assert.deepEqual(b.heard[0], { bytes: [1, 2, 3], address: "127.0.0.1", port: a.s.port });
      assert.deepEqual(a.heard[0], { bytes: [9], address: "127.0.0.1", port: b.s.port });
      assert.equal(a.s.address, "127.0.0.1");
    });

    test("the caller may overwrite its buffer as soon as send returns", async () => {
      const a = await open(factory);
      const b = await open(factory);
      const buf = new Uint8Array(4);
      for (let i = 0; i < 50; i++) {
        buf.fill(i);
        a.s.send(buf, b.s.port, "127.0.0.1", noFailure);
      }
      buf.fill(0xee);
      await waitFor("50 datagrams", () => b.heard.length === 50);
      for (const [i, h] of b.heard.entries()) assert.deepEqual(h.bytes, [i, i, i, i]);
    });

    test("a view into a larger buffer sends only its own bytes", async () => {
      const a = await open(factory);
      const b = await open(factory);
      const big = new Uint8Array(64).fill(7);
      big.set([1, 2, 3], 10);
      a.s.send(big.subarray(10, 13), b.s.port, "127.0.0.1", noFailure);
      await waitFor("one", () => b.heard.length === 1);
      assert.deepEqual(b.heard[0]?.bytes, [1, 2, 3]);
    });

    test("a host name is resolved, as node:dgram did", async () => {
      const a = await open(factory);
      const b = await open(factory);
      a.s.send(Uint8Array.of(5), b.s.port, "localhost", noFailure);
      await waitFor("one", () => b.heard.length === 1);
    });

    test("a port in use fails the bind with EADDRINUSE", async () => {
      const a = await open(factory);
      await assert.rejects(factory("udp4", "127.0.0.1", a.s.port), { code: "EADDRINUSE" });
    });

    test("a failed send reports to its callback and never throws", async () => {
      const a = await open(factory);
      const failures: Error[] = [];
      a.s.send(Uint8Array.of(1), 5004, "::1", (err) => failures.push(err)); // IPv6 from an IPv4 socket
      a.s.send(Uint8Array.of(1), 5004, "no-such-host.invalid", (err) => failures.push(err));
      await waitFor("two failures", () => failures.length === 2, 10_000);
      assert.ok(failures.every((e) => e instanceof Error));
    });

    test("the far end's port closed: its ICMP errors are dropped, as node:dgram does, and receiving goes on", async () => {
      const a = await open(factory);
      const b = await open(factory);
      const gone = await open(factory);
      const port = gone.s.port;
      await gone.s.close();
      const errors: Error[] = [];
      a.s.onError = (err) => errors.push(err);
      for (let i = 0; i < 5; i++) {
        a.s.send(Uint8Array.of(i), port, "127.0.0.1", () => {});
        await sleep(5);
      }
      b.s.send(Uint8Array.of(42), a.s.port, "127.0.0.1", noFailure);
      await waitFor("the datagram after the errors", () => a.heard.length === 1);
      assert.deepEqual(errors, []);
    });

    test("IPv6: bound on ::1, datagrams carry the IPv6 source", async () => {
      const a = await open(factory, "::1");
      const b = await open(factory, "::1");
      a.s.send(Uint8Array.of(4, 2), b.s.port, "::1", noFailure);
      await waitFor("one", () => b.heard.length === 1);
      assert.deepEqual(b.heard[0], { bytes: [4, 2], address: "::1", port: a.s.port });
    });

    test("after close nothing is delivered; close twice is fine and frees the port", async () => {
      const a = await open(factory);
      const b = await open(factory);
      const port = b.s.port;
      await b.s.close();
      await b.s.close();
      a.s.send(Uint8Array.of(1), port, "127.0.0.1", () => {});
      await sleep(30);
      assert.equal(b.heard.length, 0);
      const again = await open(factory, "127.0.0.1", port);
      assert.equal(again.s.port, port);
    });
  });
}
