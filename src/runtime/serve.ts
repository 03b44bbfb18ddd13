/**
 * @module runtime/serve
 * HTTP serving on whichever runtime runs us. The only place (with main.ts) that touches Bun/Deno.
 */
import type { ServeFn } from "../app/appliance.ts";

declare const Deno: {
  serve(
    opts: { hostname: string; port: number; onListen?: (a: { port: number }) => void },
    handler: (req: Request) => Response | Promise<Response>,
  ): { addr: { port: number }; shutdown(): Promise<void> };
};

export function runtimeName(): "bun" | "deno" | "node" {
  if (typeof Bun !== "undefined") return "bun";
  if (typeof Deno !== "undefined") return "deno";
  return "node";
}

export const serve: ServeFn = async (fetch, { hostname, port }) => {
  if (typeof Bun !== "undefined") {
    const server = Bun.serve({ hostname, port, fetch, maxRequestBodySize: 1024 * 1024 });
    return { port: server.port ?? port, close: async () => server.stop(true) };
  }
  if (typeof Deno !== "undefined") {
    const server = Deno.serve({ hostname, port, onListen: () => {} }, fetch);
    return { port: server.addr.port, close: () => server.shutdown() };
  }
  throw new Error("bellhop runs under Bun or Deno");
};
