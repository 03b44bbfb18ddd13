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

/** A bad command line: the command prints the message and its usage and exits 2. */
export class UsageError extends Error {}

/**
 * The common start of a `bellhop sim …` command: `--help` prints the usage (exit 0); a UsageError
 * from `parse` prints its message and the usage (exit 2). Returns the parsed arguments otherwise.
 */
export function commandArgs<T>(
  argv: string[],
  io: CliIo,
  name: string,
  usage: string,
  parse: (argv: string[]) => T,
): { args: T } | { exit: number } {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write(usage);
    return { exit: 0 };
  }
  try {
    return { args: parse(argv) };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`bellhop ${name}: ${err.message}\n\n${usage}`);
    return { exit: 2 };
  }
}
