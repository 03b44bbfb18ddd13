/**
 * Test doubles for the transaction layer: a FakeClock, a `send` that records (message, target, time)
 * and can be told to reject, and builders for requests and responses.
 */
import { FakeClock } from "../../../src/lib/clock.ts";
import { Headers } from "../../../src/sip/message/headers.ts";
import { type SipMessage, SipRequest, type SipResponse } from "../../../src/sip/message/message.ts";
import { buildErrorResponse } from "../../../src/sip/message/response.ts";
import { sipUri } from "../../../src/sip/message/uri.ts";
import { TransactionLayer, type TransactionLayerOptions } from "../../../src/sip/transaction/layer.ts";
import { DEFAULT_TIMERS } from "../../../src/sip/transaction/timers.ts";
import type { Target } from "../../../src/sip/transaction/types.ts";

export interface Sent {
  msg: SipMessage;
  target: Target;
  /** Milliseconds since the harness started. */
  at: number;
}

export const UDP_PEER: Target = { transport: "udp", address: "10.0.0.20", port: 5060 };
export const TCP_PEER: Target = { transport: "tcp", address: "10.0.0.20", port: 5060, connectionId: "tcp-7" };

export function harness(opts: Partial<Omit<TransactionLayerOptions, "send" | "clock">> = {}) {
  const clock = new FakeClock();
  const t0 = clock.now();
  const sent: Sent[] = [];
  /** When set, the next sends reject with this error (after being recorded). */
  const control: { fail: Error | undefined } = { fail: undefined };
  const layer = new TransactionLayer({
    send: async (msg, target) => {
      sent.push({ msg, target, at: clock.now() - t0 });
      if (control.fail) throw control.fail;
    },
    clock,
    timers: opts.timers ?? DEFAULT_TIMERS,
    ...opts,
  });
  return {
    clock,
    layer,
    sent,
    control,
    /** Advances the fake clock to `ms` after the start. */
    at(ms: number) {
      const now = clock.now() - t0;
      if (ms < now) throw new Error(`cannot go back to ${ms} from ${now}`);
      clock.advance(ms - now);
    },
    /** Times of the sent requests with this method. */
    requestTimes(method: string): number[] {
      return sent.filter((s) => s.msg.kind === "request" && s.msg.method === method).map((s) => s.at);
    },
    /** Times of the sent responses with this status. */
    responseTimes(status: number): number[] {
      return sent.filter((s) => s.msg.kind === "response" && s.msg.status === status).map((s) => s.at);
    },
  };
}

/** Lets rejected sends reach the transaction (they arrive as microtasks). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

let counter = 0;

export function branch(): string {
  return `z9hG4bK-test-${++counter}`;
}

export interface RequestOptions {
  branch?: string;
  cseq?: number;
  /** Extra Via lines under the top one (a request that came through a proxy). */
  lowerVias?: string[];
  sentBy?: string;
  transport?: string;
  callId?: string;
  toTag?: string;
  extra?: Array<[string, string]>;
}

export function request(method: string, o: RequestOptions = {}): SipRequest {
  const b = o.branch ?? branch();
  const headers = new Headers([
    ["Via", `SIP/2.0/${o.transport ?? "UDP"} ${o.sentBy ?? "10.0.0.5:5060"};branch=${b};rport`],
    ...(o.lowerVias ?? []).map((v): [string, string] => ["Via", v]),
    ["Max-Forwards", "70"],
    ["Route", "<sip:10.0.0.1;lr>"],
    ["Route", "<sip:10.0.0.2;lr>"],
    ["From", '"Room 101" <sip:101@hotel.test>;tag=from-1'],
    ["To", o.toTag ? `<sip:102@hotel.test>;tag=${o.toTag}` : "<sip:102@hotel.test>"],
    ["Call-ID", o.callId ?? "call-1@10.0.0.5"],
    ["CSeq", `${o.cseq ?? 1} ${method}`],
    ["Contact", "<sip:101@10.0.0.5:5060>"],
    ...(o.extra ?? []),
  ]);
  return new SipRequest(method, sipUri("hotel.test", { user: "102" }), headers);
}

/** A response to `req` with Via, From, To (+ tag), Call-ID and CSeq copied. */
export function response(req: SipRequest, status: number, reason = "Reason", toTag = "to-1"): SipResponse {
  return buildErrorResponse(req, status, reason, { toTag });
}

/** Copies a message's raw headers, for comparing what went out. */
export function headerLines(msg: SipMessage, name: string): string[] {
  return msg.headers.getAll(name);
}
