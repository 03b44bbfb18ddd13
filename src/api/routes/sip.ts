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

const PortList = v.object({ enabled: v.boolean(), ports: v.array(PortStatus) });

export function sipRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/sip/ports",
      operationId: "listSipPorts",
      summary: "Each SIP port: registration state, registered until, last response, last error",
      description: "`enabled` is false when no PBX is configured (sip.pbx.address).",
      tag: "sip",
      roles: ["admin", "installer", "frontdesk"],
      responses: { 200: { description: "The ports, in configuration order", schema: PortList } },
      handler: () => {
        const ports = deps.sipPorts();
        return { body: { enabled: ports !== undefined, ports: ports ?? [] } };
      },
    }),
  ];
}
