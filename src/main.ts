/**
 * bellhop entry point (composition root). Runs under Bun (`bun src/main.ts`, the compiled binary)
 * and Deno.
 */
import pkg from "../package.json" with { type: "json" };
import { runCli } from "./cli/commands.ts";
import { settleJitPolicy } from "./runtime/jit-policy.ts";
import { trimMemory } from "./runtime/memory-trim.ts";
import { systemdNotifier } from "./runtime/notify.ts";
import { migrationsFolder, promptsFolder } from "./runtime/paths.ts";
import { serve } from "./runtime/serve.ts";
import { mediaUdp } from "./runtime/udp.ts";
import { setDefaultUdpFactory } from "./sip/rtp/udp.ts";

// Calls' media on the runtime's own UDP sockets (Bun's, without node:dgram's garbage per packet).
setDefaultUdpFactory(mediaUdp());

const stopSignal = new Promise<string>((resolve) => {
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => resolve(sig));
});

// A bug in one part must not take the hotel's phones down with it: log, keep running.
process.on("uncaughtException", (err) => {
  process.stderr.write(
    `${JSON.stringify({ t: new Date().toISOString(), level: "error", msg: "uncaught exception", error: String(err?.stack ?? err) })}\n`,
  );
});
process.on("unhandledRejection", (err) => {
  process.stderr.write(
    `${JSON.stringify({ t: new Date().toISOString(), level: "error", msg: "unhandled rejection", error: String((err as Error)?.stack ?? err) })}\n`,
  );
});

const code = await runCli(process.argv.slice(2), {
  version: pkg.version,
  migrationsFolder: migrationsFolder(),
  serve,
  stdout: process.stdout,
  stderr: process.stderr,
  stopSignal,
  // Under systemd (Type=notify): READY=1 and the watchdog, through systemd-notify.
  systemd: systemdNotifier(),
  trimMemory,
  afterStartup: settleJitPolicy,
  promptsFolder,
});
process.exit(code);
