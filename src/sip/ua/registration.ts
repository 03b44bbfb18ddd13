/**
 * @module sip/ua/registration
 * One port's registration with the PBX (RFC 3261 §10): REGISTER with digest auth, refresh before the
 * registrar's granted expiry, back off on failure, unregister (Expires: 0) on shutdown. A wrong
 * password fails this port only and is retried slowly; an expired nonce (stale=true) is retried at
 * once and is not a failure.
 *
 * Over TLS the registration lives on a flow (RFC 5626, outbound.ts): the connection the registrar
 * answered on is kept alive by CRLF keep-alives (flows.ts), and when it dies the port counts as not
 * registered and registers again at once, on a new connection, since until then no call can reach it.
 */
import { Backoff } from "../../lib/backoff.ts";
import type { Clock, TimerHandle } from "../../lib/clock.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import { DigestSession } from "../auth/session.ts";
import { formatUri, type SipResponse, sipUri } from "../message/index.ts";
import type { ClientTransaction } from "../transaction/client.ts";
import type { Target } from "../transaction/types.ts";
import type { SipEndpoint } from "./endpoint.ts";
import type { FlowKeeper } from "./flows.ts";
import { flowTimer, registrarUsesOutbound } from "./outbound.ts";
import { buildRegister, newCallId, newTag } from "./register-request.ts";

export interface PortAccount {
  user: string;
  authUser: string | null;
  password: string;
  displayName: string | null;
}

export interface RegistrarSettings {
  /** Request-URI / AoR host. */
  domain: string;
  /** Where REGISTERs go: the PBX, or the outbound proxy. */
  target: Target;
  proxy?: { address: string; port: number };
  expiresSeconds: number;
  /** Expected digest realm (null: take the challenge's). */
  realm: string | null;
  /** Wait after a rejected password before trying again (default 5 min). */
  authRetryMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** TLS: keeps the flows the registrations live on (RFC 5626); absent for UDP and TCP. */
  flows?: FlowKeeper;
}

export type PortState = "idle" | "registering" | "registered" | "failed" | "auth-failed" | "unregistered";

export interface PortStatus {
  user: string;
  state: PortState;
  /** ISO time the registration runs out, while registered. */
  registeredUntil: string | null;
  /** Status line of the last final response, e.g. "200 OK". */
  lastResponse: string | null;
  lastError: string | null;
  /** The flow (TLS) the port is registered on, while it is; null otherwise. */
  flow: FlowStatus | null;
  /** Flows that died under this registration since start (each followed by a new REGISTER). */
  flowsLost: number;
}

export interface FlowStatus {
  /** The registrar answered `Require: outbound`: it sends requests for the port over this flow. */
  outbound: boolean;
  /** Upper bound between CRLF keep-alives (the registrar's Flow-Timer, else 120 s). */
  keepaliveSeconds: number;
  /** ISO time of the last CRLF pong, null before the first. */
  lastPong: string | null;
}

export class PortRegistration {
  private state: PortState = "idle";
  private registeredUntil: number | null = null;
  private lastResponse: string | null = null;
  private lastError: string | null = null;
  private readonly callId: string;
  private readonly fromTag = newTag();
  private cseq = 0;
  private readonly auth: DigestSession;
  private timer: TimerHandle | undefined;
  private readonly backoff: Backoff;
  private stopping = false;
  private unregistered: (() => void) | undefined;
  /** The REGISTER in flight; answers to older ones (a flow died under them) are ignored. */
  private tx: ClientTransaction | undefined;
  private flowId: string | undefined;
  private outbound = false;
  private flowsLost = 0;

  constructor(
    private readonly ep: SipEndpoint,
    private readonly account: PortAccount,
    private readonly reg: RegistrarSettings,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly onChange?: (s: PortStatus) => void,
  ) {
    this.callId = newCallId(ep.bind);
    this.auth = new DigestSession({
      username: account.authUser || account.user,
      password: account.password,
      realm: reg.realm ?? undefined,
    });
    this.backoff = new Backoff(reg.backoff ?? { initialMs: 5_000, maxMs: 300_000 });
  }

