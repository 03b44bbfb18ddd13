/**
 * @module sip/auth/session
 * Client-side digest state of one registration (RFC 3261 §22.2–22.4, RFC 7616, RFC 8760): answers
 * 401/407 challenges, reuses the nonce pre-emptively with a rising nonce count, and tells a wrong
 * password from an expired nonce so a rejected account never loops.
 *
 * Protocol, per request sent under this session:
 * - a new request takes its credentials from `authorize(method, uri)` (none before the first
 *   challenge); calling it marks the start of a new attempt;
 * - a 401/407 response goes to `onChallenge(status, headerValues, request)`; on `retry`, resend the
 *   request (CSeq + 1) carrying `headers` and give its response to `onChallenge` again if challenged.
 *
 * Rules: among several challenges for one realm the strongest algorithm wins (SHA-256 over MD5, the
 * server's order among equals); qop=auth is used when offered, the RFC 2069 form when no qop is
 * offered, and a challenge offering only auth-int is refused. A challenge answering our retry of that
 * realm without `stale=true` means the server rejected the credentials (Kamailio answers a wrong
 * password with another 401, not 403): fail, do not loop. `stale=true` retries once with the new nonce.
 *
 * The password is held in a private field and appears in no returned string except through the
 * computed `response` hash.
 */

import { randomBytes } from "node:crypto";
import { type DigestChallenge, parseChallenges } from "./challenge.ts";
import { formatAuthorization } from "./credentials.ts";
import { computeDigestResponse, type DigestAlgorithm, isSessionAlgorithm } from "./digest.ts";

export type AuthHeaderName = "Authorization" | "Proxy-Authorization";

export interface AuthHeader {
  name: AuthHeaderName;
  value: string;
}

export type ChallengeFailure =
  /** The server challenged our answer again without stale=true: wrong password or user. */
  | "rejected"
  /** The server said stale=true again right after a stale retry. */
  | "stale-loop"
  /** Nothing we can answer: no Digest, unknown algorithm, only qop=auth-int. */
  | "unsupported"
  /** Missing header, no realm or nonce. */
  | "malformed"
  /** Challenges only for realms other than the configured one. */
  | "realm-mismatch"
  /** The status is not 401 or 407. */
  | "not-a-challenge";

export type ChallengeOutcome =
  | {
      action: "retry";
      /** The credentials answering this challenge (the first realm when it named several). */
      header: AuthHeader;
      /** Every header the retried request carries: `header`, further realms, and pre-emptive credentials
       * for realms challenged earlier (a registrar's after a proxy's 407, RFC 3261 §22.3). */
      headers: AuthHeader[];
    }
  | { action: "fail"; code: ChallengeFailure; reason: string };

export interface ChallengedRequest {
  method: string;
  /** The Request-URI, used as the digest-uri. */
  uri: string;
}

export interface DigestSessionOptions {
  username: string;
  password: string;
  /** Answer only challenges for this realm; by default any realm is answered. */
  realm?: string;
  /** Client nonce source (tests inject a fixed one); default 16 random bytes as hex. */
  cnonce?: () => string;
}

interface RealmState {
  name: AuthHeaderName;
  challenge: DigestChallenge;
  /** Requests sent with this nonce so far. */
  nc: number;
  /** The -sess algorithms keep one cnonce per nonce, so HA1 is the same whichever way the server reads RFC 2617. */
  sessionCnonce?: string;
  /** How the last request carried these credentials: answering a challenge, or pre-emptively. */
  sent: "retry" | "preemptive";
  /** The current answer is already the one stale retry. */
  staleRetried: boolean;
}

const STRENGTH: Record<DigestAlgorithm, number> = { MD5: 1, "MD5-sess": 1, "SHA-256": 2, "SHA-256-sess": 2 };

const defaultCnonce = () => randomBytes(16).toString("hex");

/** Why a challenge cannot be answered, or undefined when it can (qop=auth, or no qop at all). */
function qopProblem(c: DigestChallenge): string | undefined {
  if (c.qop.length === 0 || c.qop.includes("auth")) return undefined;
  const offered = c.qop.join(", ");
  if (c.qop.includes("auth-int")) {
    return `realm ${JSON.stringify(c.realm)} offers only qop=${offered}; auth-int is not supported`;
  }
  return `realm ${JSON.stringify(c.realm)} offers only unsupported qop ${JSON.stringify(offered)}`;
}

export class DigestSession {
  readonly username: string;
  readonly realm?: string;
  readonly #password: string;
  readonly #cnonce: () => string;
  readonly #states = new Map<string, RealmState>();

  constructor(options: DigestSessionOptions) {
    this.username = options.username;
    this.realm = options.realm;
    this.#password = options.password;
    this.#cnonce = options.cnonce ?? defaultCnonce;
  }

