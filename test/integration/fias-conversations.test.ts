/**
 * FIAS conversations with PMSs as they are met in the field (test/fixtures/fias-conversations),
 * replayed against the whole appliance: both directions byte for byte, with the timing. See
 * test/helpers/fias-conversation.ts for the format; FIAS_RECORD=1 records instead of comparing.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { test } from "node:test";
import type { Appliance } from "../../src/app/appliance.ts";
import { loadRoom } from "../../src/store/rooms.ts";
import { wakeups } from "../../src/store/schema/index.ts";
import { formatLine, readConversation, replayConversation, saveRecording } from "../helpers/fias-conversation.ts";

const DIR = resolve(import.meta.dirname ?? ".", "../fixtures/fias-conversations");

/** What each conversation must also leave behind, beyond its transcript. */
const checks: Record<string, (app: Appliance) => void | Promise<void>> = {
  "oracle-start.conv": (app) => {
    assert.deepEqual(pick(app), { greeting: "pms", linkConfirmedBy: "LA", aliveAnswer: "LA", connectionsLost: 0 });
  },
  "matrix-start.conv": (app) => {
    assert.deepEqual(pick(app), {
      greeting: "appliance",
      linkConfirmedBy: "data",
      aliveAnswer: null,
      connectionsLost: 0,
    });
  },
  "silent-la.conv": (app) => {
    assert.deepEqual(pick(app), { greeting: "pms", linkConfirmedBy: "silence", aliveAnswer: "LA", connectionsLost: 0 });
  },
  "alive-ls-answer.conv": (app) => {
    assert.deepEqual(pick(app), { greeting: "pms", linkConfirmedBy: "LA", aliveAnswer: "LS", connectionsLost: 0 });
    assert.equal(app.link.peer.linkStarts, 2, "the unprompted LS restarted the link once");
  },
  "crlf-inside-frames.conv": (app) => {
    assert.equal(app.ingest.failed, 0);
    assert.deepEqual(
      app.monitor.view().frames.filter((f) => f.error),
      [],
    );
  },
  "gv-n.conv": async (app) => {
    assert.deepEqual(await vips(app, ["101", "102", "103", "104", "105"]), ["", "1", "", "", "7"]);
  },
  "dateless-wr.conv": async (app) => {
    const rows = await app.store.read((db) => db.select().from(wakeups).orderBy(wakeups.id));
    assert.deepEqual(
      rows.map((w) => [w.room, w.fiasDate, w.fiasTime, w.state]),
      [
        ["101", "261206", "0715", "failed"],
        ["102", "261207", "065500", "cancelled"],
      ],
    );
  },
  "last-first.conv": async (app) => {
    const guests = await Promise.all(
      ["101", "102", "103", "104"].map(async (n) => {
        const g = (await app.store.read((db) => loadRoom(db, n)))?.room.guests[0];
        return [g?.title, g?.firstName, g?.lastName];
      }),
    );
    assert.deepEqual(guests, [
      ["", "Élise", "Dupont"],
      ["Mr.", "", "Guest"],
      ["", "Mario", "Rossi"],
      ["", "Jan", "van der Berg"],
    ]);
  },
  "crlf-framing.conv": (app) => {
    assert.equal(app.link.peer.framing, "crlf");
    assert.equal(app.ingest.failed, 0);
  },
};

async function vips(app: Appliance, rooms: string[]): Promise<string[]> {
  return Promise.all(
    rooms.map(async (n) => (await app.store.read((db) => loadRoom(db, n)))?.room.guests[0]?.vip ?? "?"),
  );
}

function pick(app: Appliance) {
  const p = app.link.peer;
  return {
    greeting: p.greeting,
    linkConfirmedBy: p.linkConfirmedBy,
    aliveAnswer: p.aliveAnswer,
    connectionsLost: p.connectionsLost,
  };
}

const files = readdirSync(DIR)
  .filter((f) => f.endsWith(".conv"))
  .sort();

for (const file of files) {
  test(`FIAS conversation ${file}`, { timeout: 30_000 }, async () => {
    const c = readConversation(join(DIR, file));
    const r = await replayConversation(c);
    try {
      if (process.env.FIAS_RECORD) {
        saveRecording(c, r.recorded);
        return;
      }
      assert.deepEqual(r.recorded.map(formatLine), c.lines.map(formatLine));
      await checks[file]?.(r.app);
    } finally {
      await r.close();
    }
  });
}

test("every conversation has its extra checks", () => {
  assert.deepEqual(
    files.filter((f) => !checks[f]),
    [],
  );
});
