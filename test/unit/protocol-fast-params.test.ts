/**
 * The hand-written fast checks of hot ops (OpSpec.fast in src/protocol/ops.ts) against their schemas:
 * whatever the fast check passes, the schema passes too and returns the same params; the usual shape
 * does take the fast path. Fed thousands of generated frames, valid and not.
 */
import { describe, expect, it } from "vitest";
import { okReply, okReplyText } from "../../src/protocol/frames.js";
import { ops, type OpName } from "../../src/protocol/ops.js";

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(11);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const str = (n: number) => "x".repeat(n);
const values = [
  undefined,
  null,
  0,
  1.5,
  true,
  "",
  "a",
  str(64),
  str(65),
  str(256),
  str(257),
  str(100_000),
  str(100_001),
  [],
  {},
  ["a"],
];
const keys = ["id", "op", "room", "user", "body", "cid", "file", "extra", "__proto__", "constructor"];

function frame(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Mostly the usual shape, with one or two fields changed, so both paths are well exercised.
  if (random() < 0.6) Object.assign(out, { id: 1, op: "msg.send", room: "lobby", body: "hi", cid: "c1" });
  for (let i = Math.floor(random() * 3); i > 0; i--) {
    const value = pick(values);
    const key = pick(keys);
    if (value === undefined) delete out[key];
    else Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

describe("fast parameter checks", () => {
  for (const name of Object.keys(ops) as OpName[]) {
    const spec = ops[name] as {
      fast?: (p: Record<string, unknown>) => boolean;
      params: typeof ops.hello.params;
    };
    if (!spec.fast) continue;
    it(`${name}: passes only what its schema passes, unchanged`, () => {
      let fast = 0;
      for (let i = 0; i < 5000; i++) {
        const params = frame();
        if (!spec.fast!(params)) continue;
        fast++;
        const checked = spec.params.safeParse(params);
        expect(checked.success, JSON.stringify(params).slice(0, 200)).toBe(true);
        const { id: _id, op: _op, ...rest } = params;
        expect(checked.data).toEqual(rest);
      }
      expect(fast).toBeGreaterThan(500);
    });
  }

  it("takes msg.send's usual shapes, room or user, with or without a file", () => {
    const fast = ops["msg.send"].fast!;
    expect(fast({ id: 7, op: "msg.send", room: "lobby", body: "hello", cid: "a" })).toBe(true);
    expect(fast({ id: "x", op: "msg.send", user: "ann", body: "", cid: "b" })).toBe(true);
    expect(fast({ id: 8, op: "msg.send", room: "lobby", body: "", cid: "c", file: "f1" })).toBe(true);
    // A file id the schema refuses goes through the schema, which words the error.
    expect(fast({ id: 8, op: "msg.send", room: "lobby", body: "", cid: "c", file: "" })).toBe(false);
    expect(fast({ id: 8, op: "msg.send", room: "lobby", body: "", cid: "c", file: str(65) })).toBe(false);
    expect(fast({ id: 8, op: "msg.send", room: "lobby", body: "", cid: "c", file: 3 })).toBe(false);
    expect(fast({ id: 7, op: "msg.send", room: "lobby", body: "hello", cid: "" })).toBe(false);
    expect(fast({ id: 7, op: "msg.send", room: "lobby", body: "hello", cid: "a", more: 1 })).toBe(false);
  });
});

describe("okReplyText", () => {
  it("is the JSON of okReply, whatever the result", () => {
    for (const [re, result] of [
      [1, {}],
      ["req-7", { id: "12", seq: 3, ts: 99 }],
      [42, { user: { username: "ann", online: true }, session: { token: 't"q', expiresAt: 1 } }],
    ] as const) {
      expect(JSON.parse(okReplyText(re, result))).toEqual(okReply(re, result));
    }
  });
});
