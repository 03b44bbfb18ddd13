/**
 * @module config/postings-schema
 * `postings`: guest charges sent to the PMS (issue 15 §2): outside calls from the call records, and
 * minibar articles keyed in on the room phone. Off by default, and with no tariff line nothing is
 * charged even when on: a hotel lists what it charges, so no number costs a guest money by accident.
 * Money is written in major units (`0.25` = 25 cents with `currencyDigits` 2) and may have no more
 * decimals than the currency; the appliance computes in whole minor units.
 */
import * as v from "valibot";
import { fitsMinorUnits } from "../domain/tariff.ts";

const dialledPrefix = v.pipe(
  v.string(),
  v.regex(/^[0-9*#+]{1,20}$/, "expected the leading digits of a dialled number, such as 00 or +39"),
);
const money = v.pipe(v.number(), v.minValue(0, "must not be negative"), v.maxValue(1_000_000));

export const tariffLineSchema = v.strictObject({
  /** Leading digits of the dialled number, as the PBX reports it (with its outside-line digit). */
  prefix: dialledPrefix,
  /** Shown to the PMS as the posting's text (FIAS CT, 20 characters at most). */
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(20)),
  setupFee: v.optional(money, 0),
  ratePerMinute: money,
  /** Billed time is rounded up to a whole number of these: 60 = per started minute, 1 = per second. */
  incrementSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(3600)), 60),
  /** Shortest billed time of an answered call. */
  minimumSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(3600)), 0),
  /** The call class the PMS knows (FIAS PC: I international, N national, L local); null = not sent. */
  callType: v.optional(
    v.nullable(v.pipe(v.string(), v.regex(/^[A-Z0-9]$/, "expected one capital letter or digit"))),
    null,
  ),
});

const tariffsSchema = v.pipe(
  v.strictObject({
    /** Decimals of the hotel's currency: 2 for EUR/USD, 0 for JPY. */
    currencyDigits: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(4)), 2),
    /** Never charged, whatever the lines say: emergency numbers, toll-free ranges. */
    freePrefixes: v.optional(v.array(dialledPrefix), ["112", "911"]),
    lines: v.optional(v.array(tariffLineSchema), []),
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const t = dataset.value;
    const at = (i: number, key?: string) => {
      const path: [v.ObjectPathItem, v.ArrayPathItem, ...v.ObjectPathItem[]] = [
        { type: "object", origin: "value", input: t, key: "lines", value: t.lines },
        { type: "array", origin: "value", input: t.lines, key: i, value: t.lines[i] },
      ];
      if (key) {
        const line = t.lines[i] as Record<string, unknown>;
        path.push({ type: "object", origin: "value", input: line, key, value: line[key] });
      }
      return path;
    };
    const seen = new Map<string, number>();
    t.lines.forEach((line, i) => {
      const first = seen.get(line.prefix);
      if (first !== undefined) {
        addIssue({ message: `prefix ${line.prefix} is already the prefix of line ${first}`, path: at(i, "prefix") });
      } else seen.set(line.prefix, i);
      for (const key of ["setupFee", "ratePerMinute"] as const) {
        if (!fitsMinorUnits(line[key], t.currencyDigits)) {
          addIssue({
            message: `${line[key]} has more decimals than the currency (currencyDigits ${t.currencyDigits})`,
            path: at(i, key),
          });
        }
      }
    });
  }),
);

export const postingsSchema = v.strictObject({
  /** Off = nothing is posted: neither call charges nor minibar articles. */
  enabled: v.optional(v.boolean(), false),
  /**
   * `pre-costed`: the appliance prices each call from `tariffs` and posts the amount (FIAS PS PTC
   * TA). `pms-costed`: it posts the dialled number and the duration (PTT DD + DU) and the PMS prices
   * it; `tariffs` still decides which calls are charged.
   */
  mode: v.optional(v.picklist(["pre-costed", "pms-costed"]), "pre-costed"),
  /**
   * pms-costed only: cost by meter pulses (FIAS PT T with MP, one pulse per billed increment of the
   * line) instead of by duration (DU). The PMS takes one of the two; ask which.
   */
  pulses: v.optional(v.boolean(), false),
  tariffs: v.optional(tariffsSchema, {}),
  /** The trunks (gateways as the PBX names them) whose calls are charged; null = every trunk. */
  callTrunks: v.optional(v.nullable(v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1))), null),
});

export type PostingsConfig = v.InferOutput<typeof postingsSchema>;
export type TariffLineConfig = v.InferOutput<typeof tariffLineSchema>;
