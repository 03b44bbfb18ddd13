/**
 * @module sip/transaction/layer
 * The transaction layer (RFC 3261 §17): the tables of client and server transactions and the
 * matching of inbound messages to them. It owns no socket: it sends through the injected `send`
 * (the UA serializes and hands the bytes to the transport layer) and is fed every parsed inbound
 * message by the UA through `handle`.
 *
 * Inbound, in order:
 * - a response goes to its client transaction (top Via branch + CSeq method), else `onStrayResponse`
 *   (e.g. a 2xx from another fork after Timer M, or a 2xx retransmission the TU must still ACK);
 * - an ACK matching an INVITE server transaction that sent a non-2xx final is absorbed there; any
 *   other ACK (the ACK of a 2xx, its own transaction per §17) goes to `onAck`;
 * - a request matching a server transaction is a retransmission, answered by the transaction
 *   (whatever the caps: it costs nothing new);
 * - any other request is new. `onStateless` may answer it at once without a transaction (a request
 *   whose answer needs no state: OPTIONS, an unknown method, an unknown dialog), which costs no
 *   memory and survives a flood; a retransmission of it simply gets the same answer again;
 * - else, within the caps (admission.ts), it creates a server transaction (CANCEL included: its own
 *   transaction, found with `inviteServerFor`) and goes to `onRequest`; over a cap it gets a
 *   stateless 503 with Retry-After.
 * Every transaction drops out of the tables when it terminates (`size()` counts what is left).
 * Events a peer can repeat at will are logged through the log budget.
 */
import type { Clock } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import { LogBudget } from "../../lib/log-budget.ts";
import { type Logger, silentLogger } from "../../lib/logger.ts";
import type { SipMessage, SipRequest, SipResponse } from "../message/message.ts";
import { buildErrorResponse, stableTag } from "../message/response.ts";
import { type AdmissionStats, type Refusal, ServerAdmission, type ServerLimits } from "./admission.ts";
import type { ClientTransaction, ClientTransactionEvents } from "./client.ts";
import { ClientInviteTransaction } from "./client-invite.ts";
import { ClientNonInviteTransaction } from "./client-non-invite.ts";
import { clientKeyOfRequest, clientKeyOfResponse, MAGIC_COOKIE, serverKey } from "./key.ts";
import type { ServerTransaction } from "./server.ts";
import { ServerInviteTransaction } from "./server-invite.ts";
import { ServerNonInviteTransaction } from "./server-non-invite.ts";
import { DEFAULT_TIMERS, type TransactionTimers } from "./timers.ts";
import type { TransactionContext } from "./transaction.ts";
import type { SendFn, Target } from "./types.ts";

export type RequestHandler = (tx: ServerTransaction, req: SipRequest) => void;
export type AckHandler = (ack: SipRequest, source: Target) => void;
export type StrayResponseHandler = (resp: SipResponse, source: Target) => void;
/** A new request's answer when it needs no transaction, else undefined. Must not keep `req`. */
export type StatelessHandler = (req: SipRequest, source: Target) => SipResponse | undefined;

export interface ServerStats extends AdmissionStats {
  /** The caps in force. */
  limit: number;
  limitPerSource: number;
  /** New requests answered by `onStateless`, without a transaction. */
  stateless: number;
  /** Requests matched to a live server transaction (retransmissions). */
  retransmissions: number;
}

export interface TransactionLayerOptions {
  send: SendFn;
  clock: Clock;
  /** Default `DEFAULT_TIMERS` (T1 500 ms, T2 4 s, T4 5 s); tests pass `deriveTimers(…)`. */
  timers?: TransactionTimers;
  logger?: Logger;
  onRequest?: RequestHandler;
  onAck?: AckHandler;
  onStrayResponse?: StrayResponseHandler;
  onStateless?: StatelessHandler;
  /** Caps on live server transactions (admission.ts). */
  limits?: ServerLimits;
  /** Sources exempt from the per-source cap and allowed the reserve (the PBX, the proxy). */
  trusted?: (address: string) => boolean;
  /** Where peer-caused events are logged (default: one of its own on `logger`). */
  budget?: LogBudget;
}

type AnyClient = ClientInviteTransaction | ClientNonInviteTransaction;
type AnyServer = ServerInviteTransaction | ServerNonInviteTransaction;

export class TransactionLayer {
  /** A new request (not a retransmission, not an ACK): the TU must `respond` on `tx`. */
  onRequest: RequestHandler | undefined;
  /** An ACK no server transaction took: the ACK of a 2xx. */
  onAck: AckHandler | undefined;
  /** A response no client transaction matches. */
  onStrayResponse: StrayResponseHandler | undefined;
  /** Answers new requests that need no state (see the module comment). */
  onStateless: StatelessHandler | undefined;

