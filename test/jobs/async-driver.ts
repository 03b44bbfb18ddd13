/**
 * A PBX driver whose ops are "accepted, not done", as VOIspeed's: each op resolves with a fresh
 * external reference (`r1`, `r2`, …), can be held until the test releases it, and can declare
 * capabilities it never offers. For the runner and `failPbxJobLater` tests.
 */
import type { Capability, PbxOp } from "../../src/domain/pbx-ops.ts";
import type { PbxDriver, PbxExecuteResult } from "../../src/pbx/driver.ts";

export class AsyncDriver implements PbxDriver {
  readonly type = "async";
  readonly capabilities: readonly Capability[] = ["names", "checkin-state", "dnd", "class-of-service"];
  readonly unavailable: Partial<Record<Capability, string>> = {
    "class-of-service": "this PBX has no class of service",
  };
  /** Every op executed, in order, with the reference it got. */
  readonly calls: { op: PbxOp; ref: string | undefined }[] = [];
  private n = 0;
  private held: { resolve: () => void }[] = [];
  /** Ops of these kinds resolve with nothing (done at once). */
  readonly immediate = new Set<PbxOp["op"]>(["name"]);
  /** While set, execute waits for `release()`. */
  hold = false;

  async probe(): Promise<readonly Capability[]> {
    return this.capabilities;
  }

  async execute(op: PbxOp): Promise<PbxExecuteResult | undefined> {
    if (this.hold) await new Promise<void>((resolve) => this.held.push({ resolve }));
    const ref = this.immediate.has(op.op) ? undefined : `r${++this.n}`;
    this.calls.push({ op, ref });
    return ref ? { externalRef: ref } : undefined;
  }

  /** Lets the held ops go on. */
  release(): void {
    this.hold = false;
    for (const h of this.held.splice(0)) h.resolve();
  }

  /** How many ops are waiting for `release()`. */
  get waiting(): number {
    return this.held.length;
  }

  /** The DND values executed, in order. */
  dnds(): boolean[] {
    return this.calls.flatMap((c) => (c.op.op === "dnd" ? [c.op.dnd] : []));
  }
}
