/**
 * @module runtime/memory-trim
 * Gives memory back after a burst. JavaScriptCore keeps the pages a burst used (a 2,000-room resync
 * parses, stores and queues ~8,000 rows) until its heap grows again, so anonymous RSS stays ~20 MB
 * above what the data needs; a full collection and Bun.shrink() return them (measured from source:
 * 62 → 40 MB after a resync). The collection stops the event loop for a few ms: call it after a
 * burst that stalled it anyway, not on a timer while calls play. A no-op outside Bun.
 */
export function trimMemory(): void {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void; shrink?(): void } }).Bun;
  bun?.gc(true);
  bun?.shrink?.();
}
