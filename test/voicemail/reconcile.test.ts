/** Start-up reconcile of voicemail files and rows, crash-interrupted recordings included (issue 12 §2/§5). */
import assert from "node:assert/strict";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { afterEach, beforeEach, describe, test } from "node:test";
import { PmsIngest } from "../../src/services/pms-ingest.ts";
import { openDeposit } from "../../src/services/voicemail.ts";
import { type RecoverRecording, reconcileVoicemail } from "../../src/voicemail/reconcile.ts";
import { type TestContext, tempStore, testContext } from "../helpers/store.ts";
import {
  deposit,
  feed,
  lampJobs,
  messageRows,
  roomOf,
  voiceReports,
  writeMessageFile,
} from "../services/voicemail-fixture.ts";

type Temp = Awaited<ReturnType<typeof tempStore>>;

/** What the recorder's recovery would say of each file, by path; every call is noted. */
function fakeRecover(results: Record<string, ReturnType<RecoverRecording> | "throw">) {
  const calls: string[] = [];
  const fn: RecoverRecording = (path) => {
    calls.push(path);
    const r = results[path];
    if (r === "throw") throw new Error("truncated beyond repair");
    return r;
  };
  return { fn, calls };
}

const none = fakeRecover({}).fn;

describe("voicemail reconcile at start", () => {
  let t: Temp;
  let ctx: TestContext;
  let ingest: PmsIngest;

  beforeEach(async () => {
    t = await tempStore();
    ctx = testContext(t.store, { links: ["sip-mwi"] });
    ingest = new PmsIngest(ctx, "latin1");
    await ingest.init();
    await feed(ingest, "GI|RN101|G#1|GNSmith|GSN|");
  });
  afterEach(() => t.cleanup());

  test("nothing to do: nothing changes", async () => {
    await deposit(ctx, "101");
    const before = await voiceReports(ctx);
    const r = await reconcileVoicemail(ctx, none);
    assert.deepEqual(r, { orphanFiles: [], missingFiles: [], recovered: [], discarded: [], roomsCorrected: [] });
    assert.deepEqual(await voiceReports(ctx), before);
  });

  test("an empty or missing voicemail folder is fine", async () => {
    const r = await reconcileVoicemail(ctx, none);
    assert.deepEqual(r.orphanFiles, []);
  });

  test("a file without a row is removed", async () => {
    await deposit(ctx, "101");
    const stray = `${ctx.voicemailDir}/msgs/0123456789abcdef01234567.wav`;
    writeMessageFile(stray, 2);
    writeFileSync(`${ctx.voicemailDir}/msgs/junk.tmp`, "x");
    const r = await reconcileVoicemail(ctx, none);
    assert.deepEqual(r.orphanFiles.sort(), ["msgs/0123456789abcdef01234567.wav", "msgs/junk.tmp"]);
    assert.equal(existsSync(stray), false);
    assert.equal((await messageRows(ctx)).length, 1);
  });

  test("a row whose file is gone is deleted; the counts, lamp and PMS follow", async () => {
    const a = await deposit(ctx, "101");
    ctx.clock.advance(1000);
    await deposit(ctx, "101");
    const [gone] = (await messageRows(ctx)).filter((m) => m.id === a);
    rmSync(`${ctx.voicemailDir}/${gone.file}`);
    const r = await reconcileVoicemail(ctx, none);
    assert.deepEqual(r.missingFiles, [a]);
    assert.deepEqual(r.roomsCorrected, ["101"]);
    assert.equal((await messageRows(ctx)).length, 1);
    const room = await roomOf(ctx, "101");
    assert.deepEqual([room.voiceNew, room.voiceSaved], [1, 0]);
    assert.deepEqual((await lampJobs(ctx)).at(-1), ["101", 1, 0]);
    assert.equal((await voiceReports(ctx)).at(-1), "RE|RN101|VM0100|");
  });

  test("a recording cut off by a crash with enough sound is kept as new: counted, lamp, RE VM", async () => {
    const opened = await openDeposit(ctx, "101", { caller: "555" });
    assert.ok(opened.ok);
    writeMessageFile(opened.path, 4);
    const rec = fakeRecover({ [opened.path]: { durationMs: 4000, soundMs: 2000, codec: "PCMA" } });
    const r = await reconcileVoicemail(ctx, rec.fn);
    assert.deepEqual(rec.calls, [opened.path]);
    assert.deepEqual(r.recovered, [opened.messageId]);
    const [row] = await messageRows(ctx);
    assert.deepEqual([row.state, row.durationMs, row.soundMs, row.codec], ["new", 4000, 2000, "PCMA"]);
    const room = await roomOf(ctx, "101");
    assert.deepEqual([room.voiceNew, room.voiceSaved], [1, 0]);
    assert.deepEqual((await lampJobs(ctx)).at(-1), ["101", 1, 0]);
    assert.deepEqual(await voiceReports(ctx), ["RE|RN101|VM0100|"]);
  });

  test("a cut-off recording with too little sound, unreadable, or failing recovery goes with its file", async () => {
    const paths: string[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const o = await openDeposit(ctx, "101", { caller: "" });
      assert.ok(o.ok);
      writeMessageFile(o.path, 1);
      paths.push(o.path);
      ids.push(o.messageId);
    }
    const rec = fakeRecover({
      [paths[0]]: { durationMs: 5000, soundMs: 1999, codec: "PCMU" },
      [paths[1]]: undefined,
      [paths[2]]: "throw",
    });
    const r = await reconcileVoicemail(ctx, rec.fn);
    assert.deepEqual(r.discarded.sort(), [...ids].sort());
    assert.deepEqual(await messageRows(ctx), []);
    for (const p of paths) assert.equal(existsSync(p), false);
    assert.deepEqual(await voiceReports(ctx), []);
  });

  test("a recording row whose file never appeared is deleted without asking the recorder", async () => {
    const o = await openDeposit(ctx, "101", { caller: "" });
    assert.ok(o.ok);
    const rec = fakeRecover({});
    const r = await reconcileVoicemail(ctx, rec.fn);
    assert.deepEqual(rec.calls, []);
    assert.deepEqual(r.missingFiles, [o.messageId]);
    assert.deepEqual(await messageRows(ctx), []);
  });

  test("a recording of a stay archived meanwhile is kept in the archive, not counted", async () => {
    const o = await openDeposit(ctx, "101", { caller: "" });
    assert.ok(o.ok);
    writeMessageFile(o.path, 4);
    await feed(ingest, "GO|RN101|");
    const rec = fakeRecover({ [o.path]: { durationMs: 4000, soundMs: 4000, codec: "PCMU" } });
    await reconcileVoicemail(ctx, rec.fn);
    const [row] = await messageRows(ctx);
    assert.equal(row.state, "new");
    assert.notEqual(row.archivedAt, null);
    const room = await roomOf(ctx, "101");
    assert.deepEqual([room.voiceNew, room.voiceSaved], [0, 0]);
  });
});
