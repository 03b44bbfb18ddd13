/**
 * A real clock whose timers run `scale` times faster: protocol timers measured in tens of seconds
 * (registration refresh) fire in a test's seconds, against a real peer that keeps real time.
 */
import type { Clock, TimerHandle } from "../../src/lib/clock.ts";

export function scaledClock(scale: number): Clock {
  let id = 0;
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  return {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      const h = ++id;
      timers.set(
        h,
        setTimeout(
          () => {
            timers.delete(h);
            fn();
          },
          Math.max(0, ms / scale),
        ),
      );
      return { id: h } as TimerHandle;
    },
    clearTimeout(handle) {
      if (!handle) return;
      clearTimeout(timers.get(handle.id));
      timers.delete(handle.id);
    },
  };
}

/**
 * A clock on which time itself runs `scale` times faster than real time: `now()` and every timer,
 * so a 30-minute soak (alive checks every 5 minutes, grace and response timers) runs in 30 s against
 * real peers on real sockets. Both ends of a link under test must use the same one.
 */
export function acceleratedClock(scale: number, origin = Date.now()): Clock {
  const t0 = performance.now();
  const base = scaledClock(scale);
  return { ...base, now: () => origin + (performance.now() - t0) * scale };
}
