/**
 * @module sim/snom/listener
 * One phone's node:http listener, which can be closed and reopened on the same address and port
 * (a phone that goes down and comes back, or reboots). Closing drops open connections too, hanging
 * requests included, as a phone losing power would.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export class Listener {
  private server: Server | null = null;
  host = "127.0.0.1";
  port = 0;

  constructor(private readonly handler: Handler) {}

  get listening(): boolean {
    return this.server !== null;
  }

  /** Listens on host:port (port 0: any free one, then kept for reopen()). */
  listen(port: number, host: string): Promise<number> {
    if (this.server) return Promise.reject(new Error(`already listening on ${this.host}:${this.port}`));
    // Loaded here, not imported: the compiled binary loads every imported built-in at its start.
    const server = process.getBuiltinModule("node:http").createServer(this.handler);
    // Phones answer slowly on purpose (faults); node's default timeouts must not cut them short.
    server.requestTimeout = 0;
    server.headersTimeout = 0;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        this.server = server;
        this.host = host;
        this.port = (server.address() as AddressInfo).port;
        resolve(this.port);
      });
    });
  }

  reopen(): Promise<number> {
    return this.listen(this.port, this.host);
  }

  close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections?.();
    });
  }
}
