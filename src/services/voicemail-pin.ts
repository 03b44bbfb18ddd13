/**
 * @module services/voicemail-pin
 * The guest's mailbox PIN, stored as a salted scrypt hash (`scrypt$N$r$p$salt$hash`, hex). A PIN is
 * a few digits, so the hash guards it at rest rather than against a determined search; it is a
 * secret all the same: never returned, never logged. scrypt runs asynchronously so a check during a
 * call does not stall the RTP of the other calls on the same thread.
 */
import { Buffer } from "node:buffer";
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

const N = 16384;
const R = 8;
const P = 1;
const KEY_BYTES = 32;

/** What a guest may choose: 4 to 10 digits (the keypad, and short enough to key in). */
export const PIN_PATTERN = /^[0-9]{4,10}$/;

function derive(pin: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(pin, salt, KEY_BYTES, { N: n, r, p, maxmem: 256 * n * r }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPin(pin: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(pin, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString("hex")}$${key.toString("hex")}`;
}

/** False for a wrong PIN and for a stored value this code cannot read. */
export async function verifyPin(pin: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0) || n > 1 << 20) return false;
  const want = Buffer.from(parts[5], "hex");
  if (want.length !== KEY_BYTES) return false;
  const got = await derive(pin, Buffer.from(parts[4], "hex"), n, r, p);
  return timingSafeEqual(got, want);
}
