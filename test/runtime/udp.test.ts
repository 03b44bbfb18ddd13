import assert from "node:assert/strict";
import { test } from "node:test";
import { bunUdp, mediaUdp } from "../../src/runtime/udp.ts";
import { dgramUdp } from "../../src/sip/rtp/udp.ts";
import { udpContract } from "../sip/rtp/udp-contract.ts";

const onBun = typeof (globalThis as { Bun?: unknown }).Bun === "object";
const bun = bunUdp();

if (bun) udpContract("Bun.udpSocket", bun);

test("the runtime's media opener: Bun's own socket under Bun, node:dgram elsewhere", () => {
  assert.equal(bun !== null, onBun);
  if (onBun) assert.notEqual(mediaUdp(), dgramUdp);
  else assert.equal(mediaUdp(), dgramUdp);
});
