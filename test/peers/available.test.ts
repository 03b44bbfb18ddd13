/**
 * The peer list is one list: `.ci/run` installs every package of test/peers/available.ts, and the
 * README's install command is the one the end-of-run notice prints.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, test } from "node:test";
import { declaredAbsent, installCommand, PEERS } from "./available.ts";

const ROOT = resolve(import.meta.dirname ?? ".", "../..");
const packages = Object.values(PEERS).map((p) => p.package);

describe("system peers", () => {
  test(".ci/run installs every peer package", () => {
    const ci = readFileSync(resolve(ROOT, ".ci/run"), "utf8");
    const line = /^APT_PACKAGES="([^"]*)"/m.exec(ci)?.[1];
    assert.ok(line, "APT_PACKAGES in .ci/run");
    assert.deepEqual(line.split(/\s+/).sort(), [...new Set(packages)].sort());
  });

  test("the README names the one install command", () => {
    assert.ok(readFileSync(resolve(ROOT, "README.md"), "utf8").includes(installCommand()), installCommand());
  });

  test("BELLHOP_PEERS_ABSENT: none, all, or a list of known peers", () => {
    assert.equal(declaredAbsent(undefined).size, 0);
    assert.equal(declaredAbsent("0").size, 0);
    assert.equal(declaredAbsent("1").size, Object.keys(PEERS).length);
    assert.deepEqual([...declaredAbsent("kamailio, linphonec")], ["kamailio", "linphonec"]);
    assert.throws(() => declaredAbsent("asterisk"), /unknown peer asterisk/);
  });
});
