/**
 * The CTI server driving a phone through the real SNOM client (pbx/snom/client.ts) and the adapter,
 * against the scripted SNOM phone of the client's tests: the HTTP requests each command makes, the
 * phones file's own credentials (Digest), and a phone error turned into error_ind ERROR.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Companion } from "../../src/cti/companion.ts";
import { snomPhoneControl } from "../../src/cti/snom-control.ts";
import { systemClock } from "../../src/lib/clock.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { SnomClient } from "../../src/pbx/snom/client.ts";
import { ScriptedPhone } from "../pbx/snom/phone-server.ts";
import { StliClient } from "./support.ts";

describe("CTI commands through the SNOM client", () => {
  const phone = new ScriptedPhone();
  let c: Companion;
  let cl: StliClient;

  before(async () => {
    phone.auth = "digest";
    const port = await phone.listen();
    c = new Companion({
      config: { listen: "127.0.0.1:0", networks: ["127.0.0.1"], phonesFile: "/etc/24u.cfg", callbackUrl: null },
      clock: systemClock,
      logger: silentLogger,
      // The link's (wrong) credentials; the phones file's line has the phone's own.
      control: snomPhoneControl(new SnomClient({ username: "admin", password: "wrong", timeoutMs: 2000 })),
      callbackBase: async () => "http://127.0.0.1:8080",
      readPhonesFile: async () => `phone=300@127.0.0.1:${port} snom.cfg ${phone.user} ${phone.password}\n`,
    });
    await c.start();
    cl = await StliClient.connect(c.port as number);
  });

  after(async () => {
    cl.close();
    await c.stop();
    await phone.close();
  });

  const served = () => phone.requests.filter((r) => r.served).map((r) => `${r.path}?${new URLSearchParams(r.params)}`);

  test("MakeCall, AnswerCall, ClearConnection, HoldCall, TransferCall + MakeCall, MonitorStart", async () => {
    assert.equal(await cl.command("MakeCall 300 0612345678"), "error_ind SUCCESS MakeCall");
    assert.equal(await cl.command("AnswerCall 300"), "error_ind SUCCESS AnswerCall");
    assert.equal(await cl.command("ClearConnection 300"), "error_ind SUCCESS ClearConnection");
    assert.equal(await cl.command("HoldCall 300"), "error_ind SUCCESS HoldCall");
    assert.equal(await cl.command("TransferCall 300"), "error_ind SUCCESS TransferCall");
    assert.equal(await cl.command("MakeCall 300 205"), "error_ind SUCCESS MakeCall");
    assert.equal(await cl.command("MonitorStart 300"), "error_ind SUCCESS MonitorStart");
    const got = served();
    assert.deepEqual(got.slice(0, 6), [
      "/command.htm?number=0612345678",
      "/command.htm?key=OFFHOOK",
      "/command.htm?key=CANCEL",
      "/command.htm?key=F_HOLD",
      "/command.htm?key=TRANSFER",
      "/command.htm?key=2%3B0%3B5%3BENTER",
    ]);
    assert.equal(
      phone.settings.get("action_incoming_url"),
      "http://127.0.0.1:8080/api/v1/cti/snom/300/incoming?remote=$remote&call=$call-id",
    );
    assert.equal(
      phone.settings.get("action_hold"),
      "http://127.0.0.1:8080/api/v1/cti/snom/300/hold?remote=$remote&call=$call-id",
    );
    assert.equal(phone.settings.get("action_dnd_off_url"), "http://127.0.0.1:8080/api/v1/cti/snom/300/dnd-off");
  });

  test("a phone that answers 500: error_ind ERROR; the next request goes through", async () => {
    phone.override = () => ({ status: 500 });
    assert.equal(await cl.command("AnswerCall 300"), "error_ind ERROR AnswerCall");
    phone.override = undefined;
    assert.equal(await cl.command("AnswerCall 300"), "error_ind SUCCESS AnswerCall");
  });
});
