/**
 * (a) FIAS parse rate: FrameReader + parseRecord over a realistic byte stream read in 4 KiB
 * chunks, next to a bare STX/ETX split of the same bytes (the floor any parser pays).
 */
import { FrameReader, wrapFrame } from "../src/pms/fias/frame.ts";
import { parseRecord, recordFromText, serializeRecord } from "../src/pms/fias/record.ts";
import { fmt, line, median } from "./util.ts";

function stream(records: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let i = 0; i < records; i++) {
    const room = String(100 + (i % 2000));
    const text =
      i % 3 === 0
        ? `GI|RN${room}|G#${100000 + i}|GNMüller|GFAnna|GTMrs.|GLGE|GV2|GGTOUR${i % 7}|GA261120|GD261127|GSN|SF|`
        : i % 3 === 1
          ? `RE|RN${room}|DNY|CS2|MLN|`
          : `WR|RN${room}|DA261123|TI0700${String(i % 60).padStart(2, "0")}|`;
    const f = wrapFrame(serializeRecord(recordFromText(text), "latin1"));
    parts.push(f);
    size += f.length;
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function parseAll(bytes: Uint8Array): number {
  const reader = new FrameReader();
  let n = 0;
  for (let i = 0; i < bytes.length; i += 4096) {
    for (const ev of reader.push(bytes.subarray(i, i + 4096))) {
      if (ev.kind === "frame" && parseRecord(ev.bytes, "latin1").ok) n++;
    }
  }
  return n;
}

function splitAll(bytes: Uint8Array): number {
  let n = 0;
  let start = -1;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x02) start = i;
    else if (b === 0x03 && start >= 0) {
      bytes.subarray(start + 1, i);
      n++;
      start = -1;
    }
  }
  return n;
}

export function benchFiasParse(): void {
  const N = 200_000;
  const bytes = stream(N);
  const rate = (fn: (b: Uint8Array) => number) => {
    fn(bytes); // warm-up
    const runs: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t = performance.now();
      const n = fn(bytes);
      if (n !== N) throw new Error(`expected ${N} records, got ${n}`);
      runs.push(N / ((performance.now() - t) / 1000));
    }
    return median(runs);
  };
  const parse = rate(parseAll);
  const split = rate(splitAll);
  line("FIAS parse (frame + record), records/s", fmt(parse));
  line("bare STX/ETX split of the same bytes, records/s", fmt(split));
  line("parse cost relative to bare split", `${fmt(split / parse, 1)}x`);
  line("stream size, bytes / record", fmt(bytes.length / N, 1));
}

if (import.meta.main) benchFiasParse();
