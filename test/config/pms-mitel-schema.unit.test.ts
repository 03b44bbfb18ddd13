import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseConfig } from "../../src/config/load.ts";

describe("pms.mitel", () => {
  test("defaults: sx2000, the spec's timers and budgets", () => {
    const c = parseConfig({ pms: { protocol: "mitel" } });
    assert.equal(c.pms.protocol, "mitel");
    assert.deepEqual(c.pms.mitel, {
      profile: "sx2000",
      roomWidth: null,
      answerSeconds: 3,
      enqAttempts: 21,
      messageAttempts: 6,
      resyncIdleSeconds: 300,
      requireEnq: false,
      maidStatus: null,
      moveWindowSeconds: 10,
    });
  });

  test("a profile, a room width and a maid map", () => {
    const c = parseConfig({
      pms: {
        protocol: "mitel",
        transport: "serial",
        serial: { device: "/dev/ttyS0" },
        mitel: { profile: "phonesuite", roomWidth: 7, maidStatus: { "1": 9, "12": 4 } },
      },
    });
    assert.equal(c.pms.mitel.profile, "phonesuite");
    assert.equal(c.pms.mitel.roomWidth, 7);
    assert.deepEqual(c.pms.mitel.maidStatus, { "1": 9, "12": 4 });
  });

  test("wrong values name the key", () => {
    assert.throws(() => parseConfig({ pms: { mitel: { profile: "sx200" } } }), /pms\.mitel\.profile/);
    assert.throws(() => parseConfig({ pms: { mitel: { maidStatus: { "1": 10 } } } }), /pms\.mitel\.maidStatus/);
    assert.throws(() => parseConfig({ pms: { mitel: { enqAttempts: 0 } } }), /pms\.mitel\.enqAttempts/);
    assert.throws(() => parseConfig({ pms: { protocol: "opera" } }), /pms\.protocol/);
  });
});
