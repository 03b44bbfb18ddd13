import assert from "node:assert/strict";
import dgram from "node:dgram";
import { afterEach, describe, test } from "node:test";
import type { PacketDirection, Remote } from "../../../src/sip/transport/types.ts";
import { sipMessage, text } from "../../helpers/sip-test-framer.ts";
import { closeAll, makeLayer, type TestLayer, waitFor } from "../../helpers/sip-transport.ts";

const opened: TestLayer[] = [];
afterEach(() => closeAll(opened));

/** A bare UDP socket, for traffic the layer must drop. */
async function rawUdp(address: string): Promise<dgram.Socket> {
  const s = dgram.createSocket(address.includes(":") ? "udp6" : "udp4");
  s.on("error", () => {});
  await new Promise<void>((r) => s.bind(0, address, () => r()));
  return s;
}

function sendRaw(s: dgram.Socket, bytes: Uint8Array, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => s.send(bytes, port, address, (err) => (err ? reject(err) : resolve())));
}

describe("sip transport: udp", () => {
  test("two layers exchange datagrams on 127.0.0.1, from the bound port, both ways", async () => {
    const a = makeLayer({}, opened);
    const b = makeLayer({}, opened);
    const portA = await a.layer.listen({ kind: "udp", bind: "127.0.0.1", port: 0 });
    const portB = await b.layer.listen({ kind: "udp", bind: "127.0.0.1", port: 0 });
    assert.ok(portA > 0 && portB > 0 && portA !== portB);

    await a.layer.send({ transport: "udp", address: "127.0.0.1", port: portB }, sipMessage("OPTIONS sip:b SIP/2.0"));
    await waitFor("datagram at b", () => b.inbox.length === 1);
    const got = b.inbox[0];
    assert.ok(got);
    assert.match(text(got.bytes), /^OPTIONS sip:b SIP\/2\.0\r\n/);
    assert.deepEqual(got.remote, { transport: "udp", address: "127.0.0.1", port: portA });
    assert.deepEqual(got.local, { transport: "udp", address: "127.0.0.1", port: portB });
    assert.equal(got.connectionId, undefined);

    // The answer goes back to the source address and port.
    await b.layer.send(got.remote, sipMessage("SIP/2.0 200 OK"));
    await waitFor("answer at a", () => a.inbox.length === 1);
    assert.match(text(a.inbox[0]?.bytes ?? new Uint8Array()), /^SIP\/2\.0 200 OK/);
    assert.equal(a.layer.stats().datagramsOut, 1);
    assert.equal(a.layer.stats().datagramsIn, 1);
    assert.equal(b.layer.stats().datagramsIn, 1);
  });

  test("IPv6 ::1 works", async () => {
    const a = makeLayer({}, opened);
    const b = makeLayer({}, opened);
    await a.layer.listen({ kind: "udp", bind: "::1", port: 0 });
    const portB = await b.layer.listen({ kind: "udp", bind: "::1", port: 0 });
    await a.layer.send({ transport: "udp", address: "::1", port: portB }, sipMessage("OPTIONS sip:[::1] SIP/2.0"));
    await waitFor("datagram over ::1", () => b.inbox.length === 1);
    assert.equal(b.inbox[0]?.remote.address, "::1");
    assert.equal(b.inbox[0]?.local.address, "::1");
  });

  test("the access filter drops a datagram from a disallowed address before anything else", async () => {
    const allowed: string[] = [];
    const b = makeLayer(
      {
        allow: (addr) => {
          allowed.push(addr);
          return addr === "::1";
        },
      },
      opened,
    );
    const port4 = await b.layer.listen({ kind: "udp", bind: "127.0.0.1", port: 0 });
    const port6 = await b.layer.listen({ kind: "udp", bind: "::1", port: 0 });
    const from4 = await rawUdp("127.0.0.1");
    const from6 = await rawUdp("::1");
    try {
      await sendRaw(from4, sipMessage("OPTIONS sip:x SIP/2.0"), port4, "127.0.0.1");
      await sendRaw(from6, sipMessage("OPTIONS sip:y SIP/2.0"), port6, "::1");
      await waitFor("allowed datagram", () => b.inbox.length === 1);
      await waitFor("drop counted", () => b.layer.stats().dropped.notAllowed === 1);
      assert.match(text(b.inbox[0]?.bytes ?? new Uint8Array()), /sip:y/);
      assert.deepEqual(allowed.sort(), ["127.0.0.1", "::1"]);
      assert.equal(b.layer.stats().datagramsIn, 1);
    } finally {
      from4.close();
      from6.close();
    }
  });

  test("an oversized datagram and garbage are dropped and counted; the layer keeps working", async () => {
    const packets: Array<[PacketDirection, Remote]> = [];
    const b = makeLayer({ maxDatagramBytes: 16 * 1024, onPacket: (d, r) => packets.push([d, r]) }, opened);
    const port = await b.layer.listen({ kind: "udp", bind: "127.0.0.1", port: 0 });
    const raw = await rawUdp("127.0.0.1");
    try {
      // 100 KB cannot even leave as one UDP datagram (65,507 bytes is the IPv4 maximum).
      await assert.rejects(sendRaw(raw, new Uint8Array(100_000), port, "127.0.0.1"), { code: "EMSGSIZE" });
      const big = sipMessage("MESSAGE sip:b SIP/2.0", "x".repeat(60_000));
      await sendRaw(raw, big, port, "127.0.0.1");
      await sendRaw(raw, new Uint8Array([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), port, "127.0.0.1"); // STUN-ish
      await sendRaw(raw, new Uint8Array([0xff, 0xfe, 0x0d, 0x0a, 0x00]), port, "127.0.0.1");
      await sendRaw(raw, new Uint8Array(0), port, "127.0.0.1");
      await sendRaw(raw, new TextEncoder().encode("\r\n\r\n"), port, "127.0.0.1"); // keep-alive: ignored
      await sendRaw(raw, sipMessage("OPTIONS sip:ok SIP/2.0"), port, "127.0.0.1");
      await waitFor("the good datagram", () => b.inbox.length === 1);
      await waitFor("drops counted", () => {
        const d = b.layer.stats().dropped;
        return d.oversized === 1 && d.framing === 3;
      });
      assert.match(text(b.inbox[0]?.bytes ?? new Uint8Array()), /sip:ok/);
      assert.equal(b.layer.stats().datagramsIn, 1);
      assert.equal(packets.length, 1, "the packet hook sees accepted datagrams only");
      assert.equal(packets[0]?.[0], "in");
    } finally {
      raw.close();
    }
  });

  test("a throwing message handler does not stop delivery to the next datagram", async () => {
    const b = makeLayer({}, opened);
    let calls = 0;
    b.layer.onMessage(() => {
      calls++;
      throw new Error("handler bug");
    });
    const port = await b.layer.listen({ kind: "udp", bind: "127.0.0.1", port: 0 });
    const a = makeLayer({}, opened);
    await a.layer.listen({ kind: "udp", bind: "127.0.0.1", port: 0 });
    const to = { transport: "udp", address: "127.0.0.1", port } as const;
    await a.layer.send(to, sipMessage("OPTIONS sip:1 SIP/2.0"));
    await a.layer.send(to, sipMessage("OPTIONS sip:2 SIP/2.0"));
    await waitFor("both delivered", () => b.inbox.length === 2 && calls === 2);
  });

  test("send needs a listener of the remote's family and an IP literal", async () => {
    const a = makeLayer({}, opened);
    await a.layer.listen({ kind: "udp", bind: "127.0.0.1", port: 0 });
    await assert.rejects(
      a.layer.send({ transport: "udp", address: "::1", port: 5060 }, sipMessage("X sip:a SIP/2.0")),
      /IPv6/,
    );
    await assert.rejects(
      a.layer.send({ transport: "udp", address: "pbx.example", port: 5060 }, sipMessage("X sip:a SIP/2.0")),
      /IP address/,
    );
    await a.layer.close();
    await assert.rejects(
      a.layer.send({ transport: "udp", address: "127.0.0.1", port: 5060 }, new Uint8Array(1)),
      /closed/,
    );
  });
});
