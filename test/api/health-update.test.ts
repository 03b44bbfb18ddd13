/** GET /api/v1/health shows the last update's outcome (issue 16 §1): null until one happened. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { ensureUpdateDir, writeLastUpdate } from "../../src/store/update-state.ts";
import { withApi } from "./fixture.ts";

describe("health: last update", () => {
  test("null before any update, the outcome after one; an unreadable file is null, not an error", async () => {
    await withApi(async ({ call, store }) => {
      assert.equal((await call("GET", "/api/v1/health", { as: null })).body.update, null);
      const data = dirname(store.file);
      ensureUpdateDir(data);
      const last = {
        id: "x1",
        result: "rolled-back" as const,
        from: "1.0.0",
        to: "1.1.0",
        startedAt: "2026-12-06T10:00:00.000Z",
        finishedAt: "2026-12-06T10:01:00.000Z",
        reason: "not healthy within 60 s: API answered 500",
        by: "apply" as const,
      };
      writeLastUpdate(data, last);
      const r = await call("GET", "/api/v1/health", { as: null });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.update, last);
      writeFileSync(join(data, "update", "last.json"), "{garbage");
      assert.equal((await call("GET", "/api/v1/health", { as: null })).body.update, null);
    });
  });

  test("the OpenAPI document describes it", async () => {
    await withApi(async ({ call }) => {
      const doc = (await call("GET", "/openapi.json", { as: null })).body;
      const text = JSON.stringify(doc);
      assert.ok(text.includes("rollback-failed") && text.includes("boot-check"), "update outcome in the schema");
    });
  });
});
