/**
 * @module sim/pms/hotel
 * A generated hotel for the PMS simulator: rooms, in-house guests and the records a PMS sends in a
 * database swap. The same options always give the same hotel, so tests and benches can assert on it.
 */
import { fiasDate } from "../../pms/fias/datetime.ts";
import type { FiasRecord } from "../../pms/fias/record.ts";

export type GuestLanguage = "EA" | "GE" | "FR" | "IT" | "SP";

export interface Guest {
  room: string;
  /** G#: unique across the hotel. */
  reservation: number;
  title: string;
  first: string;
  last: string;
  language: GuestLanguage;
  /** "" for none, else "1".."3". */
  vip: string;
  /** Group code, "" for individual guests. */
  group: string;
  /** YYMMDD */
  arrival: string;
  /** YYMMDD */
  departure: string;
  /** True when the room holds two reservations (GS=Y on both). */
  sharer: boolean;
}

export interface Room {
  number: string;
  floor: number;
  /** Class of service, FIAS CS code 0..3. */
  cos: number;
  dnd: boolean;
  messageLight: boolean;
}

export interface Hotel {
  rooms: Room[];
  /** Guests in room order; sharers of one room are adjacent. */
  guests: Guest[];
}

export interface HotelOptions {
  rooms: number;
  /** Share of rooms occupied, 0..1. */
  occupancy?: number;
  seed?: number;
  /** Business date the stays are built around. Fixed by default so the hotel is the same every day. */
  today?: Date;
}

const ROOMS_PER_FLOOR = 100;
const SHARER_SHARE = 0.1;
const DEFAULT_TODAY = new Date(2026, 0, 15);

interface NameSet {
  titles: string[];
  first: string[];
  last: string[];
}

// Accented names on purpose: they exercise the latin1/cp850 charsets end to end.
const NAMES: Record<GuestLanguage, NameSet> = {
  EA: {
    titles: ["Mr.", "Mrs.", "Ms.", "Dr."],
    first: ["John", "Mary", "James", "Linda", "Robert", "Susan", "David", "Emma"],
    last: ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "O'Neill", "Clarke", "Walker"],
  },
  GE: {
    titles: ["Herr", "Frau", "Dr."],
    first: ["Jürgen", "Anna", "Klaus", "Birgit", "Stefan", "Käthe", "Lukas", "Sophie"],
    last: ["Müller", "Schmidt", "Weiß", "Schäfer", "Becker", "Hoffmann", "Groß", "Köhler"],
  },
  FR: {
    titles: ["M.", "Mme", "Mlle"],
    first: ["François", "Hélène", "Jérôme", "Céline", "Antoine", "Élodie", "Noël", "Margaux"],
    last: ["Dubois", "Lefèvre", "Moreau", "Girard", "Fournier", "Bérenger", "Leclerc", "Rousseau"],
  },
  IT: {
    titles: ["Sig.", "Sig.ra", "Dott."],
    first: ["Giuseppe", "Francesca", "Niccolò", "Giulia", "Luca", "Chiara", "Matteo", "Sofia"],
    last: ["Rossi", "Bianchi", "Esposito", "Ricci", "Romano", "Colombo", "Bruno", "Galli"],
  },
  SP: {
    titles: ["Sr.", "Sra.", "Dr."],
    first: ["José", "María", "Íñigo", "Lucía", "Andrés", "Begoña", "Álvaro", "Carmen"],
    last: ["García", "Fernández", "Núñez", "Martínez", "López", "Sánchez", "Peña", "Gómez"],
  },
};
const LANGUAGES: GuestLanguage[] = ["EA", "EA", "EA", "GE", "FR", "IT", "SP"];
const GROUPS = ["ACME26", "WEDDING", "TOURCH", "SALESKO"];

/** mulberry32: tiny, fast and identical on every runtime, unlike Math.random. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Floors hold up to 100 rooms and the floor is always ⌊number/100⌋: floors of up to 99 rooms are
 * numbered x01.., a full floor of 100 uses x00..x99 (2000 rooms → 100..199 … 2000..2099).
 */
export function roomNumbers(count: number): string[] {
  const floors = Math.ceil(count / ROOMS_PER_FLOOR);
  const out: string[] = [];
  for (let f = 1; f <= floors; f++) {
    const onFloor = Math.floor(count / floors) + (f <= count % floors ? 1 : 0);
    const first = onFloor === ROOMS_PER_FLOOR ? 0 : 1;
    for (let i = 0; i < onFloor; i++) out.push(String(f * 100 + first + i));
  }
  return out;
}

function addDays(d: Date, days: number): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + days);
}

