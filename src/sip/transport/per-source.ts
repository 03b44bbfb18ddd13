/**
 * @module sip/transport/per-source
 * Counts of live things (connections, server transactions) per source address, for the per-source
 * caps of every SIP layer. A source is an address, not address and port: one host opening sockets
 * from many ports is still one host. An address leaves the map when its count drops to 0, so the
 * map never holds more entries than there are live things, whoever sends.
 */
export class PerSource {
  private readonly counts = new Map<string, number>();
  private sum = 0;

  /** Live things of this source. */
  get(address: string): number {
    return this.counts.get(address) ?? 0;
  }

  /** Live things of every source. */
  get total(): number {
    return this.sum;
  }

  /** Sources with at least one live thing. */
  get sources(): number {
    return this.counts.size;
  }

  add(address: string): void {
    this.counts.set(address, (this.counts.get(address) ?? 0) + 1);
    this.sum++;
  }

  /** Undoes one `add`; a release for an address with nothing live is ignored. */
  release(address: string): void {
    const n = this.counts.get(address);
    if (n === undefined) return;
    if (n <= 1) this.counts.delete(address);
    else this.counts.set(address, n - 1);
    this.sum--;
  }
}
