/** @module domain/names: the name a room shows on the phone system. */
import type { Room } from "./room.ts";
import { renderTemplate } from "./template.ts";
import { vipLabel } from "./vip.ts";

/** `vip` renders the level's label from `vipLabels` (the level itself when unlisted; "" when not VIP). */
export function nameVariables(room: Room, vipLabels?: Readonly<Record<string, string>>): Record<string, string> {
  const g = room.guests[0];
  return {
    room: room.number,
    extension: room.extension,
    mailbox: room.extension,
    title: g?.title ?? "",
    first: g?.firstName ?? "",
    last: g?.lastName || g?.fullName || "",
    vip: vipLabel(g?.vip, vipLabels),
    language: g?.language ?? "",
    group: g?.group ?? "",
    arrival: g?.arrival ?? "",
    departure: g?.departure ?? "",
  };
}

export interface NameTemplates {
  nameTemplate: string;
  vacantNameTemplate: string;
  /** VIP level → what `${vip}` shows (config `rooms.vipLabels`). */
  vipLabels?: Readonly<Record<string, string>>;
}

export function roomDisplayName(room: Room, t: NameTemplates): string {
  return renderTemplate(room.occupied ? t.nameTemplate : t.vacantNameTemplate, nameVariables(room, t.vipLabels));
}

export function extensionFor(roomNumber: string, template: string): string {
  return renderTemplate(template, { room: roomNumber });
}