  status(): PortStatus {
    return {
      user: this.account.user,
      state: this.state,
      registeredUntil:
        this.registeredUntil && this.state === "registered" ? new Date(this.registeredUntil).toISOString() : null,
      lastResponse: this.lastResponse,
      lastError: this.lastError,
      flow: this.flowStatus(),
      flowsLost: this.flowsLost,
    };
  }

  private flowStatus(): FlowStatus | null {
    const info = this.flowId === undefined ? undefined : this.reg.flows?.info(this.flowId);
    if (!info || this.state !== "registered") return null;
    return {
      outbound: this.outbound,
      keepaliveSeconds: info.keepaliveMs / 1000,
      lastPong: info.lastPong === null ? null : new Date(info.lastPong).toISOString(),
    };
  }

  start(): void {
    this.stopping = false;
    this.send(this.reg.expiresSeconds);
  }

  /** Unregisters (Expires: 0) when registered; resolves on the answer or after `waitMs`. */
  async stop(waitMs = 2000): Promise<void> {
    this.stopping = true;
    this.clock.clearTimeout(this.timer);
    if (this.state !== "registered" && this.state !== "registering") return;
    await new Promise<void>((resolve) => {
      const t = this.clock.setTimeout(resolve, waitMs);
      this.unregistered = () => {
        this.clock.clearTimeout(t);
        resolve();
      };
      this.send(0);
    });
  }

  private set(state: PortState, fields: Partial<Pick<PortStatus, "lastError" | "lastResponse">> = {}): void {
    this.state = state;
    if (fields.lastError !== undefined) this.lastError = fields.lastError;
    if (fields.lastResponse !== undefined) this.lastResponse = fields.lastResponse;
    this.onChange?.(this.status());
  }

  private send(expires: number, auth = this.auth.authorize("REGISTER", this.requestUri())): void {
    this.clock.clearTimeout(this.timer);
    if (expires > 0) this.set(this.state === "registered" ? "registered" : "registering");
    const req = buildRegister({
      user: this.account.user,
      displayName: this.account.displayName,
      domain: this.reg.domain,
      local: { address: this.ep.bind, port: this.ep.port, transport: this.ep.kind },
      callId: this.callId,
      fromTag: this.fromTag,
      cseq: ++this.cseq,
      expires,
      proxy: this.reg.proxy,
      userAgent: this.ep.userAgent,
      auth,
    });
    const tx: ClientTransaction = this.ep.transactions.request(req, this.reg.target, {
      onFinal: (resp) => {
        if (this.tx === tx) this.onFinal(resp, expires, tx);
      },
      onTimeout: () => {
        if (this.tx === tx) this.failed(expires, "no answer from the registrar (timeout)");
      },
      onTransportError: (err) => {
        if (this.tx === tx) this.failed(expires, `transport error: ${errorMessage(err)}`);
      },
    });
    this.tx = tx;
  }

  private requestUri(): string {
    return formatUri(sipUri(this.reg.domain));
  }

  private onFinal(resp: SipResponse, expires: number, tx: ClientTransaction): void {
    const line = `${resp.status} ${resp.reason}`;
    this.lastResponse = line;
    if (resp.status === 401 || resp.status === 407) {
      const values = resp.status === 401 ? resp.wwwAuthenticate : resp.proxyAuthenticate;
      const outcome = this.auth.onChallenge(resp.status, values, { method: "REGISTER", uri: this.requestUri() });
      if (outcome.action === "retry") {
        this.send(expires, outcome.headers);
        return;
      }
      if (expires === 0) {
        this.done();
        return;
      }
      this.logger.warn("SIP port authentication failed", { user: this.account.user, reason: outcome.reason });
      this.set("auth-failed", { lastError: outcome.reason, lastResponse: line });
      this.retryIn(this.reg.authRetryMs ?? 300_000);
      return;
    }
    if (resp.status === 423 && expires > 0) {
      const min = Number(resp.headers.get("Min-Expires"));
      if (Number.isInteger(min) && min > expires) {
        this.send(min);
        return;
      }
    }
    if (resp.status >= 200 && resp.status < 300) {
      if (expires === 0) {
        this.done();
        return;
      }
      const granted = this.grantedExpires(resp, expires);
      const now = this.clock.now();
      this.registeredUntil = now + granted * 1000;
      this.backoff.reset();
      if (!this.keepFlow(resp, tx)) return;
      if (this.state !== "registered")
        this.logger.info("SIP port registered", { user: this.account.user, expires: granted });
      this.set("registered", { lastError: null, lastResponse: line });
      if (!this.stopping)
        this.timer = this.clock.setTimeout(() => this.send(this.reg.expiresSeconds), refreshDelayMs(granted));
      return;
    }
    if (resp.status >= 300) this.failed(expires, `registrar answered ${line}`, line);
  }

