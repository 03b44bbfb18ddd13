/**
 * In-memory FIAS transport for link tests: the test plays the PMS through a MemoryPeer, injecting
 * bytes and reading back what the link wrote, all synchronously so a FakeClock drives everything.
 */
import { type Charset, encode } from "../../src/lib/charset.ts";
import type {
  AttachConnection,
  ConnectionEvents,
  FiasClientConnector,
  FiasConnection,
  FiasListener,
  FiasServerConnector,
} from "../../src/pms/fias/connection.ts";
import { FrameReader, wrapFrame } from "../../src/pms/fias/frame.ts";
import { type FiasRecord, formatRecord, parseRecord } from "../../src/pms/fias/record.ts";

/** The PMS end of one in-memory connection. */
export class MemoryPeer {
  readonly conn: FiasConnection;
  /** Raw chunks the link wrote, in order. */
  readonly written: Uint8Array[] = [];
  /** Chunks the link wrote after the connection closed (a bug if non-zero). */
  writesAfterClose = 0;
  closed = false;
  closeReason: string | undefined;
  private events: ConnectionEvents | undefined;
  private readonly reader = new FrameReader();
  private readonly received: FiasRecord[] = [];
  private taken = 0;

  constructor(
    remote: string,
    private readonly charset: Charset = "latin1",
  ) {
    this.conn = {
      remote,
      write: (bytes) => this.onLinkWrite(bytes),
      close: () => this.shut("closed by link"),
    };
  }

  bind(events: ConnectionEvents): void {
    this.events = events;
  }

  /** Sends records given in text form (`LS|DA260101|TI120000|`), each framed STX…ETX. */
  send(...texts: string[]): void {
    for (const text of texts) this.inject(wrapFrame(encode(text, this.charset)));
  }

  /** Delivers raw bytes to the link, as one read. */
  inject(bytes: Uint8Array | string): void {
    if (this.closed) throw new Error("MemoryPeer: connection is closed");
    const chunk = typeof bytes === "string" ? encode(bytes, "latin1") : bytes;
    this.events?.onData(chunk);
  }

  /** The PMS hangs up. */
  hangUp(reason = "closed by peer"): void {
    this.shut(reason);
  }

  /** Every record the link wrote, parsed. */
  records(): FiasRecord[] {
    return this.received;
  }

  /** Text form of the records written since the previous take(). */
  take(): string[] {
    const out = this.received.slice(this.taken).map(formatRecord);
    this.taken = this.received.length;
    return out;
  }

  /** Record types written since the previous take(). */
  takeTypes(): string[] {
    return this.take().map((t) => t.slice(0, 2));
  }

  private onLinkWrite(bytes: Uint8Array): void {
    if (this.closed) {
      this.writesAfterClose++;
      return;
    }
    this.written.push(bytes.slice());
    for (const ev of this.reader.push(bytes)) {
      if (ev.kind !== "frame") throw new Error(`link wrote a bad frame: ${ev.reason}`);
      const r = parseRecord(ev.bytes, this.charset);
      if (!r.ok) throw new Error(`link wrote a bad record: ${r.reason}`);
      this.received.push(r.record);
    }
  }

  private shut(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.events?.onClose(reason);
  }
}

/** Client mode: every connect() opens a new MemoryPeer unless `refuse` says it fails. */
export class MemoryClientConnector implements FiasClientConnector {
  readonly mode = "client";
  readonly target = "memory-pms";
  readonly peers: MemoryPeer[] = [];
  attempts = 0;
  /** How many of the next dials are refused. */
  refuse = 0;

  constructor(private readonly charset: Charset = "latin1") {}

  /** The newest connection. */
  get peer(): MemoryPeer {
    const p = this.peers.at(-1);
    if (!p) throw new Error("MemoryClientConnector: no connection yet");
    return p;
  }

  connect(attach: AttachConnection): Promise<FiasConnection> {
    this.attempts++;
    if (this.refuse > 0) {
      this.refuse--;
      return Promise.reject(new Error("connection refused"));
    }
    const peer = new MemoryPeer(`pms:${this.attempts}`, this.charset);
    this.peers.push(peer);
    peer.bind(attach(peer.conn));
    return Promise.resolve(peer.conn);
  }
}

/** Server mode: the test makes the PMS dial in with dial(). */
export class MemoryServerConnector implements FiasServerConnector {
  readonly mode = "server";
  readonly target = "memory-listen";
  readonly peers: MemoryPeer[] = [];
  listens = 0;
  private attach: AttachConnection | undefined;

  constructor(private readonly charset: Charset = "latin1") {}

  get listening(): boolean {
    return this.attach !== undefined;
  }

  listen(attach: AttachConnection): Promise<FiasListener> {
    this.listens++;
    this.attach = attach;
    return Promise.resolve({
      close: () => {
        this.attach = undefined;
      },
    });
  }

  /** A PMS connects. */
  dial(): MemoryPeer {
    if (!this.attach) throw new Error("MemoryServerConnector: not listening");
    const peer = new MemoryPeer(`pms-in:${this.peers.length + 1}`, this.charset);
    this.peers.push(peer);
    peer.bind(this.attach(peer.conn));
    return peer;
  }
}

/** Lets promise callbacks (a refused dial, stop()) run; no real time passes. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
