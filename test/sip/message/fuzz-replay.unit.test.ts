/** Replays every input saved under test/fixtures/sip-fuzz (see its README). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildErrorResponse, parseMessage, SipStreamFramer, serialize } from "../../../src/sip/message/index.ts";
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

  // Issue 10: a bare CR (or a bare LF in a CRLF message) in a header value. Rejected, answerable
  // (400) only when the values a response copies are clean; buildErrorResponse must not throw then.
  const bare: Array<[string, string, boolean]> = [
    ["header-bare-cr-subject.bin", "bare CR in a header field", true],
    ["header-bare-cr-via.bin", "bare CR in a header field", false],
    ["header-bare-cr-to-end.bin", "bare CR in a header field", false],
    ["header-bare-lf-injection.bin", "bare LF in a header field", true],
  ];
  for (const [name, reason, answerable] of bare) {
    test(`${name}: rejected (${reason}), ${answerable ? "answered 400" : "not answerable"}`, () => {
      const input = inputs.find((i) => i.name === name);
      assert.ok(input, name);
      for (const stream of [false, true]) {
        const r = parseMessage(input.bytes, { stream });
        assert.ok(!r.ok);
        assert.equal(r.reason, reason);
        assert.equal(r.canAnswer400 !== undefined, answerable);
        if (r.canAnswer400) {
          const wire = serialize(buildErrorResponse(r.canAnswer400, 400, r.reason));
          assert.ok(parseMessage(wire).ok);
        }
      }
    });
  }

  test("reason-phrase-bare-cr is rejected", () => {
    const input = inputs.find((i) => i.name === "reason-phrase-bare-cr.bin");
    assert.ok(input);
    const r = parseMessage(input.bytes);
    assert.ok(!r.ok && r.reason === "control character in Reason-Phrase");
  });
});
