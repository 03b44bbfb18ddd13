import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Companion } from "../../src/cti/companion.ts";
import { FakePhones } from "../cti/support.ts";
import { withApi } from "./fixture.ts";

describe("CTI routes", () => {
  test("callbacks only from the extension's phone; the status for admin and installer only; 404 while off", () =>
    withApi(async (f) => {
      assert.equal((await f.call("GET", "/api/v1/cti", { as: "admin" })).status, 404);
      assert.equal((await f.call("GET", "/api/v1/cti/snom/102/incoming", { as: null, from: "10.0.0.2" })).status, 404);

      const cti = new Companion({
        config: { listen: "127.0.0.1:0", networks: ["127.0.0.1"], phonesFile: null, callbackUrl: null },
        clock: f.ctx.clock,
        logger: f.ctx.logger,
        control: new FakePhones(),
        roomPhone: async (ext) => (ext === "102" ? "10.0.0.2:5060" : undefined),
        callbackBase: async () => "http://10.0.0.1:8080",
      });
      f.deps.cti = cti;
      const cb = (from: string, path = "/api/v1/cti/snom/102/incoming?remote=201&call=a") =>
        f.call("GET", path, { as: null, from });
      assert.deepEqual((await cb("10.0.0.2")).body, { delivered: 0 });
      assert.equal((await cb("::ffff:10.0.0.2")).status, 200);
      const refused = await cb("10.0.0.3");
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, "FORBIDDEN");
      assert.equal((await cb("10.0.0.2", "/api/v1/cti/snom/103/incoming")).status, 404);
      assert.equal((await cb("10.0.0.2", "/api/v1/cti/snom/10%3B2/incoming")).status, 400);

      const status = await f.call("GET", "/api/v1/cti", { as: "installer" });
      assert.equal(status.status, 200);
      assert.deepEqual(status.body.callbacks, { accepted: 2, refused: 2 });
      assert.equal(status.body.port, null, "not started");
      assert.equal((await f.call("GET", "/api/v1/cti", { as: "frontdesk" })).status, 403);

      const doc = await f.call("GET", "/openapi.json", { as: null });
      assert.ok(doc.body.paths["/api/v1/cti/snom/{ext}/{event}"].get);
      assert.deepEqual(doc.body.paths["/api/v1/cti/snom/{ext}/{event}"].get.security, []);
    }));
});
