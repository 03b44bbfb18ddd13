/**
 * The posting sender on a fake link and a FakeClock: one posting in flight, held while the link
 * cannot send, PA answers through the real ingest path (inbox → events → applied → hook), the PA
 * time-out and its one identical resend, a crash between send and answer, staff retries.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { type FiasRecord, formatRecord, recordFromText, serializeRecord } from "../../src/pms/fias/record.ts";
import { PmsIngest } from "../../src/services/pms-ingest.ts";
import { PostingSender } from "../../src/services/posting-sender.ts";
import { createPosting, getPosting, listPostings, retryPosting } from "../../src/services/postings.ts";
import { checkInRoom } from "../../src/services/rooms.ts";
import { listAudit } from "../../src/store/audit.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

/** A PMS link that records what it was given; `giveUp` makes the next send fail delivery (serial). */
class FakeLink {
  canSend = true;
  sent: FiasRecord[] = [];
  giveUp = 0;

  sendMessage(text: string, done?: (delivered: boolean, reason?: string) => void): boolean {
    if (!this.canSend) return false;
    this.sent.push(recordFromText(text));
    if (this.giveUp > 0) {
      this.giveUp--;
      this.canSend = false;
      setTimeout(() => done?.(false, "no ACK after 3 retries"), 2);
    } else done?.(true);
    return true;
  }
}

