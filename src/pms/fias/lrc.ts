/**
 * @module fias/lrc
 * The FIAS serial block check (Spec ch.7 "Other Notes", "LRC calculation example"): XOR, seed 0, over
 * every byte after STX up to and including ETX; STX itself is excluded. Sent as one raw byte right
 * after ETX; it may take any value 0x00–0xFF (STX, ETX, ACK, NAK, `|` included): the receiver knows it
 * by its position only.
 */

/** LRC of a frame's body: `bytes` are the bytes after STX, ETX included. */
export function lrc(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let x = 0;
  for (let i = start; i < end; i++) x ^= bytes[i];
  return x;
}

/** LRC of a whole `STX … ETX` frame (STX skipped). */
export function frameLrc(frame: Uint8Array): number {
  return lrc(frame, 1);
}
