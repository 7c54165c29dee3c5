/** The framing inside peer sessions and the relay's channel framing, fed raw bytes (no sockets). */
import { describe, expect, it } from "vitest";
import { encodeFrame, FrameDecoder, MAX_PEER_FRAME_BYTES } from "../../src/peer/frames.js";
import { decodeRelayFrame, encodeRelayFrame, RelayMux, type RelayLink } from "../../src/peer/relay.js";

describe("peer frames", () => {
  it("reassembles frames split at every byte and several in one chunk", () => {
    const bytes = Buffer.concat([
      encodeFrame({ t: "msg", id: "m1", body: "héllo ✓", ts: 1 }),
      encodeFrame({ t: "ack", id: "m0" }),
      encodeFrame({ t: "ping", n: 3 }),
    ]);
    const decoder = new FrameDecoder();
    const frames = [];
    for (let i = 0; i < bytes.length; i++) frames.push(...decoder.push(bytes.subarray(i, i + 1)));
    expect(frames).toEqual([
      { t: "msg", id: "m1", body: "héllo ✓", ts: 1 },
      { t: "ack", id: "m0" },
      { t: "ping", n: 3 },
    ]);
    expect(new FrameDecoder().push(bytes)).toHaveLength(3);
  });

  it("refuses a hostile length before buffering it, bad JSON and unknown shapes", () => {
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(MAX_PEER_FRAME_BYTES + 1);
    expect(() => new FrameDecoder().push(huge)).toThrow(/frame/);
    const notJson = Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from("{{{")]);
    expect(() => new FrameDecoder().push(notJson)).toThrow(/not JSON/);
    const wrong = Buffer.from(JSON.stringify({ t: "msg", id: "x", body: "", ts: 1 }));
    const framed = Buffer.concat([Buffer.from([0, 0, 0, wrong.length]), wrong]);
    expect(() => new FrameDecoder().push(framed)).toThrow(
      expect.objectContaining({ code: "BAD_PEER_FRAME" }),
    );
  });
});

describe("relay frames", () => {
  it("carry a big-endian channel number and the bytes untouched", () => {
    const frame = encodeRelayFrame(0x01020304, Buffer.from([9, 8, 7]));
    expect([...frame]).toEqual([1, 2, 3, 4, 9, 8, 7]);
    expect(decodeRelayFrame(frame)).toEqual({ channel: 0x01020304, data: Buffer.from([9, 8, 7]) });
    expect(decodeRelayFrame(Buffer.from([1, 2]))).toBeUndefined();
  });

  it("the mux keeps early frames for a channel until it is opened, and routes by channel", async () => {
    let deliver: (frame: Uint8Array) => void = () => {};
    const sent: Buffer[] = [];
    const link: RelayLink = {
      send: (f) => sent.push(Buffer.from(f)),
      onFrame: (h) => ((deliver = h), () => {}),
    };
    const mux = new RelayMux(link);
    deliver(encodeRelayFrame(7, Buffer.from("early ")));
    deliver(encodeRelayFrame(8, Buffer.from("other")));
    const stream = mux.open(7);
    deliver(encodeRelayFrame(7, Buffer.from("late")));
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    await new Promise((r) => setImmediate(r));
    expect(Buffer.concat(chunks).toString()).toBe("early late");
    stream.write(Buffer.from("out"));
    expect(sent).toEqual([encodeRelayFrame(7, Buffer.from("out"))]);
    mux.close();
  });
});
