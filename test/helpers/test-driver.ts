/**
 * A PBX driver for job-runner tests: records every op it is given, fails on command (a plain error,
 * or a PbxError with its options), and can be told its start-up probe finds a capability missing.
 */
import type { Capability, PbxOp } from "../../src/domain/pbx-ops.ts";
import { type PbxDriver, PbxError, type PbxErrorOptions } from "../../src/pbx/driver.ts";

export const allCapabilities: readonly Capability[] = [
  "names",
  "checkin-state",
  "dnd",
  "class-of-service",
  "guest-info",
  "voicemail-cleanup",
];

interface Failure {
  times: number;
  error: () => Error;
  match: (op: PbxOp) => boolean;
}

export class TestDriver implements PbxDriver {
  readonly type = "test";
  readonly capabilities: readonly Capability[];
  /** Every op execute() was called with, failed attempts included, in call order. */
  readonly calls: PbxOp[] = [];
  /** The ops that succeeded. */
  readonly done: PbxOp[] = [];
  probes = 0;
  closed = false;
  private readonly missing = new Set<Capability>();
  private failures: Failure[] = [];

  constructor(capabilities: readonly Capability[] = allCapabilities) {
    this.capabilities = capabilities;
  }

  /** The next `times` matching ops fail with a plain error (a driver bug or a dropped connection). */
  fail(times: number, message = "PBX unreachable", match: (op: PbxOp) => boolean = () => true): this {
    this.failures.push({ times, error: () => new Error(message), match });
    return this;
  }

  /** The next `times` matching ops throw a PbxError with these options. */
  failWith(
    times: number,
    opts: PbxErrorOptions,
    message = "PBX refused",
    match: (op: PbxOp) => boolean = () => true,
  ): this {
    this.failures.push({ times, error: () => new PbxError(message, opts), match });
    return this;
  }

  /** The start-up probe will report this capability as unavailable on the installation. */
  removeCapability(cap: Capability): this {
    this.missing.add(cap);
    return this;
  }

  async probe(): Promise<readonly Capability[]> {
    this.probes++;
    return this.capabilities.filter((c) => !this.missing.has(c));
  }

  async execute(op: PbxOp): Promise<void> {
    this.calls.push(op);
    const f = this.failures.find((x) => x.times > 0 && x.match(op));
    if (f) {
      f.times--;
      throw f.error();
    }
    this.done.push(op);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
