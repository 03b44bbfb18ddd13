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
  /**
   * TLS (RFC 5626): the connection the port is registered on, while registered. `outbound`: the
   * registrar answered `Require: outbound` (it sends the port's calls over this flow).
   */
  flow: v.nullable(v.object({ outbound: v.boolean(), keepaliveSeconds: v.number(), lastPong: v.nullable(v.string()) })),
  /** Flows that died since start, each followed at once by a new REGISTER on a new connection. */
  flowsLost: v.pipe(v.number(), v.integer()),
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
  droppedMalformed: count,
  connectionsOpen: count,
  connectionsRefused: count,
});

/** The caps of sip.limits: each with what is live under it and what it refused since start. */
const Limits = v.object({
  serverTransactions: v.object({
    limit: count,
    limitPerSource: count,
    live: count,
    sources: count,
    refusedTotal: count,
    refusedPerSource: count,
    stateless: count,
    retransmissions: count,
  }),
  subscriptions: v.object({
    limit: count,
    limitPerSource: count,
    live: count,
    refusedTotal: count,
    refusedPerSource: count,
  }),
  connections: v.object({ limitPerSource: count, open: count, refusedPerSource: count }),
  malformed: v.object({ received: count, answered400: count, dropped: count }),
});

/** The calls' media since start (sip/rtp/media-tally.ts): ended calls plus live ones. */
const Media = v.object({
  callsSrtp: count,
  callsRtp: count,
  callsLive: count,
  srtpAuthFailures: count,
  srtpReplays: count,
  srtpNotSrtp: count,
});

const PortList = v.object({
  enabled: v.boolean(),
  ports: v.array(PortStatus),
  traffic: v.nullable(Traffic),
  limits: v.nullable(Limits),
  media: v.nullable(Media),
});

export function sipRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/sip/ports",
      operationId: "listSipPorts",
      summary:
        "Each SIP port: registration state, registered until, last response, last error, its TLS flow; SIP traffic " +
        "and call media counters",
      description:
        "`enabled` is false when no PBX is configured (sip.pbx.address). `traffic` counts what reached the SIP " +
        "sockets, and what was dropped: not from the PBX, the proxy or the phone networks; oversized; unparseable. " +
        "`limits` shows each cap of sip.limits with what is live under it and what it refused (answered 503 or " +
        "closed): live server transactions (and requests answered without one: `stateless`; retransmissions " +
        "answered by their transaction), MWI subscriptions, TCP/TLS connections per source, and malformed " +
        "messages (answered 400 when a response was possible, else dropped). `media` counts the calls since start " +
        "(live ones included, `callsLive` of them now) by media, SRTP or plain RTP, and the SRTP packets dropped " +
        "silently, summed over those calls: failed authentication, replays, and what was not SRTP at all (STUN, a " +
        "plain RTCP ping).",
      tag: "sip",
      roles: ["admin", "installer", "frontdesk"],
      responses: { 200: { description: "The ports, in configuration order", schema: PortList } },
      handler: () => {
        const sip = deps.sipPorts();
        return {
          body: {
            enabled: sip !== undefined,
            ports: sip?.ports ?? [],
            traffic: sip?.traffic ?? null,
            limits: sip?.limits ?? null,
            media: sip?.media ?? null,
          },
        };
      },
    }),
  ];
}
