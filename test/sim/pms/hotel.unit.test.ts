import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { generateHotel, resyncRecords, roomNumbers } from "../../../src/sim/pms/hotel.ts";

describe("generateHotel", () => {
  test("is deterministic for a seed and differs across seeds", () => {
    assert.deepEqual(generateHotel({ rooms: 300, seed: 7 }), generateHotel({ rooms: 300, seed: 7 }));
    assert.notDeepEqual(generateHotel({ rooms: 300, seed: 7 }).guests, generateHotel({ rooms: 300, seed: 8 }).guests);
  });

  test("numbers 2000 rooms on floors 1..20, 100 a floor, floor = number / 100", () => {
    const { rooms } = generateHotel({ rooms: 2000 });
    assert.equal(rooms.length, 2000);
    assert.equal(new Set(rooms.map((r) => r.number)).size, 2000);
    const perFloor = new Map<number, number>();
    for (const r of rooms) {
      assert.equal(Math.floor(Number(r.number) / 100), r.floor);
      perFloor.set(r.floor, (perFloor.get(r.floor) ?? 0) + 1);
    }
    assert.deepEqual(
      [...perFloor.keys()],
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.ok([...perFloor.values()].every((n) => n === 100));
  });

  test("small hotels start at 101 and spread rooms evenly over floors", () => {
    assert.deepEqual(roomNumbers(3), ["101", "102", "103"]);
    const r150 = roomNumbers(150);
    assert.equal(r150[0], "101");
    assert.equal(r150[74], "175");
    assert.equal(r150[75], "201");
  });

  test("occupies the requested share of rooms with unique reservation numbers", () => {
    const hotel = generateHotel({ rooms: 2000, occupancy: 0.7 });
    const occupiedRooms = new Set(hotel.guests.map((g) => g.room));
    assert.equal(occupiedRooms.size, 1400);
    const ids = hotel.guests.map((g) => g.reservation);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.every((id) => Number.isInteger(id) && id > 0));
    for (const g of hotel.guests) {
      assert.ok(["EA", "GE", "FR", "IT", "SP"].includes(g.language));
      assert.ok(["", "1", "2", "3"].includes(g.vip));
      assert.match(g.arrival, /^\d{6}$/);
      assert.ok(g.departure > g.arrival);
    }
    assert.equal(generateHotel({ rooms: 50, occupancy: 0 }).guests.length, 0);
  });

  test("sharers come in pairs of one room, both GS=Y", () => {
    const hotel = generateHotel({ rooms: 500 });
    const byRoom = new Map<string, number>();
    for (const g of hotel.guests) byRoom.set(g.room, (byRoom.get(g.room) ?? 0) + 1);
    const shared = [...byRoom].filter(([, n]) => n === 2).map(([room]) => room);
    assert.ok(shared.length > 0, "some rooms are shared");
    assert.ok([...byRoom.values()].every((n) => n <= 2));
    for (const g of hotel.guests) assert.equal(g.sharer, shared.includes(g.room));
  });

  test("rejects nonsense sizes", () => {
    assert.throws(() => generateHotel({ rooms: 0 }), /rooms/);
    assert.throws(() => generateHotel({ rooms: 10, occupancy: 1.5 }), /occupancy/);
  });
});

describe("resyncRecords", () => {
  test("one GI with SF per guest carrying the guest fields", () => {
    const hotel = generateHotel({ rooms: 200 });
    const recs = resyncRecords(hotel);
    assert.equal(recs.length, hotel.guests.length);
    const g = hotel.guests[0];
    assert.deepEqual(recs[0], {
      type: "GI",
      fields: {
        RN: g.room,
        "G#": String(g.reservation),
        GN: g.last,
        GF: g.first,
        GT: g.title,
        GL: g.language,
        GV: g.vip,
        GG: g.group,
        GA: g.arrival,
        GD: g.departure,
        GS: g.sharer ? "Y" : "N",
        SF: "",
      },
    });
  });

  test('matrix style: GN "Last, First" and no GF, GV N for a guest who is not VIP, same hotel', () => {
    const hotel = generateHotel({ rooms: 300 });
    const oracle = resyncRecords(hotel);
    const matrix = resyncRecords(hotel, { style: "matrix" });
    assert.deepEqual(matrix, resyncRecords(generateHotel({ rooms: 300 }), { style: "matrix" }));
    assert.equal(matrix.length, hotel.guests.length);
    hotel.guests.forEach((g, i) => {
      const { GF, ...rest } = oracle[i].fields;
      assert.equal(GF, g.first);
      assert.deepEqual(matrix[i], {
        type: "GI",
        fields: { ...rest, GN: `${g.last}, ${g.first}`, GV: g.vip === "" ? "N" : g.vip },
      });
      assert.equal("GF" in matrix[i].fields, false);
    });
    assert.ok(matrix.some((r) => r.fields.GV === "N"));
    assert.ok(matrix.some((r) => /^[1-3]$/.test(r.fields.GV)));
    assert.deepEqual(Object.keys(matrix[0].fields), ["RN", "G#", "GN", "GT", "GL", "GV", "GG", "GA", "GD", "GS", "SF"]);
  });

  test("with equipment, adds one RE per room with DN, CS and ML", () => {
    const hotel = generateHotel({ rooms: 120 });
    const res = resyncRecords(hotel, { equipment: true }).filter((r) => r.type === "RE");
    assert.equal(res.length, 120);
    for (const r of res) {
      assert.ok(["Y", "N"].includes(r.fields.DN) && ["Y", "N"].includes(r.fields.ML));
      assert.ok(["0", "1", "2", "3"].includes(r.fields.CS));
    }
  });
});
