/**
 * In-memory connections for Mitel link tests: the test plays the PMS, injecting link bytes and
 * messages and reading back what the link wrote as tokens ("ENQ", "ACK", "NAK", or the message text),
 * all synchronously so a FakeClock drives everything.
 */
import type {
  AttachConnection,
  ConnectionEvents,
  FiasClientConnector,
  FiasConnection,
  FiasListener,
  FiasServerConnector,
} from "../../../src/pms/fias/connection.ts";
import { ACK, ENQ, MitelReader, NAK, wrapMessage } from "../../../src/pms/mitel/codec.ts";

export class MitelPeer {
  readonly conn: FiasConnection;
  /** Tokens the link wrote: ENQ, ACK, NAK, or a message's text. */
  readonly written: string[] = [];
  closed = false;
  private events: ConnectionEvents | undefined;
  private readonly reader = new MitelReader();
  private taken = 0;

  constructor(remote: string) {
    this.conn = { remote, write: (b) => this.onWrite(b), close: () => this.shut("closed by link") };
  }

  bind(events: ConnectionEvents): void {
    this.events = events;
  }

  inject(bytes: Uint8Array | string): void {
    if (this.closed) throw new Error("MitelPeer: closed");
    const b = typeof bytes === "string" ? Uint8Array.from(bytes, (c) => c.charCodeAt(0)) : bytes;
    this.events?.onData(b);
  }

  enq(): void {
    this.inject(Uint8Array.of(ENQ));
  }

  ack(): void {
    this.inject(Uint8Array.of(ACK));
  }

  nak(): void {
    this.inject(Uint8Array.of(NAK));
  }

  /** `STX text ETX`. */
  frame(text: string): void {
    this.inject(wrapMessage(Uint8Array.from(text, (c) => c.charCodeAt(0))));
  }

  /** The PMS's whole transaction: ENQ, then (the link having ACKed) the message. */
  send(text: string): void {
    this.enq();
    this.frame(text);
  }

  hangUp(reason = "closed by peer"): void {
    this.shut(reason);
  }

  /** Tokens written since the previous take(). */
  take(): string[] {
    const out = this.written.slice(this.taken);
    this.taken = this.written.length;
    return out;
  }

  private onWrite(bytes: Uint8Array): void {
    if (this.closed) return;
    for (const ev of this.reader.push(bytes)) {
      if (ev.kind === "frame") this.written.push(String.fromCharCode(...ev.bytes));
      else if (ev.kind === "error") throw new Error(`link wrote bad bytes: ${ev.reason}`);
      else this.written.push(ev.kind.toUpperCase());
    }
  }

  private shut(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.events?.onClose(reason);
  }
}

export class MitelClientConnector implements FiasClientConnector {
  readonly mode = "client";
  readonly target = "memory-pms";
  readonly peers: MitelPeer[] = [];
  attempts = 0;
  refuse = 0;

  get peer(): MitelPeer {
    const p = this.peers.at(-1);
    if (!p) throw new Error("no connection yet");
    return p;
  }

  connect(attach: AttachConnection): Promise<FiasConnection> {
    this.attempts++;
    if (this.refuse > 0) {
      this.refuse--;
      return Promise.reject(new Error("connection refused"));
    }
    const peer = new MitelPeer(`pms:${this.attempts}`);
    this.peers.push(peer);
    peer.bind(attach(peer.conn));
    return Promise.resolve(peer.conn);
  }
}

export class MitelServerConnector implements FiasServerConnector {
  readonly mode = "server";
  readonly target = "memory-listen";
  readonly peers: MitelPeer[] = [];
  private attach: AttachConnection | undefined;

  listen(attach: AttachConnection): Promise<FiasListener> {
    this.attach = attach;
    return Promise.resolve({
      close: () => {
        this.attach = undefined;
      },
    });
  }

  dial(): MitelPeer {
    if (!this.attach) throw new Error("not listening");
    const peer = new MitelPeer(`pms-in:${this.peers.length + 1}`);
    this.peers.push(peer);
    peer.bind(this.attach(peer.conn));
    return peer;
  }
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