  private readonly clients = new Map<string, AnyClient>();
  private readonly servers = new Map<string, AnyServer>();
  private readonly clientCtx: TransactionContext;
  private readonly serverCtx: TransactionContext;
  private readonly log: Logger;
  private readonly budget: LogBudget;
  private readonly admission: ServerAdmission;
  private readonly sendFn: TransactionLayerOptions["send"];
  private stateless = 0;
  private retransmissions = 0;

  constructor(opts: TransactionLayerOptions) {
    this.log = opts.logger ?? silentLogger;
    this.budget = opts.budget ?? new LogBudget(this.log, opts.clock);
    this.admission = new ServerAdmission(opts.limits, opts.trusted);
    this.sendFn = opts.send;
    this.onRequest = opts.onRequest;
    this.onAck = opts.onAck;
    this.onStrayResponse = opts.onStrayResponse;
    this.onStateless = opts.onStateless;
    const base = {
      send: opts.send,
      clock: opts.clock,
      timers: opts.timers ?? DEFAULT_TIMERS,
      log: this.log,
      budget: this.budget,
    };
    this.clientCtx = { ...base, remove: (key) => this.clients.delete(key) };
    this.serverCtx = {
      ...base,
      remove: (key) => {
        const tx = this.servers.get(key);
        if (tx && this.servers.delete(key)) this.admission.release(tx.source.address);
      },
    };
  }

  /** Live server transactions, the caps, and what was answered without one. */
  serverStats(): ServerStats {
    return {
      ...this.admission.stats(),
      limit: this.admission.total,
      limitPerSource: this.admission.perSource,
      stateless: this.stateless,
      retransmissions: this.retransmissions,
    };
  }

  /** Transactions in the tables (client + server). */
  size(): number {
    return this.clients.size + this.servers.size;
  }

