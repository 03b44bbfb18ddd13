import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as v from "valibot";
import { PostingList, PostingSchema } from "../../src/api/routes/postings.ts";
import { applyPostingAnswer } from "../../src/services/postings.ts";
import { updatePosting } from "../../src/store/postings.ts";
import { withApi } from "./fixture.ts";

describe("postings API", () => {
  test("front desk posts minibar and charges for a checked-in guest; 201, then listed", () =>
    withApi(async ({ call, ctx }) => {
      let kicks = 0;
      ctx.hooks.postingsQueued = () => {
        kicks++;
      };
      await call("POST", "/api/v1/rooms/101/checkin", {
        as: "frontdesk",
        body: { guest: { lastName: "Rossi", firstName: "Anna", reservation: "4711" } },
      });
      const m = await call("POST", "/api/v1/rooms/101/postings", {
        as: "frontdesk",
        body: { kind: "minibar", article: "12", quantity: 2 },
      });
      assert.equal(m.status, 201, JSON.stringify(m.body));
      v.parse(PostingSchema, m.body);
      assert.equal(m.body.state, "pending");
      assert.equal(m.body.reservation, "4711");
      assert.equal(m.body.guestName, "Anna Rossi");
      assert.deepEqual([m.body.kind, m.body.article, m.body.quantity, m.body.amount], ["minibar", "12", 2, null]);
      assert.equal(m.body.source.type, "staff");
      assert.equal(m.body.actor, "api:desk");
      assert.equal(m.body.answer, null);
      assert.equal(kicks, 1, "the sender is told");

      const c = await call("POST", "/api/v1/rooms/101/postings", {
        as: "installer",
        body: { kind: "charge", amount: 1250, text: "Room service", ref: "pos-77" },
      });
      assert.equal(c.status, 201);
      assert.equal(c.body.source.ref, "pos-77");
      // The same ref again is the same posting, not a second charge.
      const again = await call("POST", "/api/v1/rooms/101/postings", {
        as: "admin",
        body: { kind: "charge", amount: 1250, text: "Room service", ref: "pos-77" },
      });
      assert.equal(again.status, 200);
      assert.equal(again.body.id, c.body.id);
      const clash = await call("POST", "/api/v1/rooms/101/postings", {
        as: "admin",
        body: { kind: "charge", amount: 999, ref: "pos-77" },
      });
      assert.equal(clash.status, 409);
      assert.match(clash.body.error.message, /ref "pos-77" was used for another charge/);

      const list = await call("GET", "/api/v1/postings?room=101", { as: "frontdesk" });
      assert.equal(list.status, 200);
      v.parse(PostingList, list.body);
      assert.deepEqual(
        list.body.postings.map((p: { id: number }) => p.id),
        [c.body.id, m.body.id],
      );
      const pending = await call("GET", "/api/v1/postings?state=accepted&since=2026-11-22", { as: "installer" });
      assert.deepEqual(pending.body.postings, []);
      const one = await call("GET", `/api/v1/postings/${m.body.id}`, { as: "admin" });
      assert.equal(one.body.id, m.body.id);
      assert.equal((await call("GET", "/api/v1/postings/999")).status, 404);
    }));

  test("roles: housekeeping may not post nor list; no token is 401", () =>
    withApi(async ({ call }) => {
      await call("POST", "/api/v1/rooms/101/checkin", { as: "frontdesk", body: { guest: { lastName: "Rossi" } } });
      const body = { kind: "charge", amount: 100 };
      assert.equal((await call("POST", "/api/v1/rooms/101/postings", { as: "housekeeping", body })).status, 403);
      assert.equal((await call("POST", "/api/v1/rooms/101/postings", { as: null, body })).status, 401);
      assert.equal((await call("GET", "/api/v1/postings", { as: "housekeeping" })).status, 403);
      assert.equal((await call("POST", "/api/v1/postings/1/retry", { as: "housekeeping" })).status, 403);
    }));

  test("400 names the field; 409 for a vacant room; 404 for an unknown room", () =>
    withApi(async ({ call }) => {
      await call("PUT", "/api/v1/rooms/102", { as: "installer", body: {} });
      await call("POST", "/api/v1/rooms/101/checkin", { as: "frontdesk", body: { guest: { lastName: "Rossi" } } });
      const bad: [unknown, RegExp][] = [
        [{ kind: "minibar", quantity: 2 }, /body\.article: required for a minibar posting/],
        [{ kind: "charge" }, /body\.amount: required for a charge/],
        [{ kind: "charge", amount: 12.5 }, /body\.amount/],
        [{ kind: "charge", amount: -1 }, /body\.amount/],
        [{ kind: "charge", amount: 100, article: "1" }, /body\.article: minibar only/],
        [{ kind: "minibar", article: "12345" }, /body\.article/],
        [{ kind: "minibar", article: "1", quantity: 0 }, /body\.quantity/],
        [{ kind: "charge", amount: 1, text: "a|b" }, /body\.text/],
        [{ kind: "charge", amount: 1, text: "x".repeat(21) }, /body\.text/],
        [{ kind: "call", amount: 1 }, /body\.kind/],
        [{ kind: "charge", amount: 1, extra: true }, /extra/],
      ];
      for (const [body, message] of bad) {
        const r = await call("POST", "/api/v1/rooms/101/postings", { as: "frontdesk", body });
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.match(r.body.error.message, message, JSON.stringify(body));
      }
      const raw = await call("POST", "/api/v1/rooms/101/postings", { as: "frontdesk", raw: "{" });
      assert.equal(raw.status, 400);
      const vacant = await call("POST", "/api/v1/rooms/102/postings", {
        as: "frontdesk",
        body: { kind: "charge", amount: 1 },
      });
      assert.equal(vacant.status, 409);
      assert.match(vacant.body.error.message, /room 102 is vacant/);
      const unknown = await call("POST", "/api/v1/rooms/999/postings", {
        as: "frontdesk",
        body: { kind: "charge", amount: 1 },
      });
      assert.equal(unknown.status, 404);
      assert.equal((await call("GET", "/api/v1/postings?state=lost")).status, 400);
      assert.equal((await call("GET", "/api/v1/postings?since=yesterday")).status, 400);
    }));

  test("retry: a rejected posting is pending again (audited); a pending one is 409", () =>
    withApi(async ({ call, ctx }) => {
      await call("POST", "/api/v1/rooms/101/checkin", { as: "frontdesk", body: { guest: { lastName: "Rossi" } } });
      const p = await call("POST", "/api/v1/rooms/101/postings", {
        as: "frontdesk",
        body: { kind: "charge", amount: 5 },
      });
      assert.equal((await call("POST", `/api/v1/postings/${p.body.id}/retry`, { as: "frontdesk" })).status, 409);
      // As the sender and the PMS would leave it: sent with P#9, refused.
      await ctx.store.tx(async (tx) => {
        await updatePosting(tx, p.body.id, { state: "sending", sequence: 9, record: "PS|RN101|P#9|" }, ctx.clock.now());
        await applyPostingAnswer(ctx, tx, { sequence: 9, status: "rejected", code: "NP", text: "NO POST" });
      });
      const rejected = await call("GET", `/api/v1/postings/${p.body.id}`, { as: "frontdesk" });
      assert.equal(rejected.body.state, "rejected");
      assert.deepEqual([rejected.body.answer.code, rejected.body.answer.text], ["NP", "NO POST"]);
      const r = await call("POST", `/api/v1/postings/${p.body.id}/retry`, { as: "frontdesk" });
      assert.equal(r.status, 200);
      v.parse(PostingSchema, r.body);
      assert.equal(r.body.state, "pending");
      assert.equal(r.body.answer, null);
      const audit = await call("GET", "/api/v1/audit?room=101", { as: "admin" });
      const entry = audit.body.entries.find((e: { action: string }) => e.action === "posting-retry");
      assert.equal(entry?.actor, "api:desk");
      assert.equal((await call("POST", "/api/v1/postings/999/retry", { as: "frontdesk" })).status, 404);
    }));
});
