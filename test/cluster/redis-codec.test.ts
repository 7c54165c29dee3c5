/** The bus frame format: raw bytes in, messages out, no Redis needed. */
import { describe, expect, it } from "vitest";
import type { BusMessage } from "../../src/hub/bus/bus.js";
import { BusFrameError, decodeFrame, encodeFrame, encodeHeartbeat } from "../../src/hub/bus/redis-codec.js";

describe("redis bus codec", () => {
  it("round-trips every message kind with its origin and number", () => {
    const messages: BusMessage[] = [
      {
        kind: "deliver",
        to: [1, 2],
        event: { ev: "presence", username: "ann", online: true, reason: "login" },
      },
      { kind: "end-sessions", userId: 7, tokenHash: "abc", reason: "logout" },
      { kind: "invalidate", room: 3 },
      { kind: "relay", toConn: "conn-é", channel: 0xfffffffe, data: new Uint8Array([0, 255, 10, 13, 0]) },
    ];
    messages.forEach((message, i) => {
      const frame = decodeFrame(encodeFrame("node-a/01", i + 1, message));
      expect(frame).toEqual({ origin: "node-a/01", pubSeq: i + 1, message });
    });
  });

  it("carries relay bytes as they are, not as JSON", () => {
    const data = new Uint8Array(1000).map((_, i) => i % 256);
    const buf = encodeFrame("n", 1, { kind: "relay", toConn: "c", channel: 9, data });
    expect(buf.length).toBe(3 + 1 + 4 + 4 + 2 + 1 + 1000);
  });

  it("decodes a heartbeat and wraps the number at 2^32", () => {
    expect(decodeFrame(encodeHeartbeat("n", 2 ** 32 - 1))).toEqual({
      origin: "n",
      pubSeq: 2 ** 32 - 1,
      heartbeat: true,
    });
    expect(decodeFrame(encodeHeartbeat("n", 2 ** 32)).pubSeq).toBe(0);
  });

  it("rejects truncated, unknown-version and unknown-kind frames with BusFrameError", () => {
    const good = encodeFrame("origin", 1, {
      kind: "relay",
      toConn: "conn",
      channel: 1,
      data: new Uint8Array(4),
    });
    expect(() => decodeFrame(Buffer.alloc(3))).toThrow(BusFrameError);
    expect(() => decodeFrame(good.subarray(0, 12))).toThrow(BusFrameError);
    const version = Buffer.from(good);
    version[0] = 9;
    expect(() => decodeFrame(version)).toThrow(/unknown version 9/);
    const kind = Buffer.from(good);
    kind[1] = 7;
    expect(() => decodeFrame(kind)).toThrow(/unknown kind 7/);
  });
});
