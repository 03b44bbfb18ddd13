import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { settlesWithin } from "../../src/lib/within.ts";

describe("settlesWithin", () => {
  test("true when the promise settles in time, false when the time runs out first", async () => {
    assert.equal(await settlesWithin(Promise.resolve(1), 1000), true);
    assert.equal(await settlesWithin(new Promise(() => {}), 20), false);
    assert.equal(await settlesWithin(new Promise((r) => setTimeout(r, 5)), 1000), true);
    assert.equal(await settlesWithin(new Promise(() => {}), -5), false, "a deadline already past");
  });

  test("a rejection in time is thrown, not swallowed", async () => {
    await assert.rejects(settlesWithin(Promise.reject(new Error("boom")), 1000), /boom/);
  });
});
