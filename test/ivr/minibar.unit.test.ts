import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type MinibarEntry,
  type MinibarFlowOptions,
  parseArticle,
  parseQuantity,
  runMinibar,
} from "../../src/ivr/minibar.ts";
import { memoryLogger } from "../../src/lib/logger.ts";
import { type FakeChannelOptions, fakeCall, type ScriptedKey, typed } from "../helpers/fake-channel.ts";

const TIMEOUT = 5000;
const article = (nth = 1) => ({ after: "minibar-enter-article", nth, delay: 400 });
const next = (nth = 1) => ({ after: "minibar-next-article", nth, delay: 400 });
const quantity = (nth = 1) => ({ after: "minibar-enter-quantity", nth, delay: 400 });
const confirm = (key: ScriptedKey["key"], nth = 1): ScriptedKey => ({
  after: "minibar-confirm-menu",
  nth,
  delay: 300,
  key,
});

function setup(script: Omit<FakeChannelOptions, "label">, opts: Partial<MinibarFlowOptions> = {}) {
  const { channel, prompts } = fakeCall(script);
  const posts: [MinibarEntry, number][] = [];
  const run = () =>
    runMinibar(channel, {
      prompts,
      lang: "en",
      digitTimeoutMs: TIMEOUT,
      maxTries: 3,
      post: async (entry, n) => {
        posts.push([entry, n]);
      },
      ...opts,
    });
  return { channel, posts, run };
}

const readBack = (digits: string[], qty: string[]) => [
  "minibar-article",
  ...digits.map((d) => `digit-${d}`),
  "minibar-quantity",
  ...qty,
  "minibar-confirm-menu",
];

describe("parseArticle / parseQuantity", () => {
  test("article: 1–4 digits as typed", () => {
    assert.equal(parseArticle("12"), "12");
    assert.equal(parseArticle("0012"), "0012");
    for (const bad of ["", "12345", "1*", "A"]) assert.equal(parseArticle(bad), undefined, bad);
  });

  test("quantity: 1–99, nothing = 1", () => {
    assert.equal(parseQuantity(""), 1);
    assert.equal(parseQuantity("2"), 2);
    assert.equal(parseQuantity("07"), 7);
    assert.equal(parseQuantity("99"), 99);
    for (const bad of ["0", "00", "100", "*", "1*"]) assert.equal(parseQuantity(bad), undefined, bad);
  });
});

