import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checked, hostPort, int, number, oneOf, parseFlags, port, set, text, url } from "../../src/sim/cli-args.ts";
import { UsageError } from "../../src/sim/cli-io.ts";

interface Args {
  listen?: number;
  host: string;
  quiet: boolean;
  mode: "a" | "b";
  tags: string[];
  hook?: string;
  rate?: number;
  count?: number;
}

function parse(argv: string[]): Args {
  const a: Args = { host: "127.0.0.1", quiet: false, mode: "a", tags: [] };
  parseFlags(argv, a, {
    "--listen": ["listen", port],
    "--host": ["host", text],
    "--quiet": ["quiet", set(true)],
    "--mode": ["mode", oneOf("a", "b")],
    "--tag": (v) => {
      a.tags.push(v.next());
    },
    "--hook": ["hook", url],
    "--rate": ["rate", checked(number, (n) => n > 0, "--rate wants a positive number")],
    "--count": ["count", int(1, 9)],
  });
  return a;
}

const usage = (argv: string[], message: string) =>
  assert.throws(
    () => parse(argv),
    (err) => err instanceof UsageError && err.message === message,
  );

describe("simulator command-line flags", () => {
  test("each flag sets its field, in order; a later one wins; a handler does the rest", () => {
    const a = parse(["--listen", "0", "--host", "::1", "--quiet", "--mode", "b", "--tag", "x", "--tag", "y"]);
    assert.deepEqual(a, { listen: 0, host: "::1", quiet: true, mode: "b", tags: ["x", "y"] });
    assert.equal(parse(["--host", "a", "--host", "b"]).host, "b");
    assert.deepEqual(parse([]), { host: "127.0.0.1", quiet: false, mode: "a", tags: [] });
  });

  test("values are read as written, a flag-like value included", () => {
    assert.equal(parse(["--host", "--quiet"]).host, "--quiet");
    assert.equal(parse(["--hook", "https://h.test/x?k=1"]).hook, "https://h.test/x?k=1");
    assert.equal(parse(["--rate", "0.5"]).rate, 0.5);
    assert.equal(parse(["--count", "9"]).count, 9);
  });

  test("bad command lines are usage errors, in the same words for every simulator", () => {
    usage(["--nope"], 'unknown argument "--nope"');
    usage(["__proto__"], 'unknown argument "__proto__"');
    usage(["--host"], "--host needs a value");
    usage(["--listen", "65536"], '--listen: invalid port "65536"');
    usage(["--listen", "x"], '--listen: invalid port "x"');
    usage(["--mode", "c"], "--mode: a or b");
    usage(["--hook", "ftp://h.test/"], "--hook: not an http URL");
    usage(["--rate", "0"], "--rate wants a positive number");
    usage(["--count", "10"], "--count wants a whole number from 1 to 9");
    usage(["--count", "1.5"], "--count wants a whole number from 1 to 9");
  });

  test("an open-ended whole number says only its lower bound", () => {
    const a: { n?: number } = {};
    assert.throws(
      () => parseFlags(["--n", "-1"], a, { "--n": ["n", int(0)] }),
      (err) => err instanceof UsageError && err.message === "--n wants a whole number from 0",
    );
  });

  test("HOST:PORT splits at the last colon; a missing host or port, or a bad port, is a usage error", () => {
    const parse = (v: string) => {
      const a: { to?: { host: string; port: number } } = {};
      parseFlags(["--connect", v], a, { "--connect": ["to", hostPort] });
      return a.to;
    };
    assert.deepEqual(parse("10.0.0.5:5010"), { host: "10.0.0.5", port: 5010 });
    assert.deepEqual(parse("::1:5010"), { host: "::1", port: 5010 });
    const bad = (v: string, message: string) =>
      assert.throws(
        () => parse(v),
        (err) => err instanceof UsageError && err.message === message,
      );
    bad("host", '--connect wants HOST:PORT, got "host"');
    bad(":5010", '--connect wants HOST:PORT, got ":5010"');
    bad("host:", '--connect wants HOST:PORT, got "host:"');
    bad("host:70000", '--connect: invalid port "70000"');
  });
});
