/**
 * Which mailbox a call on a port belongs to, from real header texts (RFC 4458, RFC 7044, RFC 5806,
 * Zoom-style display names) parsed by the SIP layer, then classified.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseConfig } from "../../src/config/load.ts";
import type { MailboxSource, VoicemailConfig } from "../../src/config/voicemail-schema.ts";
import { parseMessage } from "../../src/sip/message/index.ts";
import { inboundParties } from "../../src/sip/ua/inbound-info.ts";
import { type CallPurpose, classifyCall, parentOf } from "../../src/voicemail/mailbox-from.ts";
import { digitRuns, userForms } from "../../src/voicemail/mailbox-user.ts";

const ROOMS = new Set(["101", "102", "103"]);
const PORT = "800";

function cfg(over: Partial<VoicemailConfig> = {}): VoicemailConfig {
  return { ...parseConfig({}).voicemail, ...over };
}

/** Parses an INVITE from its Request-URI, From, To and extra header lines. */
function parties(requestUri: string, opts: { from?: string; to?: string; headers?: string[] }) {
  const head = [
    `INVITE ${requestUri} SIP/2.0`,
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1",
    `From: ${opts.from ?? "<sip:+4930555123@carrier.test>"};tag=f`,
    `To: ${opts.to ?? "<sip:600@hotel.test>"}`,
    "Call-ID: c1",
    "CSeq: 1 INVITE",
    "Max-Forwards: 70",
    ...(opts.headers ?? []),
  ];
  const r = parseMessage(new TextEncoder().encode(`${head.join("\r\n")}\r\nContent-Length: 0\r\n\r\n`));
  if (!r.ok || r.message.kind !== "request") throw new Error(`test INVITE does not parse: ${r.ok ? "" : r.reason}`);
  return inboundParties(r.message);
}

function classify(p: ReturnType<typeof parties>, c: VoicemailConfig = cfg(), portExtension: string | undefined = PORT) {
  const lookups: string[] = [];
  const ctx = {
    isRoomExtension: (ext: string) => {
      lookups.push(ext);
      return ROOMS.has(ext);
    },
    ...(portExtension === undefined ? {} : { portExtension }),
  };
  return classifyCall(p, c, ctx);
}

const deposit = (extension: string | null, source: MailboxSource, reason?: string): CallPurpose =>
  reason === undefined ? { kind: "deposit", extension, source } : { kind: "deposit", extension, source, reason };

interface Case {
  name: string;
  uri: string;
  from?: string;
  to?: string;
  headers?: string[];
  cfg?: Partial<VoicemailConfig>;
  port?: string;
  want: CallPurpose;
}

