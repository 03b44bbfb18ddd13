/** @module sim/cli-io: what every `bellhop sim …` command writes to and stops on. */

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Stops interactive mode, as SIGINT does; for embedding and tests. */
  signal?: AbortSignal;
}

/** Resolves on SIGINT, SIGTERM or the io's abort signal. */
export function untilStopped(io: CliIo): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      io.signal?.removeEventListener("abort", done);
      resolve();
    };
    process.on("SIGINT", done);
    process.on("SIGTERM", done);
    if (io.signal?.aborted) done();
    else io.signal?.addEventListener("abort", done);
  });
}
