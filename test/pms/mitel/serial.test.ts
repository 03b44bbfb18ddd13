/** The Mitel serial connector on a socat pty pair: bytes both ways, and a device that vanishes and returns. */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { systemClock } from "../../../src/lib/clock.ts";
import { silentLogger } from "../../../src/lib/logger.ts";
import { ACK, ENQ, MitelReader, wrapMessage } from "../../../src/pms/mitel/codec.ts";
import { MitelLink } from "../../../src/pms/mitel/link.ts";
import type { MitelMessage } from "../../../src/pms/mitel/messages.ts";
import { MitelSerialConnector } from "../../../src/pms/mitel/serial.ts";
import { MitelSerialDevice } from "../../../src/pms/mitel/serial-device.ts";
import type { PmsState } from "../../../src/pms/port.ts";
import { PtyPair } from "../../helpers/socat-pty.ts";
import { eventually } from "../../integration/support.ts";
import { peerSkip } from "../../peers/available.ts";

const skip = peerSkip("socat");
const LINE = { baud: 115200, dataBits: 8, parity: "none", stopBits: 1 } as const;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe("Mitel over a serial device", () => {
  test("a PMS transaction, and the link reopens the device after it vanished", { skip, timeout: 20_000 }, async () => {
    const pty = new PtyPair();
    cleanups.push(() => pty.dispose());
    await pty.start();
    const states: PmsState[] = [];
    const got: MitelMessage[] = [];
    const link = new MitelLink({
      connector: new MitelSerialConnector({ device: pty.a, ...LINE, logger: silentLogger }),
      clock: systemClock,
      logger: silentLogger,
      charset: "latin1",
      holdDeliveryMs: 0,
      backoff: { initialMs: 50, maxMs: 200 },
      handlers: { onRecord: (m) => got.push(m), onState: (s) => states.push(s) },
    });
    cleanups.push(() => link.stop());
    link.start();
    await eventually("linked", () => link.state === "linked", 5000);

    const reader = new MitelReader();
    const heard: string[] = [];
    const open = () =>
      MitelSerialDevice.open(
        { device: pty.b, ...LINE },
        {
          onData: (b) => {
            for (const ev of reader.push(b)) heard.push(ev.kind);
          },
          onClose: () => {},
        },
      );
    let pms = await open();
    pms.write(Uint8Array.of(ENQ));
    await eventually("ACK to the ENQ", () => heard.includes("ack"), 2000);
    pms.write(wrapMessage(Uint8Array.from("CHK1   101", (c) => c.charCodeAt(0))));
    await eventually("the check-in", () => got.length === 1, 2000);
    assert.deepEqual(got[0], { type: "CHK", room: "101", checkedIn: true });
    assert.equal(heard.filter((k) => k === "ack").length, 2);

    pms.close();
    await pty.stop();
    await eventually("down", () => link.state === "down", 5000);
    await pty.start();
    await eventually("linked again", () => link.state === "linked", 5000);
    heard.length = 0;
    pms = await open();
    cleanups.push(() => pms.close());
    assert.equal(link.sendMessage("STS2 101  "), true);
    await eventually("our ENQ", () => heard.includes("enq"), 2000);
    pms.write(Uint8Array.of(ACK));
    await eventually("our STS", () => heard.includes("frame"), 2000);
    assert.deepEqual(states.slice(0, 3), ["linked", "down", "linked"]);
  });
});
