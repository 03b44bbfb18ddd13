/**
 * @module cti/snom-control
 * The CTI server's PhoneControl over the SNOM HTTP client (pbx/snom/client.ts). A phone from the
 * phones file carries its own user and password; a room's phone is reached with the client's (the
 * SNOM link's) settings. Completing a transfer types the number's digits and ENTER, as a user does
 * after TRANSFER; a number with other characters is dialled (`command.htm?number=`).
 */
import type { SnomClient, SnomPhoneRef } from "../pbx/snom/client.ts";
import type { SnomActionEvent } from "../pbx/snom/wire.ts";
import type { ActionUrls, CtiPhone, PhoneControl, PhoneEvent } from "./phone-control.ts";

const EVENTS: Readonly<Record<PhoneEvent, SnomActionEvent>> = {
  incoming: "incoming",
  outgoing: "outgoing",
  connected: "connected",
  disconnected: "disconnected",
  missed: "missed",
  hold: "hold",
  unhold: "unhold",
  "dnd-on": "dndOn",
  "dnd-off": "dndOff",
};

function ref(phone: CtiPhone): SnomPhoneRef {
  if (phone.user === undefined) return phone.host;
  return { ip: phone.host, username: phone.user, password: phone.password ?? null };
}

export function snomPhoneControl(client: Pick<SnomClient, "dial" | "pressKey" | "setActionUrls">): PhoneControl {
  return {
    async dial(phone, number, opts) {
      if (opts?.transfer && /^[0-9*#]+$/.test(number)) {
        await client.pressKey(ref(phone), [...number, "ENTER"]);
        return;
      }
      await client.dial(ref(phone), number);
    },
    async pressKey(phone, key) {
      await client.pressKey(ref(phone), key);
    },
    async setActionUrls(phone, urls: ActionUrls) {
      const settings: Partial<Record<SnomActionEvent, string>> = {};
      for (const [ev, url] of Object.entries(urls) as [PhoneEvent, string][]) settings[EVENTS[ev]] = url;
      await client.setActionUrls(ref(phone), settings);
    },
  };
}