  /** Decides what to do with a 401/407 response; `headerValues` are its WWW-/Proxy-Authenticate values. */
  onChallenge(status: number, headerValues: readonly string[], request: ChallengedRequest): ChallengeOutcome {
    const name: AuthHeaderName | undefined =
      status === 401 ? "Authorization" : status === 407 ? "Proxy-Authorization" : undefined;
    if (!name) return fail("not-a-challenge", `status ${status} is not an authentication challenge (401 or 407)`);
    const challengeHeader = status === 401 ? "WWW-Authenticate" : "Proxy-Authenticate";
    if (headerValues.length === 0) return fail("malformed", `${status} without a ${challengeHeader} header`);

    const problems: string[] = [];
    let unsupported = false;
    const digests: DigestChallenge[] = [];
    for (const value of headerValues) {
      for (const parsed of parseChallenges(value)) {
        if (parsed.ok) digests.push(parsed.challenge);
        else {
          problems.push(parsed.reason);
          if (parsed.problem === "unsupported") unsupported = true;
        }
      }
    }
    let candidates = digests;
    if (this.realm !== undefined) {
      candidates = digests.filter((c) => c.realm === this.realm);
      if (candidates.length === 0 && digests.length > 0) {
        const offered = [...new Set(digests.map((c) => JSON.stringify(c.realm)))].join(", ");
        return fail(
          "realm-mismatch",
          `${challengeHeader} offers realm ${offered}, the account is for realm ${JSON.stringify(this.realm)}`,
        );
      }
    }

    // Per realm, the strongest usable challenge; the server's order decides among equals.
    const chosen = new Map<string, DigestChallenge>();
    for (const c of candidates) {
      const problem = qopProblem(c);
      if (problem) {
        problems.push(problem);
        unsupported = true;
        continue;
      }
      const best = chosen.get(c.realm);
      if (!best || STRENGTH[c.algorithm] > STRENGTH[best.algorithm]) chosen.set(c.realm, c);
    }
    if (chosen.size === 0) {
      const why = problems.length ? problems.join("; ") : `${challengeHeader} holds no challenge`;
      return fail(unsupported ? "unsupported" : "malformed", `no usable Digest challenge: ${why}`);
    }

    // Check every realm before changing any state.
    const next: { key: string; state: RealmState }[] = [];
    for (const c of chosen.values()) {
      const key = `${name}\0${c.realm}`;
      const prev = this.#states.get(key);
      const answeredBefore = prev?.sent === "retry";
      if (answeredBefore && !c.stale) {
        this.#states.delete(key);
        return fail(
          "rejected",
          `authentication failed for user ${JSON.stringify(this.username)} in realm ${JSON.stringify(c.realm)}: ` +
            "wrong password or user (the server challenged our answer again without stale=true)",
        );
      }
      if (answeredBefore && prev?.staleRetried) {
        this.#states.delete(key);
        return fail(
          "stale-loop",
          `realm ${JSON.stringify(c.realm)} answered stale=true again right after a retry with a fresh nonce`,
        );
      }
      const sameNonce = prev !== undefined && prev.challenge.nonce === c.nonce;
      next.push({
        key,
        state: {
          name,
          challenge: c,
          nc: sameNonce ? prev.nc : 0,
          sessionCnonce: sameNonce && prev.challenge.algorithm === c.algorithm ? prev.sessionCnonce : undefined,
          sent: "retry",
          staleRetried: c.stale,
        },
      });
    }
    for (const { key, state } of next) this.#states.set(key, state);

    const answering = new Set(next.map((n) => n.state));
    const answers: AuthHeader[] = [];
    const others: AuthHeader[] = [];
    for (const state of this.#states.values()) {
      const header = this.#credentials(state, request.method, request.uri);
      if (answering.has(state)) answers.push(header);
      else {
        state.sent = "preemptive";
        state.staleRetried = false;
        others.push(header);
      }
    }
    return { action: "retry", header: answers[0], headers: [...answers, ...others] };
  }

  /**
   * Credentials for a new request, reusing each remembered nonce with the next nonce count (empty
   * before any challenge). Call it once per request sent (not for a retry from onChallenge).
   */
  authorize(method: string, uri: string): AuthHeader[] {
    const out: AuthHeader[] = [];
    for (const state of this.#states.values()) {
      state.sent = "preemptive";
      state.staleRetried = false;
      out.push(this.#credentials(state, method, uri));
    }
    return out;
  }

  /** Forgets every remembered challenge (e.g. after the account's credentials changed). */
  reset(): void {
    this.#states.clear();
  }

  /** The realms with a remembered challenge (for diagnostics; no secrets). */
  get realms(): { name: AuthHeaderName; realm: string; algorithm: DigestAlgorithm; nc: number }[] {
    return [...this.#states.values()].map((s) => ({
      name: s.name,
      realm: s.challenge.realm,
      algorithm: s.challenge.algorithm,
      nc: s.nc,
    }));
  }

  toJSON(): { username: string; realms: DigestSession["realms"] } {
    return { username: this.username, realms: this.realms };
  }

  #credentials(state: RealmState, method: string, uri: string): AuthHeader {
    const c = state.challenge;
    state.nc++;
    const qop = c.qop.length > 0 ? "auth" : undefined;
    let cnonce: string | undefined;
    if (isSessionAlgorithm(c.algorithm)) {
      state.sessionCnonce ??= this.#cnonce();
      cnonce = state.sessionCnonce;
    } else if (qop) {
      cnonce = this.#cnonce();
    }
    const response = computeDigestResponse({
      algorithm: c.algorithm,
      username: this.username,
      realm: c.realm,
      password: this.#password,
      nonce: c.nonce,
      method,
      uri,
      qop,
      nc: qop ? state.nc : undefined,
      cnonce,
    });
    const value = formatAuthorization({
      username: this.username,
      realm: c.realm,
      nonce: c.nonce,
      uri,
      response,
      algorithm: c.algorithm,
      cnonce,
      opaque: c.opaque,
      qop,
      nc: qop ? state.nc : undefined,
    });
    return { name: state.name, value };
  }
}

function fail(code: ChallengeFailure, reason: string): ChallengeOutcome {
  return { action: "fail", code, reason };
}
