import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  amountFor,
  billedSeconds,
  fitsMinorUnits,
  matchLine,
  normalizeDialled,
  type RatedCall,
  rateCall,
  type Tariff,
  type TariffLine,
  toMinorUnits,
} from "../../src/domain/tariff.ts";

const line = (prefix: string, name: string, over: Partial<TariffLine> = {}): TariffLine => ({
  prefix,
  name,
  setupFee: 0,
  ratePerMinute: 0,
  incrementSeconds: 60,
  minimumSeconds: 0,
  ...over,
});

const tariff: Tariff = {
  freePrefixes: ["112", "0800"],
  lines: [
    line("0", "Local", { ratePerMinute: 10 }),
    line("03", "Mobile", { setupFee: 20, ratePerMinute: 40, incrementSeconds: 30 }),
    line("00", "International", { setupFee: 50, ratePerMinute: 120, incrementSeconds: 6, minimumSeconds: 30 }),
    line("0041", "Switzerland", { ratePerMinute: 90, incrementSeconds: 1 }),
  ],
};

const call = (over: Partial<RatedCall> = {}): RatedCall => ({
  number: "0612345678",
  direction: "out",
  internal: false,
  answered: true,
  durationSeconds: 61,
  trunk: "gw1",
  ...over,
});

describe("rateCall", () => {
  test("the longest matching prefix rates the call", () => {
    const local = rateCall(tariff, call());
    assert.equal(local.free, false);
    if (local.free) return;
    assert.equal(local.line.name, "Local");
    assert.equal(local.billedSeconds, 120, "61 s per started minute");
    assert.equal(local.amount, 20);

    const ch = rateCall(tariff, call({ number: "0041 44 123 45 67", durationSeconds: 61 }));
    assert.ok(!ch.free);
    assert.equal(ch.line.name, "Switzerland");
    assert.equal(ch.number, "0041441234567");
    assert.equal(ch.billedSeconds, 61);
    assert.equal(ch.amount, Math.ceil((90 * 61) / 60));

    const de = rateCall(tariff, call({ number: "0049301234", durationSeconds: 10 }));
    assert.ok(!de.free);
    assert.equal(de.line.name, "International");
    assert.equal(de.billedSeconds, 30, "raised to the 30 s minimum");
    assert.equal(de.amount, 50 + 60);
  });

  test("setup fee once, rate per increment", () => {
    const r = rateCall(tariff, call({ number: "03331234567", durationSeconds: 31 }));
    assert.ok(!r.free);
    assert.equal(r.billedSeconds, 60);
    assert.equal(r.amount, 20 + 40);
  });

  test("free: incoming, unknown direction, internal, unanswered, no talk, no number", () => {
    const cases: [Partial<RatedCall>, string][] = [
      [{ direction: "in" }, "incoming"],
      [{ direction: null }, "unknown-direction"],
      [{ internal: true }, "internal"],
      [{ answered: false }, "unanswered"],
      [{ durationSeconds: 0 }, "no-duration"],
      [{ durationSeconds: -5 }, "no-duration"],
      [{ durationSeconds: Number.NaN }, "no-duration"],
      [{ number: null }, "no-number"],
      [{ number: " - " }, "no-number"],
    ];
    for (const [over, reason] of cases) {
      const r = rateCall(tariff, call(over));
      assert.deepEqual(r.free && r.reason, reason, JSON.stringify(over));
    }
  });

  test("free prefixes win over every line; a number no line lists is not charged", () => {
    const r = rateCall(tariff, call({ number: "0800 123456" }));
    assert.deepEqual(r, { free: true, reason: "free-prefix", number: "0800123456" });
    assert.equal(rateCall(tariff, call({ number: "112" })).free, true);
    assert.deepEqual(rateCall(tariff, call({ number: "4711" })), {
      free: true,
      reason: "no-tariff-line",
      number: "4711",
    });
  });

  test("trunks: only the listed trunks' calls are charged", () => {
    const t = { ...tariff, trunks: ["gw1"] };
    assert.equal(rateCall(t, call({ trunk: "gw1" })).free, false);
    assert.deepEqual(rateCall(t, call({ trunk: "gw2" })), {
      free: true,
      reason: "trunk-not-charged",
      number: "0612345678",
    });
    assert.equal(rateCall(t, call({ trunk: null })).free, true, "no trunk reported: not one of the listed");
    assert.equal(rateCall({ ...tariff, trunks: null }, call({ trunk: null })).free, false);
  });
});

