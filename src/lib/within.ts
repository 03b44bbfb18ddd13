/** @module lib/within: waiting for something, but not longer than a deadline (shutdown steps). */

/**
 * True when `p` settled (resolved or rejected: a rejection is thrown) within `ms` of real time,
 * false when the time ran out first; `p` itself goes on.
 */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((r) => {
    timer = setTimeout(() => r(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([p.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
