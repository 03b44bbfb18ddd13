/**
 * @module sip/ua/endpoint
 * One SIP endpoint: the transports bound to the VoIP NIC, the parser, and the transaction layer,
 * wired together. Bytes in are parsed (a request that cannot be parsed but can be answered gets its
 * 400) and handed to the transactions; messages out are serialized and sent. The debug packet log
 * masks credentials.
 */

import type { Clock } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import { maskSipHeaders } from "../auth/credentials.ts";
import { buildErrorResponse, parseMessage, type SipMessage, SipStreamFramer, serialize } from "../message/index.ts";
import { TransactionLayer } from "../transaction/layer.ts";
import type { TransactionTimers } from "../transaction/timers.ts";
import type { Target } from "../transaction/types.ts";
import { TransportLayer } from "../transport/layer.ts";
import type { TlsClientOptions } from "../transport/tls.ts";
import type { FramerEvent, Inbound, TransportKind } from "../transport/types.ts";

export interface EndpointOptions {
  /** VoIP NIC address every socket binds to. */
  bind: string;
  port: number;
  transport: TransportKind;
  /** Inbound SIP is accepted only from addresses this allows (PBX, proxy, phone networks). */
  allow: (address: string) => boolean;
  clock: Clock;
  logger: Logger;
  tls?: TlsClientOptions;
  /** Debug packet log, switchable at run time. */
  debug?: () => boolean;
  /** Shrunk T1/T2/T4 in tests (deriveTimers). */
  timers?: TransactionTimers;
  userAgent?: string;
}

export class SipEndpoint {
  readonly transport: TransportLayer;
  readonly transactions: TransactionLayer;
  /** The port actually listened on (after `start`). */
  port = 0;
  readonly userAgent: string;
  private readonly textDecoder = new TextDecoder();
  counters = { unparseable: 0, answered400: 0 };

  constructor(private readonly opts: EndpointOptions) {
    this.userAgent = opts.userAgent ?? "bellhop";
    const log = opts.logger;
    this.transport = new TransportLayer({
      allow: opts.allow,
      framer: () => pongless(new SipStreamFramer()),
      clock: opts.clock,
      logger: log,
      tls: opts.tls,
      onPacket: (dir, remote, bytes) => {
        if (!opts.debug?.()) return;
        log.debug("sip packet", {
          dir,
          remote: `${remote.transport}:${remote.address}:${remote.port}`,
          text: maskSipHeaders(this.textDecoder.decode(bytes)),
        });
      },
    });
    this.transactions = new TransactionLayer({
      clock: opts.clock,
      logger: log,
      timers: opts.timers,
      send: (msg, target) => this.send(msg, target),
    });
    this.transport.onMessage((m) => this.receive(m));
  }

  get bind(): string {
    return this.opts.bind;
  }

  get kind(): TransportKind {
    return this.opts.transport;
  }

  async start(): Promise<void> {
    // A TLS client needs no listener of its own (the PBX reuses our connection); UDP and TCP listen.
    if (this.opts.transport !== "tls") {
      this.port = await this.transport.listen({
        kind: this.opts.transport,
        bind: this.opts.bind,
        port: this.opts.port,
      });
    } else {
      this.port = this.opts.port;
    }
  }

  async send(msg: SipMessage, target: Target): Promise<void> {
    await this.transport.send(
      { transport: target.transport, address: target.address, port: target.port },
      serialize(msg),
      { connectionId: target.connectionId },
    );
  }

  private receive(m: Inbound): void {
    const parsed = parseMessage(m.bytes, { stream: m.remote.transport !== "udp" });
    const source: Target = { ...m.remote, connectionId: m.connectionId };
    if (!parsed.ok) {
      if (parsed.keepalive) return;
      this.counters.unparseable++;
      this.opts.logger.warn("unparseable SIP message dropped", {
        from: `${m.remote.address}:${m.remote.port}`,
        reason: parsed.reason,
      });
      if (parsed.canAnswer400) {
        const resp = buildErrorResponse(parsed.canAnswer400, parsed.canAnswer400.status, parsed.reason);
        this.counters.answered400++;
        this.send(resp, source).catch((err) =>
          this.opts.logger.debug("cannot answer a bad request", { error: errorMessage(err) }),
        );
      }
      return;
    }
    this.transactions.handle(parsed.message, source);
  }

  async close(): Promise<void> {
    this.transactions.close();
    await this.transport.close();
  }
}

/** The transport answers pings; a pong (lone CRLF) needs nothing. */
function pongless(framer: SipStreamFramer) {
  return {
    push(chunk: Uint8Array): FramerEvent[] {
      const out: FramerEvent[] = [];
      for (const e of framer.push(chunk)) if (e.kind !== "pong") out.push(e);
      return out;
    },
    buffered: () => framer.buffered,
  };
}
