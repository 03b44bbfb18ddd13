/** The flags the FIAS and Mitel PMS simulator commands share (src/sim/pms/cli-common.ts). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseFlags } from "../../../src/sim/cli-args.ts";
import { UsageError } from "../../../src/sim/cli-io.ts";
import { checkWhere, type PmsSimArgs, pmsSimDefaults, pmsSimFlags } from "../../../src/sim/pms/cli-common.ts";

function parse(argv: string[]): PmsSimArgs {
  const a = pmsSimDefaults();
  parseFlags(argv, a, pmsSimFlags(a));
  checkWhere(a);
  return a;
}

const usage = (argv: string[], message: string) =>
  assert.throws(
    () => parse(argv),
    (err) => err instanceof UsageError && err.message === message,
  );

describe("PMS simulator flags", () => {
  test("where the PMS is, its line and its hotel", () => {
    const a = parse(["--serial", "/dev/ttyS0", "--baud", "19200", "--data-bits", "7", "--parity", "even"]);
    assert.equal(a.serial, "/dev/ttyS0");
    assert.deepEqual(a.line, { baud: 19200, dataBits: 7, parity: "even", stopBits: 1 });
    assert.deepEqual(parse(["--connect", "h:5010"]).connect, { host: "h", port: 5010 });
    const b = parse(["--listen", "0", "--occupancy", "0.5", "--charset", "cp850", "--host", "::1"]);
    assert.deepEqual([b.listen, b.occupancy, b.charset, b.host], [0, 0.5, "cp850", "::1"]);
    // Each parse has its own line: the defaults are not shared.
    assert.deepEqual(parse(["--listen", "0"]).line, { baud: 9600, dataBits: 8, parity: "none", stopBits: 1 });
  });

  test("bad values and a missing or second place are usage errors", () => {
    usage([], "give exactly one of --listen PORT, --connect HOST:PORT or --serial DEVICE");
    usage(
      ["--listen", "0", "--serial", "/dev/x"],
      "give exactly one of --listen PORT, --connect HOST:PORT or --serial DEVICE",
    );
    usage(["--serial", "x", "--stop-bits", "3"], "--stop-bits wants a whole number from 1 to 2");
    usage(["--serial", "x", "--parity", "mark"], "--parity: none or even or odd");
    usage(["--listen", "0", "--occupancy", "2"], "--occupancy wants a number in 0..1");
    usage(["--listen", "0", "--charset", "ascii"], "--charset: latin1 or utf8 or cp850 or cp1252");
  });
});