function ymd(d: Date): string {
  return fiasDate({ year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), hour: 0, minute: 0, second: 0 });
}

export function generateHotel(opts: HotelOptions): Hotel {
  const { rooms: count, occupancy = 0.7, seed = 1, today = DEFAULT_TODAY } = opts;
  if (!Number.isInteger(count) || count < 1) throw new Error(`rooms must be a positive integer, got ${count}`);
  if (!(occupancy >= 0 && occupancy <= 1)) throw new Error(`occupancy must be between 0 and 1, got ${occupancy}`);
  const rand = rng(seed);
  const pick = <T>(list: T[]): T => list[Math.floor(rand() * list.length)];

  const rooms: Room[] = roomNumbers(count).map((number) => ({
    number,
    floor: Math.floor(Number(number) / 100),
    cos: 0,
    dnd: false,
    messageLight: false,
  }));

  // Fisher–Yates over room indexes, then the first k are occupied: exact occupancy, seed-stable.
  const order = rooms.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const occupied = new Set(order.slice(0, Math.round(count * occupancy)));

  const guests: Guest[] = [];
  let reservation = 100000 + Math.floor(rand() * 1000);
  const makeGuest = (room: string, sharer: boolean, lang: GuestLanguage, stay: [string, string], group: string) => {
    reservation += 1 + Math.floor(rand() * 7);
    const names = NAMES[lang];
    const vipRoll = rand();
    guests.push({
      room,
      reservation,
      title: pick(names.titles),
      first: pick(names.first),
      last: pick(names.last),
      language: lang,
      vip: vipRoll < 0.9 ? "" : String(1 + Math.floor((vipRoll - 0.9) * 30)),
      group,
      arrival: stay[0],
      departure: stay[1],
      sharer,
    });
  };

  rooms.forEach((room, i) => {
    if (!occupied.has(i)) return;
    room.cos = rand() < 0.85 ? 3 : 2;
    room.dnd = rand() < 0.05;
    room.messageLight = rand() < 0.1;
    const lang = pick(LANGUAGES);
    const stay: [string, string] = [
      ymd(addDays(today, -Math.floor(rand() * 7))),
      ymd(addDays(today, 1 + Math.floor(rand() * 10))),
    ];
    const group = rand() < 0.2 ? pick(GROUPS) : "";
    const shared = rand() < SHARER_SHARE;
    makeGuest(room.number, shared, lang, stay, group);
    if (shared) makeGuest(room.number, true, rand() < 0.7 ? lang : pick(LANGUAGES), stay, group);
  });

  return { rooms, guests };
}

/**
 * How a PMS spells its guest records. `oracle`: GN last name, GF first name, GV "" or a VIP level.
 * `matrix` (the third-party PMS built from Matrix-PBX/OPERA captures): GN "Last, First" and no GF,
 * GV "N" for a guest who is not VIP, else the level digit.
 */
export const hotelStyles = ["oracle", "matrix"] as const;
export type HotelStyle = (typeof hotelStyles)[number];

export interface ResyncOptions {
  /** Also send one RE (DN/CS/ML) per room after the guests. */
  equipment?: boolean;
  /** Default "oracle". */
  style?: HotelStyle;
}

/** The records between DS and DE of a database swap: one GI|…|SF| per in-house guest, then optional REs. */
export function resyncRecords(hotel: Hotel, opts: ResyncOptions = {}): FiasRecord[] {
  const style = opts.style ?? "oracle";
  const out: FiasRecord[] = hotel.guests.map((g) => ({ type: "GI", fields: guestFields(g, true, style) }));
  if (opts.equipment) {
    for (const r of hotel.rooms) {
      out.push({
        type: "RE",
        fields: { RN: r.number, DN: r.dnd ? "Y" : "N", CS: String(r.cos), ML: r.messageLight ? "Y" : "N", SF: "" },
      });
    }
  }
  return out;
}

/** GI fields for a guest; `swap` adds SF, marking it as part of a database swap. */
export function guestFields(g: Guest, swap = false, style: HotelStyle = "oracle"): Record<string, string> {
  const matrix = style === "matrix";
  const fields: Record<string, string> = {
    RN: g.room,
    "G#": String(g.reservation),
    GN: matrix ? `${g.last}, ${g.first}` : g.last,
  };
  if (!matrix) fields.GF = g.first;
  Object.assign(fields, {
    GT: g.title,
    GL: g.language,
    GV: matrix ? g.vip || "N" : g.vip,
    GG: g.group,
    GA: g.arrival,
    GD: g.departure,
    GS: g.sharer ? "Y" : "N",
  });
  if (swap) fields.SF = "";
  return fields;
}