const CASES: Case[] = [
  {
    name: "RFC 4458 example: target user and cause (E.164 target, not a room)",
    uri: "sip:voicemail@example.com;target=sip:+15555551002%40example.com;user=phone;cause=486",
    want: deposit(null, "target", "486"),
  },
  {
    name: "RFC 4458 target naming a room",
    uri: "sip:voicemail@hotel.test;target=sip:101%40hotel.test;user=phone;cause=486",
    want: deposit("101", "target", "486"),
  },
  {
    name: "RFC 4458 target without cause",
    uri: "sip:voicemail@hotel.test;target=sip:102%40hotel.test",
    want: deposit("102", "target"),
  },
  {
    name: "target written as +ext",
    uri: "sip:voicemail@hotel.test;target=sip:%2B103%40hotel.test;cause=408",
    want: deposit("103", "target", "408"),
  },
  {
    name: "cause= alone is forwarding evidence: no retrieval from the room",
    uri: "sip:600@hotel.test;cause=408",
    from: "<sip:101@hotel.test>",
    want: deposit(null, "target", "408"),
  },
  {
    name: "RFC 7044: parent of the cause entry by mp (1 → 1.1 → 1.1.1)",
    uri: "sip:600@hotel.test",
    headers: [
      "History-Info: <sip:101@hotel.test>;index=1",
      "History-Info: <sip:101@192.0.2.5?Reason=SIP%3Bcause%3D408>;index=1.1;rc=1",
      "History-Info: <sip:600@hotel.test;cause=408>;index=1.1.1;mp=1",
    ],
    want: deposit("101", "history-info", "408"),
  },
  {
    name: "RFC 7044: mp names a parent other than the index's prefix",
    uri: "sip:600@hotel.test",
    headers: [
      "History-Info: <sip:102@hotel.test>;index=1, <sip:9@hotel.test>;index=1.1;mp=1,",
      " <sip:600@hotel.test;cause=302>;index=1.1.1;mp=1",
    ],
    want: deposit("102", "history-info", "302"),
  },
  {
    name: "RFC 7044: without tags, the parent by index (pbx-apis example, Reason escaped)",
    uri: "sip:voicemail@hotel.test",
    headers: [
      "History-Info: <sip:101@hotel.local?Reason=SIP%3Bcause%3D486>;index=1,",
      " <sip:voicemail@hotel.local;cause=486>;index=1.1",
    ],
    want: deposit("101", "history-info", "486"),
  },
  {
    name: "History-Info: room → room → voicemail opens the last room's box",
    uri: "sip:600@hotel.test",
    headers: [
      "History-Info: <sip:102@hotel.test>;index=1",
      "History-Info: <sip:101@hotel.test;cause=486>;index=1.1;mp=1",
      "History-Info: <sip:600@hotel.test;cause=408>;index=1.1.1;mp=1.1",
    ],
    want: deposit("101", "history-info", "408"),
  },
  {
    name: "History-Info without cause is no forward (a hunt over the ports): retrieve",
    uri: "sip:600@hotel.test",
    from: "<sip:101@hotel.test>",
    headers: ["History-Info: <sip:600@hotel.test>;index=1, <sip:800@10.0.0.5?Reason=SIP%3Bcause%3D408>;index=1.1;rc=1"],
    want: { kind: "retrieve", caller: "101" },
  },
  {
    name: "Diversion chain operator → guest → VM, newest first",
    uri: "sip:600@hotel.test",
    headers: [
      "Diversion: <sip:101@hotel.test>;reason=no-answer;counter=1;privacy=off,",
      " <sip:9@hotel.test>;reason=unconditional;counter=1",
    ],
    want: deposit("101", "diversion", "no-answer"),
  },
  {
    name: "Diversion chain guest → guest → VM, oldest option",
    uri: "sip:600@hotel.test",
    headers: [
      "Diversion: <sip:101@hotel.test>;reason=user-busy;counter=1",
      "Diversion: <sip:102@hotel.test>;reason=unconditional;counter=1",
    ],
    cfg: { diversionEntry: "oldest" },
    want: deposit("102", "diversion", "unconditional"),
  },
  {
    name: "Diversion: the newest entry that is a room, skipping the operator",
    uri: "sip:600@hotel.test",
    headers: ["Diversion: <sip:9@hotel.test>;reason=no-answer", "Diversion: <sip:103@hotel.test>;reason=user-busy"],
    want: deposit("103", "diversion", "user-busy"),
  },
  {
    name: "unknown-room Diversion: deposit without a mailbox",
    uri: "sip:600@hotel.test",
    headers: ["Diversion: <sip:555@hotel.test>;reason=no-answer"],
    want: deposit(null, "diversion", "no-answer"),
  },
  {
    name: "direct call from room 101 to 600: retrieve, caller from From",
    uri: "sip:600@hotel.test",
    from: '"Room 101" <sip:101@hotel.test>',
    want: { kind: "retrieve", caller: "101" },
  },
  {
    name: "retrieve: P-Asserted-Identity before From",
    uri: "sip:800@10.0.0.5",
    from: '"Anonymous" <sip:anonymous@anonymous.invalid>',
    headers: ["P-Asserted-Identity: <sip:102@hotel.test>"],
    want: { kind: "retrieve", caller: "102" },
  },
  {
    name: "the Kazoo bug: the room calls 600 but a Diversion names 101 → deposit, not retrieve",
    uri: "sip:600@hotel.test",
    from: "<sip:101@hotel.test>",
    headers: ["Diversion: <sip:101@hotel.test>;reason=no-answer", "P-Asserted-Identity: <sip:101@hotel.test>"],
    want: deposit("101", "diversion", "no-answer"),
  },
  {
    name: "Zoom: To display 'Room 101 Smith' on a call to the port",
    uri: "sip:800@10.0.0.5",
    to: '"Room 101 Smith" <sip:800@zoom.test>',
    want: deposit("101", "name-digits"),
  },
  {
    name: "Zoom: 'Guest 101' in a Diversion display whose URI is not a room",
    uri: "sip:800@10.0.0.5",
    to: '"Voicemail 800" <sip:800@zoom.test>',
    headers: ['Diversion: "Guest 101" <sip:+15555550101@zoom.test>;reason=no-answer'],
    want: deposit("101", "name-digits", "no-answer"),
  },
  {
    name: "Zoom: a History-Info display names the room",
    uri: "sip:800@10.0.0.5",
    headers: [
      'History-Info: "John Smith 102" <sip:+15555550102@zoom.test>;index=1,',
      ' "Voicemail 800" <sip:800@zoom.test>;index=1.1;rc=1',
    ],
    want: deposit("102", "name-digits"),
  },
  {
    name: "Zoom: the port's own extension in the name means dialled directly",
    uri: "sip:600@zoom.test",
    from: '"Room 101" <sip:101@zoom.test>',
    to: '"Voicemail 800" <sip:600@zoom.test>',
    want: { kind: "retrieve", caller: "101" },
  },
  {
    name: "Zoom: digits of an unknown extension are forwarding evidence",
    uri: "sip:600@zoom.test",
    from: "<sip:101@zoom.test>",
    to: '"Spa 4711" <sip:600@zoom.test>',
    want: deposit(null, "name-digits"),
  },
  {
    name: "called room: the PBX retargeted room 102's call without history",
    uri: "sip:102@hotel.test",
    to: "<sip:102@hotel.test>",
    want: deposit("102", "called-room"),
  },
  {
    name: "called room from To while the Request-URI is the port",
    uri: "sip:800@10.0.0.5",
    to: "<sip:103@hotel.test>",
    want: deposit("103", "called-room"),
  },
  {
    name: "nothing matched",
    uri: "sip:800@10.0.0.5",
    to: "<sip:800@hotel.test>",
    want: { kind: "none" },
  },
];