  /**
   * Starts a client transaction: sends `req` to `target` and runs its timers. The request must carry
   * its top Via with an RFC 3261 branch (`newBranch()`), unique per transaction; an ACK is never sent
   * in a transaction (the TU sends the ACK of a 2xx itself). `events` are attached before anything is
   * sent; they can also be assigned on the returned transaction (nothing fires synchronously).
   */
  request(req: SipRequest, target: Target, events: ClientTransactionEvents = {}): ClientTransaction {
    if (req.method === "ACK") throw new TypeError("an ACK is not sent in a client transaction");
    if (req.cseq.method !== req.method) {
      throw new TypeError(`CSeq method ${req.cseq.method} does not match the request method ${req.method}`);
    }
    const key = clientKeyOfRequest(req);
    if (key === undefined) throw new TypeError(`the top Via needs a branch starting with ${MAGIC_COOKIE}`);
    if (this.clients.has(key)) throw new Error(`a client transaction with this branch and method exists: ${key}`);
    const tx =
      req.method === "INVITE"
        ? new ClientInviteTransaction(key, req, target, this.clientCtx)
        : new ClientNonInviteTransaction(key, req, target, this.clientCtx);
    Object.assign(tx, events);
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  /** Every parsed inbound message, with where it came from. Never throws. */
  handle(msg: SipMessage, source: Target): void {
    try {
      if (msg.kind === "response") this.handleResponse(msg, source);
      else this.handleRequest(msg, source);
    } catch (err) {
      // A malformed Via/CSeq/From view: parseMessage guarantees them, a hand-built message may not.
      this.budget.warn("sip-tx-dropped", "sip transaction: inbound message dropped", {
        error: errorMessage(err),
        from: source.address,
      });
    }
  }

  /** The INVITE server transaction a CANCEL refers to (same branch and sent-by, §9.2), if any. */
  inviteServerFor(cancel: SipRequest): ServerInviteTransaction | undefined {
    const k = serverKey(cancel, "INVITE");
    if (!k) return undefined;
    const tx = this.servers.get(k.key);
    return tx instanceof ServerInviteTransaction ? tx : undefined;
  }

  /** Terminates every transaction (shutdown); each fires `onTerminated`, nothing else. */
  close(): void {
    for (const tx of [...this.clients.values(), ...this.servers.values()]) tx.kill();
  }

  private handleResponse(resp: SipResponse, source: Target): void {
    const key = clientKeyOfResponse(resp);
    const tx = key === undefined ? undefined : this.clients.get(key);
    if (tx) {
      tx.responseSource = source;
      tx.receive(resp);
      return;
    }
    this.log.debug("sip transaction: stray response", { status: resp.status, from: source.address });
    this.callTu("onStrayResponse", () => this.onStrayResponse?.(resp, source));
  }

  private handleRequest(req: SipRequest, source: Target): void {
    const k = serverKey(req);
    if (!k) {
      this.budget.warn("sip-tx-no-via", "sip transaction: request without Via dropped", {
        method: req.method,
        from: source.address,
      });
      return;
    }
    const tx = this.servers.get(k.key);
    if (req.method === "ACK") {
      if (tx instanceof ServerInviteTransaction && (!k.legacy || sameToTag(tx, req)) && tx.receiveAck(req)) return;
      if (this.onAck) this.callTu("onAck", () => this.onAck?.(req, source));
      else this.log.debug("sip transaction: ACK with no handler", { from: source.address });
      return;
    }
    if (tx) {
      this.retransmissions++;
      tx.receive(req);
      return;
    }
    if (this.answerStateless(req, source)) return;
    const refused = this.admission.admit(source.address);
    if (refused) {
      this.refuse(req, source, refused);
      return;
    }
    const created =
      req.method === "INVITE"
        ? new ServerInviteTransaction(k.key, req, source, this.serverCtx)
        : new ServerNonInviteTransaction(k.key, req, source, this.serverCtx);
    this.servers.set(k.key, created);
    if (created instanceof ServerInviteTransaction) created.start();
    this.deliver(created, req);
  }

  /** True when `onStateless` answered: the answer is sent, and nothing is kept. */
  private answerStateless(req: SipRequest, source: Target): boolean {
    if (!this.onStateless) return false;
    let resp: SipResponse | undefined;
    try {
      resp = this.onStateless(req, source);
    } catch (err) {
      this.budget.error("sip-tx-stateless-threw", "sip transaction: stateless handler threw", {
        method: req.method,
        error: errorMessage(err),
      });
      return false;
    }
    if (resp === undefined) return false;
    this.stateless++;
    this.sendStateless(resp, source);
    return true;
  }

  /** Over a cap: a stateless 503 with Retry-After (RFC 3261 §21.5.4), logged within the budget. */
  private refuse(req: SipRequest, source: Target, why: Refusal): void {
    this.budget.warn(`sip-tx-cap-${why}`, "sip transaction: too many live server transactions, answered 503", {
      cap: why,
      limit: why === "total" ? this.admission.total : this.admission.perSource,
      method: req.method,
      from: source.address,
    });
    const resp = buildErrorResponse(req, 503, "Service Unavailable", { toTag: stableTag(req) });
    resp.headers.append("Retry-After", String(this.admission.retryAfterSeconds));
    this.sendStateless(resp, source);
  }

  private sendStateless(resp: SipResponse, source: Target): void {
    let sent: Promise<void>;
    try {
      sent = Promise.resolve(this.sendFn(resp, source));
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.catch((err: unknown) => this.log.debug("sip transaction: stateless answer not sent", { error: String(err) }));
  }

  private callTu(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.budget.error(`sip-tx-${name}-threw`, "sip transaction: callback threw", {
        callback: name,
        error: errorMessage(err),
      });
    }
  }

  /** Hands a new request to the TU; without a TU, or if it throws before answering, answers 500. */
  private deliver(tx: AnyServer, req: SipRequest): void {
    let problem: string | undefined;
    if (!this.onRequest) problem = "no request handler";
    else {
      try {
        this.onRequest(tx, req);
      } catch (err) {
        problem = errorMessage(err);
      }
    }
    if (problem === undefined) return;
    // Our bug rather than the peer's, but the peer can repeat the request: budgeted.
    this.budget.error("sip-tx-unhandled", "sip transaction: request not handled", {
      method: req.method,
      error: problem,
    });
    const answered = tx.lastResponse !== undefined && tx.lastResponse.status >= 200;
    if (!answered && !tx.terminated) {
      try {
        tx.respond(buildErrorResponse(req, 500, "Server Internal Error")).catch(() => {});
      } catch (err) {
        this.log.debug("sip transaction: no 500 possible", { error: errorMessage(err) });
      }
    }
  }
}

/** §17.2.3 for RFC 2543 peers: the ACK's To tag must be the one of the response the transaction sent. */
function sameToTag(tx: ServerInviteTransaction, ack: SipRequest): boolean {
  const sent = tx.lastResponse;
  return sent !== undefined && sent.to.tag === ack.to.tag;
}
