/**
 * @module yield
 * Local libSQL queries run synchronously inside their promises, so a loop of awaited queries never
 * lets sockets, timers or HTTP run. Long loops call this between units of work.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
