/**
 * Framing inside the encrypted peer session: a 4-byte big-endian length, then one JSON object.
 * TLS gives a byte stream, so frames need their own boundaries; JSON keeps them debuggable and is
 * validated by one schema on the way in.
 */
import { z } from "zod";
import { MAX_BODY_CHARS } from "../protocol/limits.js";
import { PeerError } from "./errors.js";
import { fileFrameSchemas } from "./file-frames.js";
import { e2eCopySchema } from "../protocol/e2e.js";

export const PEER_PROTOCOL_VERSION = 1;
/** Ample for a 4000-character body even if every character is JSON-escaped. */
export const MAX_PEER_FRAME_BYTES = 64 * 1024;

const id = z.string().min(1).max(64);

export const peerFrameSchema = z.discriminatedUnion("t", [
  /** Sent by each side once it has checked the other's key: the session may start. */
  z.object({ t: z.literal("hello"), v: z.literal(PEER_PROTOCOL_VERSION) }),
  /** Sent instead of hello when the other's key is not one we expect, just before closing. */
  z.object({ t: z.literal("refused"), reason: z.string().max(200) }),
  z.object({ t: z.literal("msg"), id, body: z.string().min(1).max(MAX_BODY_CHARS), ts: z.number().int() }),
  z.object({ t: z.literal("ack"), id }),
  z.object({ t: z.literal("ping"), n: z.number().int() }),
  z.object({ t: z.literal("pong"), n: z.number().int() }),
  /** Orderly end of the chat (not of one transport): the other side stops reconnecting. */
  z.object({ t: z.literal("bye") }),
  /**
   * A message of an end-to-end encrypted room, sealed and signed as for the hub, given directly to a
   * member with a chat open (docs/e2e-rooms.md): shown at once, no ack — the hub's copy is the one
   * delivery relies on. `room` is checked by the signature.
   */
  z.object({ t: z.literal("room"), room: z.string().min(1).max(48), copy: e2eCopySchema }),
  /** Files sent inside the chat (file-transfer.ts). */
  ...fileFrameSchemas,
]);
export type PeerFrame = z.infer<typeof peerFrameSchema>;

export function encodeFrame(frame: PeerFrame): Buffer {
  const json = Buffer.from(JSON.stringify(frame), "utf8");
  if (json.length > MAX_PEER_FRAME_BYTES)
    throw new PeerError("BAD_PEER_FRAME", `frame of ${json.length} bytes is too large`);
  const out = Buffer.allocUnsafe(4 + json.length);
  out.writeUInt32BE(json.length, 0);
  json.copy(out, 4);
  return out;
}

/** Accumulates stream chunks and yields whole frames; throws `BAD_PEER_FRAME` on anything malformed. */
export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): PeerFrame[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: PeerFrame[] = [];
    while (this.buffer.length >= 4) {
      const length = this.buffer.readUInt32BE(0);
      // Checked before waiting for the body, so a hostile length cannot make us buffer 4 GiB.
      if (length > MAX_PEER_FRAME_BYTES)
        throw new PeerError("BAD_PEER_FRAME", `peer announced a ${length}-byte frame`);
      if (this.buffer.length < 4 + length) break;
      const json = this.buffer.subarray(4, 4 + length).toString("utf8");
      this.buffer = this.buffer.subarray(4 + length);
      frames.push(parseFrame(json));
    }
    return frames;
  }

  /** Bytes received after the last whole frame. */
  rest(): Buffer {
    return this.buffer;
  }
}

function parseFrame(json: string): PeerFrame {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new PeerError("BAD_PEER_FRAME", "peer sent a frame that is not JSON");
  }
  const parsed = peerFrameSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PeerError(
      "BAD_PEER_FRAME",
      `peer sent an invalid frame (${issue?.path.join(".") ?? "?"}: ${issue?.message ?? "?"})`,
    );
  }
  return parsed.data;
}
