/** Test helpers for the CTI server: a plain TCP STLI client, and fake phones behind PhoneControl. */
import net from "node:net";
import type { ActionUrls, CtiKey, CtiPhone, PhoneControl } from "../../src/cti/phone-control.ts";

/** A line-reading TCP client, as a FileMaker plug-in would be (node:net, nothing of ours). */
export class StliClient {
  readonly lines: string[] = [];
  /** Raw text received, to check the CR LF terminators. */
  raw = "";
  closed = false;
  private buffer = "";
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => {
      this.raw += text;
      this.buffer += text;
      for (;;) {
        const i = this.buffer.indexOf("\n");
        if (i < 0) break;
        this.lines.push(this.buffer.slice(0, i).replace(/\r$/, ""));
        this.buffer = this.buffer.slice(i + 1);
      }
      this.wake();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(port: number, host = "127.0.0.1"): Promise<StliClient> {
    return new Promise((resolve, reject) => {
      const s = net.createConnection({ port, host });
      s.once("connect", () => resolve(new StliClient(s)));
      s.once("error", reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits until `pred` holds, or fails after `ms`. */
  async until(what: string, pred: () => boolean, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; lines: ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next `n` lines after those already taken. */
  private taken = 0;
  async next(n = 1, ms = 3000): Promise<string[]> {
    await this.until(`${n} line(s)`, () => this.lines.length >= this.taken + n, ms);
    const out = this.lines.slice(this.taken, this.taken + n);
    this.taken += n;
    return out;
  }

  /** Sends `line` + CR LF (or the given terminator) and returns the next reply line. */
  async command(line: string, eol = "\r\n"): Promise<string> {
    this.send(`${line}${eol}`);
    const [r] = await this.next(1);
    return r as string;
  }

  send(text: string | Uint8Array): void {
    this.socket.write(text);
  }

  /** Lines not taken yet. */
  get unread(): string[] {
    return this.lines.slice(this.taken);
  }

  waitClosed(ms = 3000): Promise<void> {
    return this.until("the server to close the connection", () => this.closed, ms);
  }

  close(): void {
    this.socket.destroy();
  }
}

export type PhoneRequest =
  | { ip: string; op: "dial"; number: string; transfer: boolean }
  | { ip: string; op: "key"; key: CtiKey }
  | { ip: string; op: "actionUrls"; urls: ActionUrls };

/** Phones that accept every request, except the IPs marked down; every request is recorded. */
export class FakePhones implements PhoneControl {
  readonly requests: PhoneRequest[] = [];
  readonly down = new Set<string>();
  /** IPs whose requests never answer (the request timeout applies). */
  readonly hang = new Set<string>();
  /** Who each request was for (credentials included). */
  readonly phones: CtiPhone[] = [];

  private async take(phone: CtiPhone, r: PhoneRequest): Promise<void> {
    this.phones.push(phone);
    if (this.hang.has(phone.ip)) return new Promise<void>(() => {});
    await Promise.resolve();
    if (this.down.has(phone.ip)) throw new Error(`phone ${phone.ip} unreachable`);
    this.requests.push(r);
  }

  dial(phone: CtiPhone, number: string, opts?: { transfer?: boolean }): Promise<void> {
    return this.take(phone, { ip: phone.ip, op: "dial", number, transfer: opts?.transfer === true });
  }

  pressKey(phone: CtiPhone, key: CtiKey): Promise<void> {
    return this.take(phone, { ip: phone.ip, op: "key", key });
  }

  setActionUrls(phone: CtiPhone, urls: ActionUrls): Promise<void> {
    return this.take(phone, { ip: phone.ip, op: "actionUrls", urls });
  }
}