describe("classifyCall", () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const p = parties(c.uri, { from: c.from, to: c.to, headers: c.headers });
      assert.deepEqual(await classify(p, cfg(c.cfg), c.port ?? PORT), c.want);
    });
  }
});

describe("each source disabled via mailboxFrom", () => {
  const all = cfg().mailboxFrom;
  const without = (s: MailboxSource) => cfg({ mailboxFrom: all.filter((x) => x !== s) });
  const fromRoom = "<sip:101@hotel.test>";

  test("target: ignored, and no longer evidence (falls to the next source)", async () => {
    const p = parties("sip:600@hotel.test;target=sip:102%40hotel.test;cause=486", { from: fromRoom });
    assert.deepEqual(await classify(p), deposit("102", "target", "486"));
    assert.deepEqual(await classify(p, without("target")), { kind: "retrieve", caller: "101" });
  });

  test("history-info", async () => {
    const p = parties("sip:600@hotel.test", {
      from: fromRoom,
      headers: ["History-Info: <sip:102@hotel.test>;index=1, <sip:600@hotel.test;cause=408>;index=1.1;mp=1"],
    });
    assert.deepEqual(await classify(p), deposit("102", "history-info", "408"));
    assert.deepEqual(await classify(p, without("history-info")), { kind: "retrieve", caller: "101" });
  });

  test("diversion", async () => {
    const p = parties("sip:600@hotel.test", { from: fromRoom, headers: ["Diversion: <sip:102@hotel.test>;reason=x"] });
    assert.deepEqual(await classify(p), deposit("102", "diversion", "x"));
    assert.deepEqual(await classify(p, without("diversion")), { kind: "retrieve", caller: "101" });
  });

  test("name-digits", async () => {
    const p = parties("sip:600@hotel.test", { from: fromRoom, to: '"Room 102" <sip:600@hotel.test>' });
    assert.deepEqual(await classify(p), deposit("102", "name-digits"));
    assert.deepEqual(await classify(p, without("name-digits")), { kind: "retrieve", caller: "101" });
  });

  test("called-room", async () => {
    const p = parties("sip:102@hotel.test", { to: "<sip:102@hotel.test>" });
    assert.deepEqual(await classify(p), deposit("102", "called-room"));
    assert.deepEqual(await classify(p, without("called-room")), { kind: "none" });
  });

  test("access-number", async () => {
    const p = parties("sip:600@hotel.test", { from: fromRoom });
    assert.deepEqual(await classify(p, without("access-number")), { kind: "none" });
    assert.deepEqual(await classify(p, cfg({ accessNumbers: ["700"] })), { kind: "none" });
  });

  test("order decides between sources that both name a room", async () => {
    const p = parties("sip:600@hotel.test;target=sip:101%40hotel.test", {
      headers: ["Diversion: <sip:102@hotel.test>;reason=no-answer"],
    });
    assert.deepEqual(await classify(p), deposit("101", "target"));
    const diversionFirst = cfg({ mailboxFrom: ["diversion", "target"] });
    assert.deepEqual(await classify(p, diversionFirst), deposit("102", "diversion", "no-answer"));
  });

  test("evidence from a later source still blocks an earlier access-number", async () => {
    const p = parties("sip:600@hotel.test", {
      from: fromRoom,
      headers: ["Diversion: <sip:101@hotel.test>;reason=no-answer"],
    });
    assert.deepEqual(
      await classify(p, cfg({ mailboxFrom: ["access-number", "diversion"] })),
      deposit("101", "diversion", "no-answer"),
    );
    assert.deepEqual(await classify(p, cfg({ mailboxFrom: ["access-number"] })), { kind: "retrieve", caller: "101" });
  });
});

