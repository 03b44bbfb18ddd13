/**
 * @module cti/directory
 * Which phone an extension named in a CTI command is. Two sources, in this order:
 * 1. the phones file (`companion.phonesFile`): an installer's explicit line, with its own HTTP
 *    credentials; it also covers staff phones that are no room's;
 * 2. a room's phone: the room whose extension it is, at the IP the appliance learned (phone events,
 *    `PUT /api/v1/rooms`), driven with the SNOM link's credentials.
 * The file wins for an extension it lists, so an installer can pin a phone whatever a room learned.
 */
import { phoneAddressIp } from "../domain/phone.ts";
import { errorMessage } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import type { CtiPhone } from "./phone-control.ts";
import type { FilePhone } from "./phones-file.ts";

/** A room's phone by the room's extension: the stored phone address (`IP:port`), if any. */
export type RoomPhoneLookup = (extension: string) => Promise<string | undefined>;

export interface PhoneDirectoryOptions {
  /** The phones file's phones (absent without `companion.phonesFile`). */
  filePhone?: (extension: string) => FilePhone | undefined;
  /** Absent: only the phones file's phones are known. */
  roomPhone?: RoomPhoneLookup;
  logger: Logger;
}

export class PhoneDirectory {
  constructor(private readonly opts: PhoneDirectoryOptions) {}

  async resolve(extension: string): Promise<CtiPhone | undefined> {
    const f = this.opts.filePhone?.(extension);
    if (f) {
      return {
        extension,
        host: f.host,
        ip: f.ip,
        source: "phones-file",
        ...(f.user !== undefined ? { user: f.user, password: f.password } : {}),
      };
    }
    if (!this.opts.roomPhone) return undefined;
    let address: string | undefined;
    try {
      address = await this.opts.roomPhone(extension);
    } catch (err) {
      this.opts.logger.error("CTI: room phone lookup failed", { extension, error: errorMessage(err) });
      return undefined;
    }
    const ip = address ? phoneAddressIp(address) : undefined;
    if (!ip) return undefined;
    // The stored port is the phone's SIP port; its HTTP port is the SNOM link's.
    return { extension, host: ip.includes(":") ? `[${ip}]` : ip, ip, source: "room" };
  }
}
