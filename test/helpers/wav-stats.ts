/** What a phone recorded: the call tests check that a WAV holds the prompt, not silence. */

/** Duration, RMS and seconds above a speech threshold of a 16-bit PCM WAV (any rate, channel 1). */
export function wavStats(buf: Uint8Array): { seconds: number; rms: number; activeSeconds: number } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 12;
  let rate = 8000;
  let channels = 1;
  let data: DataView | undefined;
  while (off + 8 <= buf.length) {
    const id = String.fromCharCode(buf[off] ?? 0, buf[off + 1] ?? 0, buf[off + 2] ?? 0, buf[off + 3] ?? 0);
    const size = dv.getUint32(off + 4, true);
    if (id === "fmt ") {
      channels = dv.getUint16(off + 10, true);
      rate = dv.getUint32(off + 12, true);
    }
    if (id === "data") data = new DataView(buf.buffer, buf.byteOffset + off + 8, Math.min(size, buf.length - off - 8));
    off += 8 + size + (size % 2);
  }
  if (!data) throw new Error("no data chunk in the recording");
  const frames = Math.floor(data.byteLength / (2 * channels));
  let sum = 0;
  let active = 0;
  const win = Math.max(1, Math.floor(rate / 50));
  let winSum = 0;
  for (let i = 0; i < frames; i++) {
    const s = data.getInt16(i * 2 * channels, true);
    sum += s * s;
    winSum += s * s;
    if ((i + 1) % win === 0) {
      if (Math.sqrt(winSum / win) > 300) active += win;
      winSum = 0;
    }
  }
  return { seconds: frames / rate, rms: Math.sqrt(sum / Math.max(1, frames)), activeSeconds: active / rate };
}