describe("minibar flow", () => {
  test('"12#", "2#", read back, 1: one article charged; a pause at the next prompt ends the call', async () => {
    const c = setup({ keys: [...typed("12#", article()), ...typed("2#", quantity()), confirm("1")] });
    assert.deepEqual(await c.run(), { result: "done", posted: [{ article: "12", quantity: 2 }] });
    assert.deepEqual(c.posts, [[{ article: "12", quantity: 2 }, 1]]);
    assert.deepEqual(c.channel.labels(), [
      "minibar-enter-article",
      "minibar-enter-quantity",
      ...readBack(["1", "2"], ["num-2"]),
      "minibar-posted",
      "minibar-next-article",
      "goodbye",
    ]);
    assert.equal(c.channel.hungUpBy, "us");
  });

  test("several articles in one call, each numbered; # alone finishes", async () => {
    const c = setup({
      keys: [
        ...typed("0012#", article()),
        ...typed("#", quantity()),
        confirm("1"),
        ...typed("7#", next()),
        ...typed("12#", quantity(2)),
        confirm("1", 2),
        ...typed("#", next(2)),
      ],
    });
    const r = await c.run();
    assert.deepEqual(r, {
      result: "done",
      posted: [
        { article: "0012", quantity: 1 },
        { article: "7", quantity: 12 },
      ],
    });
    assert.deepEqual(
      c.posts.map(([, n]) => n),
      [1, 2],
    );
    assert.deepEqual(c.channel.labels().slice(2, 10), readBack(["0", "0", "1", "2"], ["num-1"]));
    assert.deepEqual(c.channel.labels().at(-1), "goodbye");
  });

  test("a pause after the quantity's digits ends it; 2 enters the article again", async () => {
    const c = setup({
      keys: [
        ...typed("5#", article()),
        ...typed("3", quantity()),
        confirm("2"),
        ...typed("6#", article(2)),
        ...typed("3#", quantity(2)),
        confirm("1", 2),
      ],
    });
    const r = await c.run();
    assert.deepEqual(r.posted, [{ article: "6", quantity: 3 }]);
    assert.deepEqual(c.posts, [[{ article: "6", quantity: 3 }, 1]]);
  });

  test("type-ahead: 1 during the read-back charges at once", async () => {
    const c = setup({
      keys: [...typed("9#", article()), ...typed("1#", quantity()), { during: "minibar-article", key: "1" }],
    });
    const r = await c.run();
    assert.deepEqual(r.posted, [{ article: "9", quantity: 1 }]);
    assert.ok(!c.channel.labels().includes("minibar-confirm-menu"));
  });

  test("wrong entries: invalid or no-input, asked again; maxTries ends the call with nothing charged", async () => {
    const c = setup({
      keys: [...typed("12345", article(), 100), ...typed("4#", article(2)), ...typed("100#", quantity())],
    });
    assert.deepEqual(await c.run(), { result: "abandoned", posted: [] });
    assert.deepEqual(c.channel.labels(), [
      "minibar-enter-article",
      "invalid",
      "minibar-enter-article",
      "minibar-enter-quantity",
      "invalid",
      "minibar-enter-article",
      "no-input",
      "goodbye",
    ]);
    assert.deepEqual(c.posts, []);
    assert.deepEqual(c.channel.unpressed(), [], "the overlong entry's last key was dropped, not carried over");
  });

  test("quantity 0, or no answer at the menu, is a failed try", async () => {
    const c = setup({
      keys: [
        ...typed("1#", article()),
        ...typed("0#", quantity()),
        ...typed("1#", article(2)),
        ...typed("1#", quantity(2)),
        ...typed("1#", article(3)),
        ...typed("1#", quantity(3)),
        confirm("1", 2),
      ],
    });
    const r = await c.run();
    assert.deepEqual(r.posted, [{ article: "1", quantity: 1 }]);
    assert.deepEqual(c.channel.labels().slice(0, 4), [
      "minibar-enter-article",
      "minibar-enter-quantity",
      "invalid",
      "minibar-enter-article",
    ]);
    assert.ok(c.channel.labels().includes("no-input"));
  });

  test("a failed try before a charge does not cut a later article short", async () => {
    const c = setup(
      {
        keys: [
          ...typed("#", article()),
          ...typed("1#", article(2)),
          ...typed("1#", quantity()),
          confirm("1"),
          ...typed("*", next()),
          ...typed("2#", next(2)),
          ...typed("1#", quantity(2)),
          confirm("1", 2),
        ],
      },
      { maxTries: 2 },
    );
    const r = await c.run();
    assert.equal(r.result, "done");
    assert.equal(r.posted.length, 2);
  });

  test("the article cannot be stored: said so, the call ends", async () => {
    const logger = memoryLogger();
    const c = setup(
      { keys: [...typed("12#", article()), ...typed("1#", quantity()), confirm("1")] },
      {
        logger,
        post: async () => {
          throw new Error("database is locked");
        },
      },
    );
    assert.deepEqual(await c.run(), { result: "failed", posted: [] });
    assert.deepEqual(c.channel.labels().at(-1), "minibar-not-posted");
    assert.deepEqual(
      logger.lines.map((l) => l.level),
      ["error"],
    );
  });

  test("hang-up before a charge: hangup; after one: done", async () => {
    const a = setup({ keys: typed("12", article()), hangup: { delay: 100 } });
    assert.deepEqual(await a.run(), { result: "hangup", posted: [] });
    const b = setup({
      keys: [...typed("12#", article()), ...typed("1#", quantity()), confirm("1")],
      hangup: { during: "minibar-next-article" },
    });
    assert.deepEqual(await b.run(), { result: "done", posted: [{ article: "12", quantity: 1 }] });
    assert.equal(b.channel.hungUpBy, "far");
  });

  test("maxEntries articles at most per call", async () => {
    const c = setup(
      {
        keys: [
          ...typed("1#", article()),
          ...typed("1#", quantity()),
          confirm("1"),
          ...typed("2#", next()),
          ...typed("1#", quantity(2)),
          confirm("1", 2),
        ],
      },
      { maxEntries: 2 },
    );
    assert.equal((await c.run()).posted.length, 2);
    assert.deepEqual(c.channel.labels().slice(-2), ["minibar-posted", "goodbye"]);
  });
});
