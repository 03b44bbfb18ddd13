/** The simulated PMS's posting answers: accept, refuse chosen rooms, pick per record, stay silent. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { recordFromText } from "../../../src/pms/fias/record.ts";
import { simPmsCommand } from "../../../src/sim/pms/cli.ts";
import { SimPostings } from "../../../src/sim/pms/postings.ts";
import { FakeAppliance } from "./fake-appliance.ts";

const ps = (room: string, seq: number) => recordFromText(`PS|RN${room}|PTC|TA150|DA260115|TI120000|P#${seq}|`);

describe("SimPostings", () => {
  test("off unless asked; then OK echoing RN, P#, DA, TI; NG for refused rooms; silent wins", () => {
    const p = new SimPostings();
    assert.equal(p.reply(ps("101", 1)), undefined);
    p.answer = true;
    assert.deepEqual(p.reply(ps("101", 2))?.fields, { RN: "101", AS: "OK", "P#": "2", DA: "260115", TI: "120000" });
    p.reject("102");
    assert.deepEqual(p.reply(ps("102", 3))?.fields, {
      RN: "102",
      AS: "NG",
      "P#": "3",
      DA: "260115",
      TI: "120000",
      CT: "INVALID ROOM",
    });
    p.silent = true;
    assert.equal(p.reply(ps("101", 4)), undefined);
    assert.deepEqual(
      p.exchanges.map((e) => [e.ps.fields["P#"], e.pa?.fields.AS ?? null]),
      [
        ["1", null],
        ["2", "OK"],
        ["3", "NG"],
        ["4", null],
      ],
    );
  });

  test("a test picks the answer per record, falling back to the rules", () => {
    const p = new SimPostings({ answer: true, decide: (r) => (r.fields["P#"] === "1" ? { code: "RY" } : undefined) });
    assert.equal(p.reply(ps("101", 1))?.fields.AS, "RY");
    assert.equal(p.reply(ps("101", 2))?.fields.AS, "OK");
    p.decide = () => "silent";
    assert.equal(p.reply(ps("101", 3)), undefined);
  });
});

describe("bellhop sim pms --reject-postings / --silent-postings", () => {
  async function run(argv: string[], exchange: (app: FakeAppliance) => Promise<void>): Promise<string> {
    const stdout = { text: "", write: (s: string) => (stdout.text += s) };
    const stop = new AbortController();
    const done = simPmsCommand(["--listen", "0", "--rooms", "10", ...argv], {
      stdout,
      stderr: { text: "", write: () => true } as never,
      signal: stop.signal,
    });
    let app: FakeAppliance | undefined;
    for (let i = 0; i < 200 && !app; i++) {
      const at = stdout.text.indexOf("# listening on 127.0.0.1:");
      if (at >= 0)
        app = await FakeAppliance.connect(Number.parseInt(stdout.text.slice(at + 25), 10), { autoLink: true });
      else await new Promise((r) => setTimeout(r, 10));
    }
    if (!app) assert.fail(`CLI never listened: ${stdout.text}`);
    await app.next("LA");
    await exchange(app);
    stop.abort();
    assert.equal(await done, 0);
    app.close();
    return stdout.text;
  }

  test("refuses the listed rooms, accepts the others", async () => {
    const out = await run(["--reject-postings", "101, 103"], async (app) => {
      app.send("PS|RN101|PTC|TA150|P#1|DA260115|TI120000|");
      assert.equal((await app.next("PA")).fields.AS, "NG");
      app.send("PS|RN102|PTC|TA150|P#2|DA260115|TI120000|");
      assert.equal((await app.next("PA")).fields.AS, "OK");
    });
    assert.match(out, /^> PA\|RN101\|ASNG\|P#1\|DA260115\|TI120000\|CTINVALID ROOM\|$/m);
  });

  test("stays silent", async () => {
    await run(["--silent-postings"], async (app) => {
      app.send("PS|RN101|PTC|TA150|P#1|DA260115|TI120000|");
      await assert.rejects(app.next("PA", 200));
    });
  });

  test("usage: a room list is needed", async () => {
    const stderr = { text: "", write: (s: string) => (stderr.text += s) };
    const code = await simPmsCommand(["--listen", "0", "--reject-postings", ","], {
      stdout: { write: () => true } as never,
      stderr,
    });
    assert.equal(code, 2);
    assert.match(stderr.text, /--reject-postings wants room numbers/);
  });
});