describe("parts", () => {
  test("normalizeDialled drops layout only", () => {
    assert.equal(normalizeDialled(" +39 (06) 123-45.67/8 "), "+390612345678");
    assert.equal(normalizeDialled("*85#"), "*85#");
  });

  test("matchLine: longest prefix; an empty prefix matches nothing", () => {
    assert.equal(matchLine(tariff.lines, "00411")?.name, "Switzerland");
    assert.equal(matchLine(tariff.lines, "004")?.name, "International");
    assert.equal(matchLine([line("", "all")], "123"), undefined);
  });

  test("billedSeconds: 0 for no talk; fractional talk counts as a started second", () => {
    const l = { incrementSeconds: 6, minimumSeconds: 0 };
    assert.equal(billedSeconds(l, 0), 0);
    assert.equal(billedSeconds(l, 0.2), 6);
    assert.equal(billedSeconds(l, 6), 6);
    assert.equal(billedSeconds(l, 6.5), 12);
  });

  test("minor units", () => {
    assert.equal(toMinorUnits(0.29, 2), 29);
    assert.equal(toMinorUnits(1.1, 2), 110);
    assert.equal(toMinorUnits(150, 0), 150);
    assert.equal(fitsMinorUnits(0.29, 2), true);
    assert.equal(fitsMinorUnits(0.295, 2), false);
    assert.equal(fitsMinorUnits(1.5, 0), false);
  });
});

describe("properties", () => {
  const lineArb = fc.record({
    prefix: fc.constant("0"),
    name: fc.constant("L"),
    setupFee: fc.integer({ min: 0, max: 10_000 }),
    ratePerMinute: fc.integer({ min: 0, max: 100_000 }),
    incrementSeconds: fc.integer({ min: 1, max: 3600 }),
    minimumSeconds: fc.integer({ min: 0, max: 3600 }),
  });
  const talk = fc.integer({ min: 1, max: 6 * 3600 });

  test("billed time: a whole number of increments, at least the talk and the minimum, less than one increment more", () => {
    fc.assert(
      fc.property(lineArb, talk, (l, t) => {
        const b = billedSeconds(l, t);
        assert.equal(b % l.incrementSeconds, 0);
        assert.ok(b >= t && b >= l.minimumSeconds);
        assert.ok(b - Math.max(t, l.minimumSeconds) < l.incrementSeconds);
      }),
    );
  });

  test("a longer call never costs less", () => {
    fc.assert(
      fc.property(lineArb, talk, talk, (l, a, b) => {
        const [short, long] = a <= b ? [a, b] : [b, a];
        const t: Tariff = { lines: [l], freePrefixes: [] };
        const x = rateCall(t, call({ number: "012", durationSeconds: short }));
        const y = rateCall(t, call({ number: "012", durationSeconds: long }));
        assert.ok(!x.free && !y.free);
        assert.ok(x.amount <= y.amount);
        assert.ok(x.billedSeconds <= y.billedSeconds);
      }),
    );
  });

  test("a higher rate or fee never costs less; the amount is whole and at least the fee", () => {
    fc.assert(
      fc.property(
        lineArb,
        talk,
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        (l, t, dr, df) => {
          const b = billedSeconds(l, t);
          const base = amountFor(l, b);
          assert.ok(Number.isInteger(base) && base >= l.setupFee);
          assert.ok(amountFor({ ...l, ratePerMinute: l.ratePerMinute + dr, setupFee: l.setupFee + df }, b) >= base);
          // Rounded up to the minor unit, by less than one.
          const exact = l.setupFee + (l.ratePerMinute * b) / 60;
          assert.ok(base >= exact - 1e-9 && base - exact < 1);
        },
      ),
    );
  });

  test("talk within one increment (above the minimum) costs the same", () => {
    fc.assert(
      fc.property(lineArb, talk, (l, t) => {
        const b = billedSeconds(l, t);
        assert.equal(billedSeconds(l, b), b, "the billed time itself is billed as is");
        if (b > l.incrementSeconds && b - l.incrementSeconds + 1 >= l.minimumSeconds) {
          assert.equal(billedSeconds(l, b - l.incrementSeconds + 1), b);
        }
      }),
    );
  });
});
