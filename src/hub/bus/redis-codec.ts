/**
 * The bus's wire format on Redis: one binary frame per message. A header names the publishing bus
 * (`origin`, unique per process) and numbers its messages (`pubSeq`), so a subscriber notices a missed
 * message as a jump. Relay frames carry their bytes as they are; the rest travel as JSON.
 *
 *   u8 version (1) | u8 kind | u8 originLength | origin | u32 pubSeq | body
 *   kind 0 (json):      body = UTF-8 JSON of the BusMessage
 *   kind 1 (relay):     body = u32 channel | u16 toConnLength | toConn | data
 *   kind 2 (heartbeat): no body; pubSeq = the origin's last used number
 */
import type { BusMessage, RelayMessage } from "./bus.js";

const VERSION = 1;
const KIND_JSON = 0;
const KIND_RELAY = 1;
const KIND_HEARTBEAT = 2;

export type Frame =
  | { origin: string; pubSeq: number; message: BusMessage }
  | { origin: string; pubSeq: number; heartbeat: true };

export class BusFrameError extends Error {
  constructor(reason: string) {
    super(`bad bus frame: ${reason}`);
    this.name = "BusFrameError";
  }
}

function header(
  kind: number,
  origin: string,
  pubSeq: number,
  bodyLength: number,
): { buf: Buffer; at: number } {
  const originBytes = Buffer.from(origin, "utf8");
  if (originBytes.length > 255) throw new BusFrameError("origin longer than 255 bytes");
  const buf = Buffer.allocUnsafe(3 + originBytes.length + 4 + bodyLength);
  buf.writeUInt8(VERSION, 0);
  buf.writeUInt8(kind, 1);
  buf.writeUInt8(originBytes.length, 2);
  originBytes.copy(buf, 3);
  buf.writeUInt32BE(pubSeq >>> 0, 3 + originBytes.length);
  return { buf, at: 7 + originBytes.length };
}

export function encodeFrame(origin: string, pubSeq: number, message: BusMessage): Buffer {
  if (message.kind === "relay") return encodeRelay(origin, pubSeq, message);
  const json = Buffer.from(JSON.stringify(message), "utf8");
  const { buf, at } = header(KIND_JSON, origin, pubSeq, json.length);
  json.copy(buf, at);
  return buf;
}

function encodeRelay(origin: string, pubSeq: number, message: RelayMessage): Buffer {
  const conn = Buffer.from(message.toConn, "utf8");
  if (conn.length > 0xffff) throw new BusFrameError("connection id too long");
  const { buf, at } = header(KIND_RELAY, origin, pubSeq, 4 + 2 + conn.length + message.data.length);
  buf.writeUInt32BE(message.channel >>> 0, at);
  buf.writeUInt16BE(conn.length, at + 4);
  conn.copy(buf, at + 6);
  buf.set(message.data, at + 6 + conn.length);
  return buf;
}

export function encodeHeartbeat(origin: string, pubSeq: number): Buffer {
  return header(KIND_HEARTBEAT, origin, pubSeq, 0).buf;
}

export function decodeFrame(buf: Buffer): Frame {
  if (buf.length < 7) throw new BusFrameError("shorter than a header");
  if (buf.readUInt8(0) !== VERSION) throw new BusFrameError(`unknown version ${buf.readUInt8(0)}`);
  const kind = buf.readUInt8(1);
  const originLength = buf.readUInt8(2);
  const at = 3 + originLength + 4;
  if (buf.length < at) throw new BusFrameError("truncated header");
  const origin = buf.toString("utf8", 3, 3 + originLength);
  const pubSeq = buf.readUInt32BE(3 + originLength);
  switch (kind) {
    case KIND_HEARTBEAT:
      return { origin, pubSeq, heartbeat: true };
    case KIND_JSON:
      return { origin, pubSeq, message: JSON.parse(buf.toString("utf8", at)) as BusMessage };
    case KIND_RELAY: {
      if (buf.length < at + 6) throw new BusFrameError("truncated relay header");
      const channel = buf.readUInt32BE(at);
      const connLength = buf.readUInt16BE(at + 4);
      if (buf.length < at + 6 + connLength) throw new BusFrameError("truncated relay connection id");
      const toConn = buf.toString("utf8", at + 6, at + 6 + connLength);
      // A copy, so the frame's buffer (possibly pooled by the Redis client) is not held by the receiver.
      const data = new Uint8Array(buf.subarray(at + 6 + connLength));
      return { origin, pubSeq, message: { kind: "relay", toConn, channel, data } };
    }
    default:
      throw new BusFrameError(`unknown kind ${kind}`);
  }
}
