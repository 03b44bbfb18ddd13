/** @module api/routes/sip: the SIP ports' registration state. Passwords are never part of it. */
import * as v from "valibot";
import type { ApiDeps } from "../deps.ts";
import { defineRoute, type Route } from "../registry.ts";

const PortStatus = v.object({
  user: v.string(),
  state: v.picklist(["idle", "registering", "registered", "failed", "auth-failed", "unregistered"]),
  registeredUntil: v.nullable(v.string()),
  lastResponse: v.nullable(v.string()),
  lastError: v.nullable(v.string()),
});

const count = v.pipe(v.number(), v.integer());
const Traffic = v.object({
  datagramsIn: count,
  streamMessagesIn: count,
  droppedNotAllowed: count,
  droppedOversized: count,
  droppedFraming: count,
  unparseable: count,
  answered400: count,
  connectionsOpen: count,
  connectionsRefused: count,
});

const PortList = v.object({ enabled: v.boolean(), ports: v.array(PortStatus), traffic: v.nullable(Traffic) });

export function sipRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/sip/ports",
      operationId: "listSipPorts",
      summary: "Each SIP port: registration state, registered until, last response, last error; SIP traffic counters",
      description:
        "`enabled` is false when no PBX is configured (sip.pbx.address). `traffic` counts what reached the SIP " +
        "sockets, and what was dropped: not from the PBX, the proxy or the phone networks; oversized; unparseable.",
      tag: "sip",
      roles: ["admin", "installer", "frontdesk"],
      responses: { 200: { description: "The ports, in configuration order", schema: PortList } },
      handler: () => {
        const sip = deps.sipPorts();
        return { body: { enabled: sip !== undefined, ports: sip?.ports ?? [], traffic: sip?.traffic ?? null } };
      },
    }),
  ];
}
