import assert from "node:assert/strict";
import net from "node:net";
import { describe, test } from "node:test";
import { memoryLogger } from "../../../src/lib/logger.ts";
import { defaultLinkRecords } from "../../../src/pms/fias/link-records.ts";
import { TcpClientConnector, TcpServerConnector } from "../../../src/pms/fias/tcp.ts";
import { HOST, newLink, PmsSocket, waitFor } from "../../helpers/fias-tcp.ts";

function listen(server: net.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, HOST, () => {
      const addr = server.address();
      resolve(addr && typeof addr === "object" ? addr.port : 0);
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe("FIAS over TCP, client mode", () => {
  test("links with a PMS server, reconnects after the server drops, stops with LE", async () => {
    const pmsSockets: PmsSocket[] = [];
    const server = net.createServer((socket) => {
      const pms = new PmsSocket(socket);
      pmsSockets.push(pms);
      void pms.handshake();
    });
    const port = await listen(server);
    const { link, states, records } = newLink(
      new TcpClientConnector({ host: HOST, port, bind: HOST, logger: memoryLogger() }),
    );
    try {
      link.start();
      await waitFor("linked", () => link.state === "linked");
      const first = pmsSockets[0];
      assert.equal(first.socket.remoteAddress, HOST);
      assert.deepEqual(first.types(), ["LD", ...defaultLinkRecords().map(() => "LR"), "LA"]);

      first.send("GI|RN101|G#42|GNSmith|");
      await waitFor("GI", () => records.length === 1);
      assert.equal(link.send({ type: "RE", fields: { RN: "101", RS: "3" } }), true);
      await waitFor("RE at the PMS", () => first.types().includes("RE"));

      first.socket.destroy();
      await waitFor("down", () => link.state === "down");
      await waitFor("second connection linked", () => pmsSockets.length === 2 && link.state === "linked");
      assert.deepEqual(states, ["connecting", "linked", "down", "connecting", "linked"]);

      const second = pmsSockets[1];
      second.socket.on("data", () => {
        if (second.types().includes("LE")) second.send("LE|DA260101|TI120010|");
      });
      await link.stop();
      assert.ok(second.types().includes("LE"));
      await waitFor("PMS sees the close", () => second.closed);
      assert.equal(link.state, "down");
    } finally {
      await link.stop();
      await closeServer(server);
    }
  });

  test("keeps retrying while the PMS port is closed, then links", async () => {
    const probe = net.createServer();
    const port = await listen(probe);
    await closeServer(probe);

    const { link, logger } = newLink(new TcpClientConnector({ host: HOST, port, logger: memoryLogger() }));
    const server = net.createServer((socket) => void new PmsSocket(socket).handshake());
    try {
      link.start();
      await waitFor(
        "two refused dials",
        () => logger.lines.filter((l) => l.msg === "fias: connect failed").length >= 2,
      );
      assert.equal(link.state, "down");
      await listen(server, port);
      await waitFor("linked", () => link.state === "linked");
    } finally {
      await link.stop();
      await closeServer(server);
    }
  });
});

describe("FIAS over TCP, server mode", () => {
  test("a second PMS connection replaces the first once it started the link", async () => {
    const connector = new TcpServerConnector({ host: HOST, port: 0, logger: memoryLogger() });
    const { link, states } = newLink(connector);
    const dial = async (port: number) => {
      const socket = net.createConnection({ host: HOST, port });
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("error", reject);
      });
      return new PmsSocket(socket);
    };
    try {
      link.start();
      await waitFor("listening", () => connector.port !== undefined);
      const port = connector.port ?? 0;

      const first = await dial(port);
      await first.handshake();
      await waitFor("linked to the first PMS", () => link.state === "linked");

      const second = await dial(port);
      await second.handshake();
      await waitFor("first PMS disconnected once the second started the link", () => first.closed);
      assert.equal(link.state, "linked");
      assert.deepEqual(states, ["connecting", "linked"], "the link never went down");

      second.socket.destroy();
      await waitFor("down", () => link.state === "down");
      const third = await dial(port);
      await third.handshake();
      await waitFor("linked to the third PMS", () => link.state === "linked");
      third.socket.destroy();
    } finally {
      await link.stop();
    }
    assert.equal(connector.port, undefined);
  });

  test("init wait: a silent PMS client gets LS from us", async () => {
    const connector = new TcpServerConnector({ host: HOST, port: 0, logger: memoryLogger() });
    const { link } = newLink(connector);
    try {
      link.start();
      await waitFor("listening", () => connector.port !== undefined);
      const socket = net.createConnection({ host: HOST, port: connector.port ?? 0 });
      const pms = new PmsSocket(socket);
      await waitFor("our LS", () => pms.types().includes("LS"));
      pms.send("LA|DA260101|TI120001|");
      await waitFor("linked", () => link.state === "linked");
      socket.destroy();
    } finally {
      await link.stop();
    }
  });
});