/** Waits (real time: the store is real I/O) until `cond` holds. */
async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe("PostingSender", () => {
  let t: Temp;
  let ctx: TestContext;
  let link: FakeLink;
  let sender: PostingSender;
  let ingest: PmsIngest;

  const ps = (i: number) => link.sent[i] ?? assert.fail(`no PS #${i}`);
  const seqOf = (i: number) => ps(i).fields["P#"];

  async function pa(text: string): Promise<void> {
    const rec = recordFromText(text);
    ingest.receive(rec, serializeRecord(rec));
    await ingest.idle();
  }

  async function charge(ref: string, amount = 1000, room = "101") {
    return createPosting(ctx, { room, kind: "charge", amount, source: { type: "staff", ref }, actor: "api:desk" });
  }

  async function settled(): Promise<void> {
    await ingest.idle();
    // The hook fires before the answer commits; the sender's next read waits for it.
    await new Promise((r) => setTimeout(r, 5));
    await sender.idle();
  }

  function start(): void {
    sender = new PostingSender(ctx, link);
    ctx.hooks.postingsQueued = () => sender.kick();
    ctx.hooks.postingAnswered = (a) => sender.answered(a);
  }

  beforeEach(async () => {
    t = await tempStore();
    ctx = testContext(t.store);
    link = new FakeLink();
    ingest = new PmsIngest(ctx, "latin1");
    await checkInRoom(ctx, "api:desk", "101", { reservation: "42", lastName: "Rossi", firstName: "Anna" });
    await checkInRoom(ctx, "api:desk", "102", { reservation: "43", lastName: "Bianchi" });
    start();
    await sender.init();
  });

  afterEach(async () => {
    await sender.stop();
    await ingest.idle();
    t.cleanup();
  });

  test("one posting in flight: the next goes only after the PA of the one before", async () => {
    await charge("a", 100);
    await charge("b", 200);
    await charge("c", 300, "102");
    await until(() => link.sent.length === 1, "first PS");
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(link.sent.length, 1, "nothing else goes before the PA");
    assert.equal(formatRecord(ps(0)), "PS|RN101|PTC|TA100|DA261122|TI100000|P#1|");
    assert.equal((await getPosting(ctx, 1)).state, "sending");

    await pa("PA|RN101|ASOK|P#1|DA261122|TI100000|");
    await until(() => link.sent.length === 2, "second PS");
    assert.equal(seqOf(1), "2");
    await pa("PA|RN101|ASOK|P#2|");
    await until(() => link.sent.length === 3, "third PS");
    assert.equal(ps(2).fields.RN, "102");
    await pa("PA|RN102|ASOK|P#3|");
    await settled();
    const all = await listPostings(ctx);
    assert.deepEqual(
      all.map((p) => [p.id, p.state, p.sequence, p.answer?.code]),
      [
        [3, "accepted", 3, "OK"],
        [2, "accepted", 2, "OK"],
        [1, "accepted", 1, "OK"],
      ],
    );
  });

  test("held while the link cannot send (down, link start, DS…DE), sent at link-up", async () => {
    link.canSend = false;
    await charge("a");
    await sender.idle();
    assert.equal(link.sent.length, 0);
    assert.equal((await getPosting(ctx, 1)).state, "pending");
    link.canSend = true;
    sender.linkReady();
    await until(() => link.sent.length === 1, "PS after link-up");
    await pa("PA|ASOK|P#1|");
    await settled();
    assert.equal((await getPosting(ctx, 1)).state, "accepted");
  });

  test("a refusal is kept with the PMS's code and text; staff retry it with a new P#", async () => {
    await charge("a");
    await until(() => link.sent.length === 1, "PS");
    await pa("PA|RN101|ASNG|P#1|CTINVALID ROOM|");
    await settled();
    let p = await getPosting(ctx, 1);
    assert.equal(p.state, "rejected");
    assert.deepEqual([p.answer?.code, p.answer?.text], ["NG", "INVALID ROOM"]);
    assert.equal(link.sent.length, 1, "a refusal is never resent by itself");

    p = await retryPosting(ctx, 1, "api:desk");
    assert.equal(p.state, "pending");
    await until(() => link.sent.length === 2, "the retried PS");
    assert.equal(seqOf(1), "2", "a new transmission, a new P#");
    await pa("PA|RN101|ASOK|P#2|");
    await settled();
    assert.equal((await getPosting(ctx, 1)).state, "accepted");
    const audit = await ctx.store.read((db) => listAudit(db, { room: "101", limit: 10 }));
    const retry = audit.find((a) => a.action === "posting-retry");
    assert.equal(retry?.actor, "api:desk");
    assert.deepEqual(retry?.before, {
      id: 1,
      state: "rejected",
      sequence: 1,
      answerCode: "NG",
      answerText: "INVALID ROOM",
    });
    await assert.rejects(retryPosting(ctx, 1, "api:desk"), /accepted: only rejected, failed or uncertain/);
  });

  test("no PA in 30 s: the identical record once more, then failed; a late OK still books it", async () => {
    await charge("a");
    await charge("b");
    await until(() => link.sent.length === 1, "PS");
    ctx.clock.advance(29_999);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(link.sent.length, 1);
    ctx.clock.advance(1);
    await until(() => link.sent.length === 2, "the resend");
    assert.deepEqual(ps(1), ps(0), "same P#, same DA/TI");
    ctx.clock.advance(30_000);
    await until(() => link.sent.length === 3, "the next posting");
    let p = await getPosting(ctx, 1);
    assert.equal(p.state, "failed");
    assert.equal(p.attempts, 2);
    assert.match(p.answer?.text ?? "", /no answer \(PA\) within 30 s; sent 2 times/);
    assert.equal(seqOf(2), "2");
    const audit = await ctx.store.read((db) => listAudit(db, { room: "101", limit: 10 }));
    assert.ok(
      audit.some((a) => a.action === "posting-resend"),
      "the resend is audited as a possible duplicate",
    );

    await pa("PA|ASOK|P#1|");
    await pa("PA|ASOK|P#2|");
    await settled();
    p = await getPosting(ctx, 1);
    assert.equal(p.state, "accepted", "a late answer settles a failed posting");
  });

  test("retry later (RY): held for a minute, then sent with a new P#", async () => {
    await charge("a");
    await until(() => link.sent.length === 1, "PS");
    await pa("PA|ASRY|P#1|");
    await settled();
    const p = await getPosting(ctx, 1);
    assert.equal(p.state, "pending");
    assert.ok(p.nextAttemptAt);
    ctx.clock.advance(59_000);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(link.sent.length, 1);
    ctx.clock.advance(1_000);
    await until(() => link.sent.length === 2, "PS after the delay");
    assert.equal(seqOf(1), "2");
    await pa("PA|ASOK|P#2|");
    await settled();
    assert.equal((await getPosting(ctx, 1)).state, "accepted");
  });

  test("a PA without P# answers the posting in flight", async () => {
    await charge("a");
    await until(() => link.sent.length === 1, "PS");
    await pa("PA|RN101|ASOK|");
    await settled();
    assert.equal((await getPosting(ctx, 1)).state, "accepted");
  });

  test("a PA that answers no posting is refused and shown, nothing changes", async () => {
    await pa("PA|ASOK|P#77|");
    assert.equal(ingest.failed, 1);
  });

  test("a record the link gave up on goes again, identical, after link-up", async () => {
    link.giveUp = 1;
    await charge("a");
    await until(async () => (await getPosting(ctx, 1)).state === "pending" && link.sent.length === 1, "given up");
    link.canSend = true;
    sender.linkReady();
    await until(() => link.sent.length === 2, "resend");
    assert.deepEqual(ps(1), ps(0));
    await pa("PA|ASOK|P#1|");
    await settled();
    assert.equal((await getPosting(ctx, 1)).state, "accepted");
  });

  test("crash between send and answer: uncertain at the next start, never resent until staff retry", async () => {
    await charge("a");
    await until(() => link.sent.length === 1, "PS");
    // The process dies here: a new sender over the same store, as after a restart.
    await sender.stop();
    link = new FakeLink();
    start();
    await sender.init();
    sender.kick();
    await sender.idle();
    let p = await getPosting(ctx, 1);
    assert.equal(p.state, "uncertain");
    assert.equal(link.sent.length, 0, "an uncertain posting is never resent automatically");
    const audit = await ctx.store.read((db) => listAudit(db, { room: "101", limit: 10 }));
    assert.ok(audit.some((a) => a.action === "posting-uncertain"));

    p = await retryPosting(ctx, 1, "api:desk");
    await until(() => link.sent.length === 1, "PS after the staff retry");
    assert.equal(seqOf(0), "2", "the P# counter survived the restart");
    await pa("PA|ASOK|P#2|");
    await settled();
    assert.equal((await getPosting(ctx, 1)).state, "accepted");
  });

  test("an orderly stop waits a little for the answer in flight, and sends nothing new", async () => {
    await charge("a");
    await charge("b");
    await until(() => link.sent.length === 1, "PS");
    const stopped = sender.stop(10_000);
    await pa("PA|ASOK|P#1|");
    await stopped;
    assert.equal((await getPosting(ctx, 1)).state, "accepted");
    assert.equal((await getPosting(ctx, 2)).state, "pending");
    assert.equal(link.sent.length, 1);
  });

  test("a protocol without posting answers (Mitel MR): the PMS's acknowledgement settles it", async () => {
    await sender.stop();
    sender = new PostingSender(ctx, link, { answers: false });
    ctx.hooks.postingsQueued = () => sender.kick();
    await charge("a");
    await charge("b");
    await until(() => link.sent.length === 2, "both sent, none waiting for a PA");
    await sender.idle();
    const p = await getPosting(ctx, 1);
    assert.deepEqual([p.state, p.answer?.text], ["accepted", "delivered (the PMS protocol has no posting answer)"]);
  });
});
