import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type TarHeader, TarReader, tarEnd, tarHeader, tarPadding } from "../../src/services/backup-tar.ts";

function archive(files: [string, Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, data] of files) {
    parts.push(tarHeader({ name, type: "file", size: data.length, mtime: 1_800_000_000, mode: 0o640 }), data);
    parts.push(tarPadding(data.length));
  }
  parts.push(tarEnd());
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function read(bytes: Uint8Array, chunk: number): { headers: TarHeader[]; data: Map<string, number[]> } {
  const headers: TarHeader[] = [];
  const data = new Map<string, number[]>();
  let current = "";
  const reader = new TarReader({
    entry(h) {
      headers.push(h);
      current = h.name;
      data.set(h.name, []);
    },
    data(c) {
      data.get(current)?.push(...c);
    },
    endEntry() {},
  });
  for (let i = 0; i < bytes.length; i += chunk) reader.push(bytes.subarray(i, i + chunk));
  reader.end();
  return { headers, data };
}

describe("backup tar", () => {
  const files: [string, Uint8Array][] = [
    ["bellhop.db", new Uint8Array(1300).map((_, i) => i & 0xff)],
    ["prompts/en/wakeup.ul", new Uint8Array(512).fill(0x7f)],
    ["voicemail/msgs/0123456789abcdef01234567.wav", new Uint8Array(0)],
    ["bellhop-backup.json", new TextEncoder().encode('{"format":"bellhop-backup"}\n')],
  ];

  test("what is written reads back whole, whatever the chunk boundaries", () => {
    const bytes = archive(files);
    assert.equal(bytes.length % 512, 0);
    for (const chunk of [1, 7, 511, 512, 513, 4096, bytes.length]) {
      const { headers, data } = read(bytes, chunk);
      assert.deepEqual(
        headers.map((h) => [h.name, h.size, h.type, h.mtime, h.mode]),
        files.map(([n, d]) => [n, d.length, "file", 1_800_000_000, 0o640]),
      );
      for (const [name, d] of files) assert.deepEqual(data.get(name), [...d], `${name} at chunk ${chunk}`);
    }
  });

  test("a damaged header, a cut archive, a link entry and a long name are errors, not crashes", () => {
    const bytes = archive(files);
    const damaged = bytes.slice();
    damaged[10] ^= 0xff;
    assert.throws(() => read(damaged, 100), /checksum/);
    assert.throws(() => read(bytes.subarray(0, 1000), 100), /ends in the middle/);
    assert.throws(() => read(bytes.subarray(0, bytes.length - 1024), 100), /ends in the middle/);
    const link = archive([["x", new Uint8Array(0)]]);
    link[156] = "2".charCodeAt(0);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : link[i];
    link.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, "0")}\0 `), 148);
    assert.throws(() => read(link, 512), /not supported/);
    assert.throws(() => tarHeader({ name: "a".repeat(101), type: "file", size: 0, mtime: 0, mode: 0 }), /longer than/);
  });
});
