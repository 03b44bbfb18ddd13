/**
 * @module sim/snom/actions
 * The phone's outbound action-URL GETs: one at a time, in the order the events happened (the next
 * waits for the previous answer or its time-out), never retried (ours: SNOM documents no retry), every
 * attempt recorded. Credentials in the URL (`http://u:p@host/…`) become a Basic Authorization header.
 * A non-2xx answer is recorded as an error, like a network one. Sent from the phone's own address
 * (outbound.ts), so the receiver sees which phone it is.
 */
import { Buffer } from "node:buffer";
import type { ActionEvent, FiredAction } from "./model.ts";
import { phoneGet } from "./outbound.ts";

export interface ActionRequest {
  event: ActionEvent;
  setting: string;
  template: string;
  url: string;
  unknownVariables: string[];
  call: number | null;
}

export class ActionSender {
  readonly fired: FiredAction[] = [];
  /** Called after each attempt (the CLI prints it). */
  onFired?: (a: FiredAction) => void;
  private chain: Promise<void> = Promise.resolve();
  private seq = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly now: () => number,
    /** The address the phone listens on (requests go out from it); undefined: any. */
    private readonly listenHost: () => string | undefined = () => undefined,
  ) {}

  send(r: ActionRequest): void {
    const a: FiredAction = { seq: ++this.seq, at: this.now(), ...r, status: null };
    this.chain = this.chain.then(() => this.deliver(a));
  }

  /** Resolves once every action queued so far has been answered or has failed. */
  idle(): Promise<void> {
    return this.chain;
  }

  private async deliver(a: FiredAction): Promise<void> {
    try {
      const { url, headers } = withoutUserInfo(a.url);
      a.sentAt = this.now();
      const res = await phoneGet(url, { headers, timeoutMs: this.timeoutMs, listenHost: this.listenHost() });
      a.status = res.status;
      if (res.status < 200 || res.status > 299) a.error = `HTTP ${res.status}`;
    } catch (err) {
      a.error = err instanceof Error ? err.message : String(err);
    }
    a.doneAt = this.now();
    this.fired.push(a);
    this.onFired?.(a);
  }
}

/** Moves `user:pass@` out of a URL into a Basic Authorization header. */
export function withoutUserInfo(raw: string): { url: string; headers: Record<string, string> } {
  if (!URL.canParse(raw)) throw new Error(`not a URL: ${raw}`);
  const u = new URL(raw);
  if (!/^https?:$/.test(u.protocol)) throw new Error(`not an http URL: ${raw}`);
  if (!u.username && !u.password) return { url: raw, headers: {} };
  const basic = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString("base64");
  u.username = "";
  u.password = "";
  return { url: u.toString(), headers: { Authorization: `Basic ${basic}` } };
}
