import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { withApi } from "./fixture.ts";

describe("/openapi.json", () => {
  test("is a generated OpenAPI 3.1 document, served without a token", () =>
    withApi(async ({ call }) => {
      const r = await call("GET", "/openapi.json", { as: null });
      assert.equal(r.status, 200);
      const doc = r.body;
      assert.equal(doc.openapi, "3.1.0");
      assert.equal(doc.info.version, "9.9.9-test");
      assert.deepEqual(doc.components.securitySchemes.bearer, {
        type: "http",
        scheme: "bearer",
        description: doc.components.securitySchemes.bearer.description,
      });

      for (const p of [
        "/api/v1/health",
        "/api/v1/rooms",
        "/api/v1/rooms/{room}",
        "/api/v1/rooms/{room}/checkin",
        "/api/v1/rooms/{room}/checkout",
        "/api/v1/rooms/{room}/move",
        "/api/v1/wakeups",
        "/api/v1/wakeups/{id}",
        "/api/v1/pbx/jobs",
        "/api/v1/pbx/jobs/{id}/retry",
        "/api/v1/pbx/links",
        "/api/v1/pms",
        "/api/v1/pms/resync",
        "/api/v1/audit",
      ]) {
        assert.ok(doc.paths[p], p);
      }
      assert.deepEqual(Object.keys(doc.paths["/api/v1/rooms/{room}"]).sort(), ["get", "patch", "put"]);

      const checkin = doc.paths["/api/v1/rooms/{room}/checkin"].post;
      assert.equal(checkin.requestBody.required, true);
      const body = checkin.requestBody.content["application/json"].schema;
      assert.deepEqual(body.required, ["guest"]);
      assert.ok(body.properties.guest.required.includes("lastName"));
      assert.ok(!body.properties.guest.required.includes("firstName"));
      assert.equal(body.properties.classOfService.maximum, 3);
      assert.deepEqual(checkin.security, [{ bearer: [] }]);
      assert.deepEqual(checkin["x-roles"], ["admin", "frontdesk"]);
      assert.deepEqual(checkin.parameters, [
        { name: "room", in: "path", required: true, schema: checkin.parameters[0].schema },
      ]);
      assert.ok(checkin.responses["400"] && checkin.responses["401"] && checkin.responses["403"]);
      assert.equal(checkin.responses["200"].content["application/json"].schema.$ref, "#/components/schemas/Room");
      assert.equal(doc.components.schemas.Room.properties.guests.items.$ref, "#/components/schemas/Guest");

      assert.deepEqual(doc.paths["/api/v1/health"].get.security, []);
      assert.deepEqual(doc.paths["/openapi.json"].get.security, []);
      assert.equal(doc.paths["/api/v1/rooms/{room}/checkout"].post.requestBody.required, false);
      const patch = doc.paths["/api/v1/rooms/{room}"].patch.requestBody.content["application/json"].schema;
      assert.equal(patch.minProperties, 1);
      assert.equal(patch.additionalProperties, false);

      const jobs = doc.paths["/api/v1/pbx/jobs"].get.parameters;
      const limit = jobs.find((p: { name: string }) => p.name === "limit");
      assert.equal(limit.in, "query");
      assert.equal(limit.required, false);
      assert.equal(limit.schema.type, "string");

      const pms = doc.paths["/api/v1/pms"].get.responses["200"].content["application/json"].schema;
      const rejected = pms.properties.rejected;
      assert.ok(pms.required.includes("rejected"));
      assert.deepEqual(rejected.items.properties.stage.enum, ["framing", "parse", "apply"]);
      assert.deepEqual([...rejected.items.required].sort(), ["at", "reason", "stage", "text"]);

      // A room's phone lists the refused phone claims; the phone events document their 404 and 409.
      const phone = doc.components.schemas.Room.properties.phone;
      assert.ok(!phone.required.includes("refusedClaims"), "only in one room's view");
      assert.deepEqual([...phone.properties.refusedClaims.items.required].sort(), [
        "at",
        "count",
        "ip",
        "mac",
        "reason",
        "source",
        "user",
        "vendor",
      ]);
      for (const [path, method] of [
        ["/api/v1/phone-events/snom", "get"],
        ["/api/v1/phone-events/yealink", "get"],
        ["/api/v1/phone-events/polycom", "post"],
      ]) {
        const responses = doc.paths[path][method].responses;
        assert.ok(responses["404"] && responses["409"], path);
        assert.match(doc.paths[path][method].description, /source|reports/);
      }

      // Every $ref resolves.
      const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
      for (const ref of new Set(refs)) {
        const path = ref.slice(8, -1).replace(/^#\//, "").split("/");
        let at = doc;
        for (const k of path) at = at?.[k];
        assert.ok(at, `unresolved ${ref}`);
      }
      // Every operation has an id, a summary and responses; ids are unique.
      const ids = new Set<string>();
      for (const ops of Object.values(doc.paths) as Record<string, Record<string, unknown>>[]) {
        for (const op of Object.values(ops)) {
          assert.equal(typeof op.operationId, "string");
          assert.ok(!ids.has(op.operationId as string));
          ids.add(op.operationId as string);
          assert.equal(typeof op.summary, "string");
          assert.ok(op.responses);
        }
      }
    }));
});
