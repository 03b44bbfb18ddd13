/**
 * @module mitel/serial-device
 * The serial device for the Mitel link: the shared one (pms/serial-device.ts), polling hot around
 * each turnaround. The Mitel line turns around twice per message (ENQ → ACK, message → ACK) and the
 * next bid follows the last ACK at once, so a 1 ms poll would add a few percent to a short message's
 * wire time (bench/mitel-resync.ts).
 */
import { type DeviceEvents, SerialDevice, type SerialLineSettings } from "../serial-device.ts";

export type { DeviceEvents } from "../serial-device.ts";

export type MitelSerialDevice = SerialDevice;

export const MitelSerialDevice = {
  open(s: SerialLineSettings, events: DeviceEvents): Promise<MitelSerialDevice> {
    return SerialDevice.open(s, events, { turnarounds: true });
  },
};