  /**
   * TLS: binds the registration to the connection the registrar answered on and keeps it alive.
   * False when that connection is already gone (then a new REGISTER is under way).
   */
  private keepFlow(resp: SipResponse, tx: ClientTransaction): boolean {
    const flows = this.reg.flows;
    const id = tx.responseSource?.connectionId;
    if (!flows || id === undefined) return true;
    if (this.flowId !== undefined && this.flowId !== id) flows.unwatch(this.flowId, this);
    this.flowId = id;
    this.outbound = registrarUsesOutbound(resp.headers.getAll("Require"));
    const registrar = { flowTimerSeconds: flowTimer(resp.headers.get("Flow-Timer")), outbound: this.outbound };
    const kept = flows.watch(id, this, registrar, (reason) => this.flowDied(reason));
    if (!kept) this.flowDied("connection closed before the registration could use it");
    return kept;
  }

  /** The flow is gone: no call reaches the port until it registers again, which it does at once. */
  private flowDied(reason: string): void {
    this.flowId = undefined;
    if (this.stopping) return;
    this.flowsLost++;
    this.registeredUntil = null;
    this.logger.warn("SIP port flow lost, registering again", { user: this.account.user, reason });
    this.set("registering", { lastError: `flow lost: ${reason}` });
    // A REGISTER still out on the dead flow would never be answered: give it up.
    this.tx?.cancel();
    this.send(this.reg.expiresSeconds);
  }

  private failed(expires: number, reason: string, line?: string): void {
    if (expires === 0) {
      this.done();
      return;
    }
    this.logger.warn("SIP port registration failed", { user: this.account.user, reason });
    this.set("failed", { lastError: reason, lastResponse: line });
    this.retryIn(this.backoff.next());
  }

  private retryIn(ms: number): void {
    if (this.stopping) return;
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => this.send(this.reg.expiresSeconds), ms);
  }

  private done(): void {
    this.registeredUntil = null;
    if (this.flowId !== undefined) this.reg.flows?.unwatch(this.flowId, this);
    this.flowId = undefined;
    this.set("unregistered");
    this.unregistered?.();
    this.unregistered = undefined;
  }

  /** The expiry the registrar granted our contact (its Contact expires param), else Expires, else ours. */
  private grantedExpires(resp: SipResponse, asked: number): number {
    try {
      const contacts = resp.contacts;
      if (contacts !== "*") {
        for (const c of contacts) {
          if (c.uri.kind !== "sip" || c.uri.user !== this.account.user || (c.uri.port ?? 5060) !== this.ep.port)
            continue;
          const e = c.params.find((p) => p.name.toLowerCase() === "expires")?.value;
          if (e && Number.isInteger(Number(e))) return Number(e);
        }
      }
      if (resp.expires !== undefined) return resp.expires;
    } catch {
      // A registrar's malformed Contact must not lose a successful registration.
    }
    return asked;
  }
}

/** Refresh well before expiry: half-way for short grants, a minute early for long ones. */
export function refreshDelayMs(grantedSeconds: number): number {
  const s = grantedSeconds > 120 ? grantedSeconds - 60 : grantedSeconds / 2;
  return Math.max(1, s) * 1000;
}
