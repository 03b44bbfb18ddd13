/**
 * (e) 48 SIP ports registering with Kamailio over UDP: time from `SipPorts.start()` until every port
 * reports "registered" (REGISTER, 401, REGISTER with credentials, 200 OK: 96 transactions), polled
 * every 1 ms. Kamailio's own location table (`kamcmd ul.dump`) must then hold all 48 AoRs with our
 * contact, and none after `stop()` (Expires: 0). Five rounds against one Kamailio.
 *
 * The fixture Kamailio config knows users 2001..2010 only; 2011..2048 are added to its password table
 * at run time through the control socket (`htable.sets`), so test/peers/kamailio.ts stays as it is.
 */
import { parseConfig } from "../src/config/load.ts";
import { systemClock } from "../src/lib/clock.ts";
import { silentLogger } from "../src/lib/logger.ts";
import { SipPorts } from "../src/sip/ua/ports.ts";
import { freePort } from "../test/integration/support.ts";
import { peerSkip } from "../test/peers/available.ts";
import { type Kamailio, startKamailio } from "../test/peers/kamailio.ts";
import { fmt, line, median } from "./util.ts";

const PORTS = 48;
const PASSWORD = "secret";
const USERS = Array.from({ length: PORTS }, (_, i) => String(2001 + i));

/** AoR → contact addresses, from Kamailio's location table. */
function locationTable(k: Kamailio): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let aor = "";
  for (const raw of k.ulDump().split("\n")) {
    const t = raw.trim();
    if (t.startsWith("AoR:")) {
      aor = t.slice(4).trim();
      out.set(aor, []);
    } else if (t.startsWith("Address:")) out.get(aor)?.push(t.slice(8).trim());
  }
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function once(k: Kamailio): Promise<number> {
  const localPort = await freePort();
  const config = parseConfig({
    sip: {
      bind: "127.0.0.1",
      local: { port: localPort, transport: "udp" },
      pbx: { address: "127.0.0.1", port: k.sipPort, expiresSeconds: 600 },
      ports: USERS.map((user) => ({ user, password: PASSWORD, displayName: `Port ${user}` })),
    },
  }).sip;
  const ports = new SipPorts({ config, clock: systemClock, logger: silentLogger });
  let ms = Number.NaN;
  try {
    const t0 = performance.now();
    await ports.start();
    const deadline = t0 + 10_000;
    for (;;) {
      const states = ports.status();
      if (states.every((s) => s.state === "registered")) {
        ms = performance.now() - t0;
        break;
      }
      const bad = states.find((s) => s.state === "failed" || s.state === "auth-failed");
      if (bad) throw new Error(`port ${bad.user}: ${bad.state} (${bad.lastResponse ?? bad.lastError})`);
      if (performance.now() > deadline) {
        const n = states.filter((s) => s.state === "registered").length;
        throw new Error(`only ${n} of ${PORTS} ports registered after 10 s`);
      }
      await sleep(1);
    }
    const notOk = ports.status().filter((s) => s.lastResponse !== "200 OK");
    if (notOk.length) throw new Error(`last response not 200 OK on ${notOk.map((s) => s.user).join(", ")}`);
    const table = locationTable(k);
    const contact = `@127.0.0.1:${ports.endpoint.port}`;
    const missing = USERS.filter((u) => !table.get(u)?.some((a) => a.startsWith(`sip:${u}${contact}`)));
    if (missing.length || table.size !== PORTS)
      throw new Error(`ul.dump has ${table.size} AoRs; missing our contact for ${missing.join(", ") || "none"}`);
  } finally {
    await ports.stop();
  }
  const left = locationTable(k).size;
  if (left !== 0) throw new Error(`${left} AoRs left in ul.dump after stop()`);
  return ms;
}

export async function benchSipRegister(): Promise<void> {
  const skip = peerSkip("kamailio");
  if (skip) {
    line("48 SIP ports → Kamailio over UDP", `skipped: ${skip}`);
    return;
  }
  const k = await startKamailio({ sipPort: await freePort(), ctlPort: await freePort() });
  try {
    // kamcmd would send a bare 2011 as a number; `s:` keeps the key a string like the config's.
    for (const u of USERS.slice(10)) k.kamcmd("htable.sets", "users", `s:${u}`, PASSWORD);
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) runs.push(await once(k));
    line(`${PORTS} SIP ports (UDP) → all 200 OK, ms (median of 5)`, fmt(median(runs), 0), "≤ 1,000");
    line("  first run (cold) / slowest of 5, ms", `${fmt(runs[0], 0)} / ${fmt(Math.max(...runs), 0)}`);
    line("  AoRs in Kamailio ul.dump after each run", `${PORTS} (0 after stop)`);
  } finally {
    await k.stop();
  }
}

if (import.meta.main) await benchSipRegister();
