import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { simPmsCommand } from "../../../src/sim/pms/cli.ts";
import { FakeAppliance, type FakeApplianceOptions } from "./fake-appliance.ts";

function capture() {
  const out = { text: "", write: (s: string) => (out.text += s) };
  return out;
}

function scriptFile(body: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "bellhop-sim-")), "s.txt");
  writeFileSync(file, body);
  return file;
}

/** Connects a linking fake appliance once the CLI has printed its port. */
async function applianceFor(stdout: { text: string }, opts: FakeApplianceOptions = {}): Promise<FakeAppliance> {
  for (let i = 0; i < 200; i++) {
    const at = stdout.text.indexOf("# listening on 127.0.0.1:");
    if (at >= 0) {
      const port = Number.parseInt(stdout.text.slice(at + 25), 10);
      return FakeAppliance.connect(port, { autoLink: true, ...opts });
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`CLI never listened: ${stdout.text}`);
}

describe("bellhop sim pms", () => {
  test("usage errors exit 2 with the usage text", async () => {
    for (const argv of [
      [],
      ["--listen", "x"],
      ["--listen", "1", "--connect", "h:2"],
      ["--bogus"],
      ["--listen", "0", "--script", "/nonexistent/s.txt"],
      ["--listen", "0", "--variant"],
    ]) {
      const stdout = capture();
      const stderr = capture();
      assert.equal(await simPmsCommand(argv, { stdout, stderr }), 2, argv.join(" "));
      assert.match(stderr.text, /usage: bellhop sim pms/);
    }
  });

  test("--variant: listed in the usage, an unknown name exits 2", async () => {
    const help = capture();
    assert.equal(await simPmsCommand(["--help"], { stdout: help, stderr: capture() }), 0);
    assert.match(help.text, /--variant NAME/);
    for (const v of ["oracle", "matrix", "silent-la", "crlf"])
      assert.match(help.text, new RegExp(`^ {4}${v} +\\S`, "m"));
    const stderr = capture();
    assert.equal(await simPmsCommand(["--listen", "0", "--variant", "opera"], { stdout: capture(), stderr }), 2);
    assert.match(stderr.text, /--variant must be one of oracle, matrix, silent-la, crlf, got "opera"/);
    assert.match(stderr.text, /usage: bellhop sim pms/);
  });

  test("--variant matrix: script mode links on the appliance's LA, without greeting or LA", async () => {
    const stdout = capture();
    const file = scriptFile("wait-link 2000\nsend GI|RN101|G#7|GNRossi, Mario|GVN|\n");
    const run = simPmsCommand(["--listen", "0", "--variant", "matrix", "--script", file], {
      stdout,
      stderr: capture(),
    });
    const app = await applianceFor(stdout);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(app.rawText, "", "silent on connect");
    app.sendLs();
    await app.next("GI");
    assert.equal(await run, 0);
    app.close();
    assert.match(stdout.text, /^# variant: matrix /m);
    assert.match(
      app.rawText,
      /^<02>LS\|DA\d{6}\|TI\d{6}\|<0d><0a><03><02>GI\|RN101\|G#7\|GNRossi, Mario\|GVN\|<0d><0a><03>$/,
    );
    assert.doesNotMatch(stdout.text, /^> LA\|/m);
    assert.match(stdout.text, /# script passed \(2 steps\)/);
  });

  test("--variant crlf and silent-la: script mode links", async () => {
    for (const [variant, framing] of [
      ["crlf", "crlf"],
      ["silent-la", "stx-etx"],
    ] as const) {
      const stdout = capture();
      const file = scriptFile("wait-link 2000\nsend GO|RN101|G#7|\n");
      const run = simPmsCommand(["--listen", "0", "--variant", variant, "--script", file], {
        stdout,
        stderr: capture(),
      });
      const app = await applianceFor(stdout, { framing });
      await app.next("GO");
      assert.equal(await run, 0, variant);
      app.close();
      assert.match(stdout.text, /# script passed \(2 steps\)/, variant);
      if (variant === "crlf")
        assert.match(app.rawText, /^LS\|DA\d{6}\|TI\d{6}\|<0d><0a>LA\|.*<0d><0a>GO\|RN101\|G#7\|<0d><0a>$/);
      else assert.doesNotMatch(stdout.text, /^> LA\|/m);
    }
  });

  test("a script syntax error exits 2 naming the line", async () => {
    const stderr = capture();
    const code = await simPmsCommand(["--listen", "0", "--script", scriptFile("wait-link\nfrobnicate\n")], {
      stdout: capture(),
      stderr,
    });
    assert.equal(code, 2);
    assert.match(stderr.text, /line 2: unknown step "frobnicate"/);
  });

  test("runs a script against a connecting appliance: 0 on success, frames and steps printed", async () => {
    const stdout = capture();
    const file = scriptFile("wait-link 2000\nsend GI|RN101|G#7|GNSmith|\nexpect LS| 100\n");
    const run = simPmsCommand(["--listen", "0", "--rooms", "10", "--script", file], { stdout, stderr: capture() });
    const app = await applianceFor(stdout);
    await app.next("GI");
    app.send("LS|DA260115|TI120000|");
    assert.equal(await run, 0);
    app.close();
    assert.match(stdout.text, /^< LD\|/m);
    assert.match(stdout.text, /^> GI\|RN101\|G#7\|GNSmith\|$/m);
    assert.match(stdout.text, /^ok {3}line 3: expect LS\| 100/m);
    assert.match(stdout.text, /# script passed \(3 steps\)/);
  });

  test("a failed expect exits 1", async () => {
    const stdout = capture();
    const file = scriptFile("wait-link 2000\nexpect WA|RN101| 50\n");
    const run = simPmsCommand(["--listen", "0", "--script", file], { stdout, stderr: capture() });
    const app = await applianceFor(stdout);
    assert.equal(await run, 1);
    app.close();
    assert.match(stdout.text, /FAIL line 2: expect WA\|RN101\| 50/);
  });

  test("interactive mode runs until stopped, answering postings", async () => {
    const stdout = capture();
    const stop = new AbortController();
    const run = simPmsCommand(["--listen", "0", "--rooms", "10"], { stdout, stderr: capture(), signal: stop.signal });
    const app = await applianceFor(stdout);
    await app.next("LA");
    app.send("PS|RN101|PTC|TA150|P#12|DA260115|TI120000|");
    const pa = await app.next("PA");
    assert.deepEqual(pa.fields, { RN: "101", AS: "OK", "P#": "12", DA: "260115", TI: "120000" });
    stop.abort();
    assert.equal(await run, 0);
    app.close();
    assert.match(stdout.text, /^< PS\|RN101\|/m);
    assert.match(stdout.text, /^> PA\|RN101\|ASOK\|/m);
    assert.match(stdout.text, /^# 1 connections, 1 links, 0 drops$/m);
  });
});