describe("robustness", () => {
  test("garbage headers never throw; the good entries still count", async () => {
    const p = parties("sip:600@hotel.test;target=%40;cause", {
      from: "<sip:101@hotel.test>",
      headers: [
        "Diversion: <<<",
        "Diversion: ;reason=no-answer",
        'History-Info: "x <sip:1@h>;index=1',
        "History-Info: <sip:600@hotel.test;cause=408>;index=1.a;mp=..",
        "P-Asserted-Identity: ,,,",
      ],
    });
    // The lone HI entry carries cause= but has no parent: evidence without a mailbox.
    assert.deepEqual(await classify(p), deposit(null, "history-info", "408"));
  });

  test("a request with no usable address is none", async () => {
    const p = parties("sip:hotel.test", { from: "<sip:hotel.test>", to: "<sip:hotel.test>" });
    assert.deepEqual(await classify(p), { kind: "none" });
    assert.deepEqual(
      await classifyCall({ diversionUsers: [], historyInfoUsers: [], assertedUsers: [] }, cfg(), {
        isRoomExtension: () => true,
      }),
      { kind: "none" },
    );
  });

  test("room lookups may be async; each form is asked once per call", async () => {
    const asked: string[] = [];
    const p = parties("sip:600@hotel.test", {
      to: '"Room 101" <sip:600@hotel.test>',
      headers: ["Diversion: <sip:555@hotel.test>", "Diversion: <sip:555@hotel.test>"],
    });
    const got = await classifyCall(p, cfg(), {
      isRoomExtension: async (ext) => {
        asked.push(ext);
        return ext === "101";
      },
    });
    assert.deepEqual(got, deposit("101", "name-digits"));
    assert.deepEqual(asked, ["555", "101"]);
  });

  test("without a port extension, an access number in the name still means direct", async () => {
    const p = parties("sip:600@hotel.test", {
      from: "<sip:102@hotel.test>",
      to: '"Voicemail 600" <sip:600@hotel.test>',
    });
    assert.deepEqual(await classify(p, cfg(), undefined), { kind: "retrieve", caller: "102" });
  });

  test("a failing room lookup rejects (the caller decides; nothing is guessed)", async () => {
    const p = parties("sip:600@hotel.test", { headers: ["Diversion: <sip:101@hotel.test>"] });
    await assert.rejects(
      classifyCall(p, cfg(), {
        isRoomExtension: () => {
          throw new Error("store down");
        },
      }),
      /store down/,
    );
  });
});

describe("helpers", () => {
  test("userForms: escapes, params, +, scheme and host", () => {
    assert.deepEqual(userForms("%2B101;phone-context=hotel"), ["+101", "101"]);
    assert.deepEqual(userForms("sip:101@hotel.test"), ["101"]);
    assert.deepEqual(userForms("+"), ["+"]);
    assert.deepEqual(userForms(" "), []);
    assert.deepEqual(userForms(undefined), []);
  });

  test("digitRuns", () => {
    assert.deepEqual(digitRuns("Room 101 Smith"), ["101"]);
    assert.deepEqual(digitRuns("Guest 101"), ["101"]);
    assert.deepEqual(digitRuns("VIP 2 John 1015"), ["2", "1015"]);
    assert.deepEqual(digitRuns("Reception"), []);
    assert.deepEqual(digitRuns(undefined), []);
  });

  test("parentOf: tag, then index prefix, then the entry before", () => {
    const hi = [{ index: "1", user: "a" }, { index: "2", user: "b" }, { index: "2.1", user: "c" }, { user: "d" }];
    assert.equal(parentOf([...hi, { index: "3", parentIndex: "1" }], 4)?.user, "a");
    assert.equal(parentOf(hi, 2)?.user, "b");
    assert.equal(parentOf(hi, 3)?.user, "c");
    assert.equal(parentOf([...hi, { index: "9", parentIndex: "7.7" }], 4)?.user, "d");
    assert.equal(parentOf(hi, 0), undefined);
  });
});
