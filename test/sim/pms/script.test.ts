import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { generateHotel } from "../../../src/sim/pms/hotel.ts";
import { parseScript, runScript, type StepResult } from "../../../src/sim/pms/script.ts";
import { PmsSimulator } from "../../../src/sim/pms/simulator.ts";
import { FakeAppliance, LINK_INIT } from "./fake-appliance.ts";

describe("parseScript", () => {
  test("reads every step, strips comments but keeps G# inside records", () => {
    const { steps, errors } = parseScript(
      [
        "# setup",
        "wait-link",
        "send GI|RN101|G#1001|GNSmith|  # check-in",
        "expect RE|RN101|RS3| 250",
        "expect XL|RN101|MTcall me back|",
        "sleep 5",
        "resync",
        "drop",
      ].join("\n"),
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(
      steps.map((s) => [s.line, s.op]),
      [
        [2, "wait-link"],
        [3, "send"],
        [4, "expect"],
        [5, "expect"],
        [6, "sleep"],
        [7, "resync"],
        [8, "drop"],
      ],
    );
    assert.deepEqual(steps[1], {
      line: 3,
      op: "send",
      record: { type: "GI", fields: { RN: "101", "G#": "1001", GN: "Smith" } },
    });
    assert.equal(steps[2].op === "expect" && steps[2].timeoutMs, 250);
    assert.equal(steps[3].op === "expect" && steps[3].record.fields.MT, "call me back");
  });
});

describe("runScript", () => {
  let sim: PmsSimulator;
  let app: FakeAppliance;

  beforeEach(async () => {
    sim = new PmsSimulator({ hotel: generateHotel({ rooms: 20 }) });
    const port = await sim.listen(0);
    app = await FakeAppliance.connect(port);
    // The fake appliance links on LS and reports every check-in's room as clean/occupied.
    app.onRecord = (rec, a) => {
      if (rec.type === "LS") a.send(...LINK_INIT);
      if (rec.type === "GI" && !("SF" in rec.fields)) a.send(`RE|RN${rec.fields.RN}|RS4|`);
    };
  });

  afterEach(async () => {
    app.close();
    await sim.close();
  });

  test("a passing script links, sends, expects, resyncs and drops", async () => {
    const seen: StepResult[] = [];
    const result = await runScript(
      sim,
      `# check-in acknowledged by a room status
wait-link 2000
send GI|RN101|G#1001|GNSmith|GFJohn|GLEA|
expect RE|RN101|RS4| 2000
sleep 10
resync
drop
`,
      { onStep: (r) => seen.push(r) },
    );
    assert.deepEqual(result, { ok: true, failures: [], steps: 6 });
    assert.deepEqual(
      seen.map((r) => [r.line, r.ok]),
      [
        [2, true],
        [3, true],
        [4, true],
        [5, true],
        [6, true],
        [7, true],
      ],
    );
    assert.equal(seen[2].detail, "RE|RN101|RS4|");
    await app.next("DS");
    await app.next("DE");
    await app.whenClosed();
  });

  test("a failing expect stops the script with its line number", async () => {
    const result = await runScript(
      sim,
      ["wait-link 2000", "send GI|RN101|G#1|GNSmith|", "expect RE|RN102|RS4| 100", "send GO|RN101|G#1|"].join("\n"),
    );
    assert.equal(result.ok, false);
    assert.equal(result.steps, 2);
    assert.equal(result.failures.length, 1);
    assert.match(result.failures[0], /^line 3: waitFor RE\|RN102\|RS4\|: no match within 100 ms/);
    await assert.rejects(app.next("GO", 100));
  });

  test("syntax errors fail with their line numbers before anything is sent", async () => {
    const result = await runScript(
      sim,
      ["wait-link 2000", "send GI|RN101|G#1|", "bogus step", "sleep soon", "expect RE|RN101 500", "drop now"].join(
        "\n",
      ),
    );
    assert.equal(result.ok, false);
    assert.equal(result.steps, 0);
    assert.deepEqual(
      result.failures.map((f) => f.split(":")[0]),
      ["line 3", "line 4", "line 5", "line 6"],
    );
    assert.match(result.failures[0], /unknown step "bogus"/);
    assert.equal(
      sim.received.some((r) => r.record.type === "GI"),
      false,
    );
    await assert.rejects(app.next("GI", 100));
  });
});
