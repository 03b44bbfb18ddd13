/**
 * The serial connector and the simulator's `--serial` over a socat pty pair: stty + node:fs, a
 * device missing at start (opened once it appears), the PMS's ENQ at start-up answered NAK, and the
 * simulator's script mode over the serial line (what an installer runs to test a cable).
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import { systemClock } from "../../../src/lib/clock.ts";
import { memoryLogger } from "../../../src/lib/logger.ts";
import { SerialConnector, SerialDevice, sttyArgs } from "../../../src/pms/fias/serial.ts";
import { ACK, ENQ, NAK } from "../../../src/pms/fias/serial-link.ts";
import { simPmsCommand } from "../../../src/sim/pms/cli.ts";
import { newLink, waitFor } from "../../helpers/fias-tcp.ts";
import { PtyPair } from "../../helpers/socat-pty.ts";
import { peerSkip } from "../../peers/available.ts";

const skip = peerSkip("socat");
const LINE = { baud: 115200, dataBits: 8, parity: "none", stopBits: 1 } as const;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** STX text ETX LRC. */
function frame(text: string): Uint8Array {
  const body = new TextEncoder().encode(`${text}\x03`);
  let lrc = 0;
  for (const b of body) lrc ^= b;
  return Uint8Array.of(0x02, ...body, lrc);
}

function capture() {
  const out = { text: "", write: (s: string) => (out.text += s) };
  return out;
}

describe("stty arguments", () => {
  test("raw first, then the character format: 7E1 and 8N2", () => {
    const a = sttyArgs({ device: "/dev/ttyS0", baud: 9600, dataBits: 7, parity: "even", stopBits: 1 });
    assert.deepEqual(a.slice(0, 4), ["-F", "/dev/ttyS0", "9600", "raw"]);
    for (const f of ["cs7", "parenb", "-parodd", "-cstopb", "-ixon", "-crtscts", "clocal"]) assert.ok(a.includes(f), f);
    const b = sttyArgs({ device: "/dev/ttyS0", baud: 19200, dataBits: 8, parity: "odd", stopBits: 2 });
    for (const f of ["cs8", "parenb", "parodd", "cstopb"]) assert.ok(b.includes(f), f);
  });
});

describe("serial connector over a pty pair", () => {
  test("a device missing at start is opened once it appears (backoff); the link comes up", {
    skip,
    timeout: 15_000,
  }, async () => {
    const pty = new PtyPair();
    cleanups.push(() => pty.dispose());
    const connector = new SerialConnector({ device: pty.a, ...LINE, clock: systemClock, logger: memoryLogger() });
    const { link, records } = newLink(connector);
    cleanups.push(() => link.stop());
    link.start();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(link.state, "down");
    await pty.start();
    const got: number[] = [];
    const pms = await SerialDevice.open(
      { device: pty.b, ...LINE },
      { onData: (b) => got.push(...b), onClose: () => {} },
    );
    cleanups.push(() => pms.close());
    // The PMS's ENQ before any record of ours: NAK (Spec App.A FAQ).
    await waitFor("the appliance to open the device", () => link.state === "connecting", 5000);
    pms.write(Uint8Array.of(ENQ));
    await waitFor("NAK", () => got.includes(NAK));
    // The appliance's LS after its init wait: ACK it, LS from the PMS → LD/LR…/LA, each ACKed.
    const frames = () => new TextDecoder("latin1").decode(Uint8Array.from(got));
    await waitFor("LS", () => frames().includes("LS|"));
    pms.write(Uint8Array.of(ACK));
    pms.write(frame("LS|DA260101|TI120000|"));
    // ACK every frame the appliance sends until its LA, then our LA.
    let acked = 0;
    await waitFor(
      "LD/LR/LA",
      () => {
        const n = got.filter((b) => b === 0x03).length;
        for (; acked < n; acked++) pms.write(Uint8Array.of(ACK));
        return frames().includes("LA|");
      },
      5000,
    );
    pms.write(frame("LA|DA260101|TI120001|"));
    await waitFor("linked", () => link.state === "linked", 5000);
    assert.deepEqual(records, []);
  });

  test("bellhop sim pms --serial --script: the installer's cable test", { skip, timeout: 15_000 }, async () => {
    const pty = new PtyPair();
    cleanups.push(() => pty.dispose());
    await pty.start();
    const connector = new SerialConnector({ device: pty.a, ...LINE, clock: systemClock, logger: memoryLogger() });
    const { link, records } = newLink(connector);
    cleanups.push(() => link.stop());
    const file = join(mkdtempSync(join(tmpdir(), "bellhop-sim-")), "s.txt");
    writeFileSync(file, "wait-link 5000\nsend GI|RN101|G#7|GNSmith|\nsend GO|RN101|G#7|\n");
    const stdout = capture();
    const run = simPmsCommand(["--serial", pty.b, "--baud", "115200", "--rooms", "5", "--script", file], {
      stdout,
      stderr: capture(),
    });
    link.start();
    assert.equal(await run, 0, stdout.text);
    await waitFor("GI and GO at the appliance", () => records.includes("GO"), 5000);
    assert.deepEqual(records, ["GI", "GO"]);
    assert.match(stdout.text, /# serial .* 115200 8N1/);
    assert.match(stdout.text, /# script passed/);
  });
});
