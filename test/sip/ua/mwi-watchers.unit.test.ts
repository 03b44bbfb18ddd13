import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { mailboxWatchers, watcherRefusal } from "../../../src/sip/ua/mwi-subscribe-request.ts";

describe("who may watch a mailbox", () => {
  const trusted = new Set(["10.0.0.1"]);
  test("the room's phone IP and the PBX/proxy; anyone else gets a 403 reason phrase", async () => {
    assert.equal(watcherRefusal("10.0.0.1", undefined, trusted), undefined);
    assert.equal(watcherRefusal("10.20.0.31", "10.20.0.31", trusted), undefined);
    assert.equal(watcherRefusal("10.20.0.66", "10.20.0.31", trusted), "Not The Phone Of This Mailbox");
    assert.equal(watcherRefusal("10.20.0.66", undefined, trusted), "No Phone Known For This Mailbox");
    const authorize = mailboxWatchers(["10.0.0.1"], async (user) => (user === "2101" ? "10.20.0.31:5060" : null));
    const from = (address: string) => ({ transport: "udp" as const, address, port: 5060 });
    assert.equal(await authorize("2101", from("::ffff:10.20.0.31")), undefined);
    assert.equal(await authorize("2102", from("10.0.0.1")), undefined);
    assert.equal(await authorize("2101", from("10.20.0.66")), "Not The Phone Of This Mailbox");
  });
});
