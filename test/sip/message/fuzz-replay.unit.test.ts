/** Replays every input saved under test/fixtures/sip-fuzz (see its README). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseMessage, SipStreamFramer, serialize } from "../../../src/sip/message/index.ts";
import { fuzzCrashers } from "./fixtures.ts";

describe("saved fuzz inputs", () => {
  const inputs = fuzzCrashers();
  test("the corpus is there", () => {
    assert.ok(inputs.length > 0);
  });
  for (const { name, bytes } of inputs) {
    test(name, () => {
      for (const stream of [false, true]) {
        const r = parseMessage(bytes, { stream });
        if (!r.ok) continue;
        const wire = serialize(r.message);
        const again = parseMessage(wire, { stream });
        assert.ok(again.ok, again.ok ? "" : again.reason);
        assert.deepEqual(serialize(again.message), wire);
      }
      new SipStreamFramer().push(bytes);
    });
  }

  test("reason-phrase-bare-cr is rejected", () => {
    const input = inputs.find((i) => i.name === "reason-phrase-bare-cr.bin");
    assert.ok(input);
    const r = parseMessage(input.bytes);
    assert.ok(!r.ok && r.reason === "control character in Reason-Phrase");
  });
});
