/** @module domain/names: the name a room shows on the phone system. */
import type { Room } from "./room.ts";
import { renderTemplate } from "./template.ts";

export function nameVariables(room: Room): Record<string, string> {
  const g = room.guests[0];
  return {
    room: room.number,
    extension: room.extension,
    mailbox: room.extension,
    title: g?.title ?? "",
    first: g?.firstName ?? "",
    last: g?.lastName || g?.fullName || "",
    vip: g?.vip ?? "",
    language: g?.language ?? "",
    group: g?.group ?? "",
    arrival: g?.arrival ?? "",
    departure: g?.departure ?? "",
  };
}

export interface NameTemplates {
  nameTemplate: string;
  vacantNameTemplate: string;
}

export function roomDisplayName(room: Room, t: NameTemplates): string {
  return renderTemplate(room.occupied ? t.nameTemplate : t.vacantNameTemplate, nameVariables(room));
}

export function extensionFor(roomNumber: string, template: string): string {
  return renderTemplate(template, { room: roomNumber });
}
