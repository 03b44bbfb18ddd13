/** `bellhop sim pms --protocol mitel`: dispatch, usage errors, and a script run against a MitelLink. */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../../src/lib/clock.ts";
import { silentLogger } from "../../../src/lib/logger.ts";
import { TcpServerConnector } from "../../../src/pms/fias/tcp.ts";
import { MitelLink } from "../../../src/pms/mitel/link.ts";
import { simPmsCommand } from "../../../src/sim/pms/cli.ts";
import { freePort } from "../../integration/support.ts";

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } },
    out: () => out.join(""),
    err: () => err.join(""),
  };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe("bellhop sim pms --protocol mitel", () => {
  test("--help prints the Mitel usage; bad flags are usage errors (exit 2)", async () => {
    const a = io();
    expect(await simPmsCommand(["--protocol", "mitel", "--help"], a.io)).toBe(0);
    expect(a.out()).toContain("Mitel SX-200/SX-2000 PMS");
    const b = io();
    expect(await simPmsCommand(["--protocol", "mitel", "--listen", "0", "--profile", "sx200"], b.io)).toBe(2);
    expect(b.err()).toContain("--profile must be one of sx2000, mitel2, phonesuite");
    const c = io();
    expect(await simPmsCommand(["--protocol", "fias", "--help"], c.io)).toBe(0);
    expect(c.out()).toContain("FIAS");
  });

  test("a script runs against the appliance's link and passes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bellhop-mitel-cli-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const script = join(dir, "checkin.txt");
    writeFileSync(
      script,
      ["wait-connected 5000", "checkin 101", "name 101 SMITH,JOHN", "expect STS 101 8 within 5000", ""].join("\n"),
    );
    const port = await freePort();
    const link: MitelLink = new MitelLink({
      connector: new TcpServerConnector({ host: "127.0.0.1", port, logger: silentLogger }),
      clock: systemClock,
      logger: silentLogger,
      charset: "latin1",
      handlers: {
        onRecord: (m) => {
          if (m.type === "NAM") link.sendMessage("STS8 101  ");
        },
        onState: () => {},
      },
    });
    link.start();
    cleanups.push(() => link.stop());
    await new Promise((r) => setTimeout(r, 50));
    const a = io();
    const code = await simPmsCommand(
      ["--protocol", "mitel", "--connect", `127.0.0.1:${port}`, "--script", script],
      a.io,
    );
    expect(a.out()).toContain("# script passed (4 steps)");
    expect(code).toBe(0);
    expect(a.out()).toContain("> NAM1 SMITH,JOHN             101");
  }, 20_000);
});
