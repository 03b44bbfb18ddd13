/**
 * The PMS port as an attacker on the PMS network sees it (issue 10), over real TCP on loopback: a
 * host not in pms.allow, a connection that sends GI/GO without the link start, an STX flood, a
 * garbage flood. Each is refused or bounded, and the hotel's real PMS keeps working throughout.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { describe, test } from "node:test";
import { createLogger } from "../../../src/lib/logger.ts";
import { networkSet } from "../../../src/lib/networks.ts";
import type { FiasLink } from "../../../src/pms/fias/link.ts";
import { TcpServerConnector } from "../../../src/pms/fias/tcp.ts";
import { HOST, newLink, PmsSocket, waitFor } from "../../helpers/fias-tcp.ts";

/** A logger that only counts what it would have written. */
function byteCountingLogger() {
  const counted = { bytes: 0, lines: 0 };
  const logger = createLogger({
    level: "debug",
    sink: (line) => {
      counted.bytes += line.length + 1;
      counted.lines++;
    },
  });
  return Object.assign(logger, { counted });
}

async function dial(port: number, localAddress?: string): Promise<PmsSocket> {
  const socket = net.createConnection({ host: HOST, port, ...(localAddress ? { localAddress } : {}) });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return new PmsSocket(socket);
}

async function serverLink(allow: string[]) {
  const logger = byteCountingLogger();
  const allowed = networkSet(allow);
  let link: FiasLink | undefined;
  const connector = new TcpServerConnector({
    host: HOST,
    port: 0,
    logger,
    allow: (a) => allowed.contains(a),
    onRefused: (a) => link?.refused(a),
  });
  const made = newLink(connector, logger);
  link = made.link;
  link.start();
  await waitFor("listening", () => connector.port !== undefined);
  return { ...made, logger, port: connector.port ?? 0 };
}

describe("the PMS port under attack", () => {
  test("a host not in pms.allow is closed at once and counted; the real PMS keeps its link", async () => {
    const { link, records, port } = await serverLink(["127.0.0.1/32"]);
    try {
      const pms = await dial(port, "127.0.0.1");
      await pms.handshake();
      await waitFor("linked", () => link.state === "linked");
      const stranger = await dial(port, "127.0.0.2");
      stranger.send("LS|DA260101|TI120000|");
      stranger.send("GO|RN101|G#42|");
      await waitFor("stranger closed", () => stranger.closed);
      assert.deepEqual(stranger.types(), [], "not a byte answered");
      assert.equal(link.peer.connectionsRefused, 1);
      pms.send("GI|RN101|G#42|GNSmith|");
      await waitFor("the PMS's GI", () => records.length === 1);
      assert.deepEqual(records, ["GI"]);
      assert.equal(pms.closed, false);
      assert.equal(link.state, "linked");
    } finally {
      await link.stop();
    }
  });

  test("an allowed connection sending GI/GO without the link start changes nothing, and the live link stays", async () => {
    const { link, records, port } = await serverLink(["127.0.0.0/8"]);
    try {
      const pms = await dial(port);
      await pms.handshake();
      await waitFor("linked", () => link.state === "linked");
      const probe = await dial(port);
      probe.send("GI|RN101|G#666|GNMallory|");
      probe.send("GO|RN102|G#7|");
      await waitFor("refused", () => link.peer.recordsRefused === 2);
      assert.deepEqual(records, []);
      assert.equal(pms.closed, false, "the hotel's PMS connection was not replaced");
      pms.send("GI|RN103|G#8|GNRossi|");
      await waitFor("the PMS's GI", () => records.length === 1);
      assert.equal(link.state, "linked");
      probe.socket.destroy();
    } finally {
      await link.stop();
    }
  });

  test("5,000 STX bytes and 40 kB of junk cost a few log lines, not megabytes; the link stays up", async () => {
    const { link, records, logger, port } = await serverLink(["127.0.0.0/8"]);
    try {
      const pms = await dial(port);
      await pms.handshake();
      await waitFor("linked", () => link.state === "linked");
      const before = logger.counted.bytes;
      pms.socket.write(Buffer.alloc(5000, 0x02));
      pms.socket.write(Buffer.alloc(40_000, 0x41));
      pms.send("GI|RN101|G#42|GNSmith|");
      await waitFor("the GI after the flood", () => records.length === 1);
      const logged = logger.counted.bytes - before;
      assert.ok(logged < 2000, `${logged} log bytes for the flood`);
      assert.ok(link.peer.garbageBytes >= 44_999, `garbage counted: ${link.peer.garbageBytes}`);
      assert.equal(pms.closed, false);
    } finally {
      await link.stop();
    }
  });

  test("more garbage in a second than pms.maxGarbageBytesPerSecond drops that connection; the PMS reconnects", async () => {
    const { link, port } = await serverLink(["127.0.0.0/8"]);
    try {
      const flood = await dial(port);
      flood.socket.write(Buffer.alloc(200_000, 0x41));
      await waitFor("flooder dropped", () => flood.closed);
      assert.ok(link.peer.connectionsLost >= 1);
      const pms = await dial(port);
      await pms.handshake();
      await waitFor("linked", () => link.state === "linked");
    } finally {
      await link.stop();
    }
  });
});
