/**
 * @module runtime/serve
 * HTTP serving on whichever runtime runs us. The only place (with main.ts) that touches Bun/Deno.
 * The runtimes are reached through globalThis with minimal local types, so this file type-checks
 * under tsc (Bun types) and deno check alike.
 */
import type { ServeFn } from "../app/appliance.ts";

interface BunServer {
  requestIP(req: Request): { address: string } | null;
}
interface BunLike {
  serve(opts: {
    hostname: string;
    port: number;
    fetch: (req: Request, server: BunServer) => Response | Promise<Response>;
    maxRequestBodySize?: number;
  }): {
    port?: number;
    stop(closeActive?: boolean): unknown;
  };
}
interface DenoLike {
  serve(
    opts: { hostname: string; port: number; onListen?: (a: { port: number }) => void },
    handler: (req: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>,
  ): { addr: { port: number }; shutdown(): Promise<void> };
}

const runtime = globalThis as { Bun?: BunLike; Deno?: DenoLike };

export function runtimeName(): "bun" | "deno" | "node" {
  if (runtime.Bun) return "bun";
  if (runtime.Deno) return "deno";
  return "node";
}

export const serve: ServeFn = async (fetch, { hostname, port }) => {
  if (runtime.Bun) {
    const server = runtime.Bun.serve({
      hostname,
      port,
      fetch: (req, srv) => fetch(req, { remoteAddress: srv.requestIP(req)?.address }),
      // The largest route limit (a prompt upload, 10 MB) plus headroom; each route checks its own limit.
      maxRequestBodySize: 11 * 1024 * 1024,
    });
    return {
      port: server.port ?? port,
      close: async () => {
        await server.stop(true);
      },
    };
  }
  if (runtime.Deno) {
    const server = runtime.Deno.serve({ hostname, port, onListen: () => {} }, (req, info) =>
      fetch(req, { remoteAddress: info.remoteAddr.hostname }),
    );
    return { port: server.addr.port, close: () => server.shutdown() };
  }
  throw new Error("bellhop runs under Bun or Deno");
};
