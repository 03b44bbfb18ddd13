/**
 * @module sim/pms/line
 * One connection of the simulator to the appliance, whatever carries it: a TCP socket here, or a
 * serial line (serial-port.ts, which runs the FIAS LRC/ACK/NAK layer underneath and paces its writes
 * at the baud rate).
 */
import { type AddressInfo, createServer, connect as netConnect, type Server, type Socket } from "node:net";
import type { Logger } from "../../lib/logger.ts";

export interface SimLine {
  readonly remote: string;
  /** STX…ETX frames (serial: each gets its LRC and waits for ACK). */
  write(bytes: Uint8Array): void;
  /** Bytes as they are, no LRC, no ACK awaited (noise, split frames). */
  writeRaw(bytes: Uint8Array): void;
  destroy(): void;
  listen(on: { data(b: Uint8Array): void; error(e: Error): void; close(): void }): void;
}

export function socketLine(socket: Socket): SimLine {
  return {
    remote: `${socket.remoteAddress}:${socket.remotePort}`,
    write: (b) => socket.write(b),
    writeRaw: (b) => socket.write(b),
    destroy: () => socket.destroy(),
    listen: (on) => {
      socket.setNoDelay(true);
      socket.on("data", on.data);
      socket.on("error", on.error);
      socket.on("close", on.close);
    },
  };
}

/** Listens for the appliance (the IFC is normally the server); each connection is handed over as a line. */
export function listenTcp(
  port: number,
  host: string,
  onLine: (line: SimLine) => void,
  log: Logger,
): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => onLine(socketLine(socket)));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.removeAllListeners("error");
      server.on("error", (err) => log.error("pms sim server error", { err }));
      const bound = (server.address() as AddressInfo).port;
      log.info("pms sim listening", { host, port: bound });
      resolve({ server, port: bound });
    });
  });
}

/** Connects to an appliance that is the TCP server, once. */
export function connectTcp(host: string, port: number): Promise<SimLine> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socketLine(socket));
    });
  });
}
