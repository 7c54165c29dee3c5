/**
 * Frames of a file sent inside a direct chat (file-transfer.ts), beside the chat's own (frames.ts).
 * Chunks travel base64 in JSON like every peer frame, small enough to stay well under the frame cap.
 */
import { z } from "zod";

/** Raw bytes per chunk: 32 KiB is about 44 KB of base64, under MAX_PEER_FRAME_BYTES with room to spare. */
export const FILE_CHUNK_BYTES = 32 * 1024;
const transferId = z.string().min(1).max(64);
const offset = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const fileFrameSchemas = [
  /** The sender offers a file: its name, size and the SHA-256 of all of it, before any byte. */
  z.object({
    t: z.literal("file-offer"),
    id: transferId,
    name: z.string().min(1).max(255),
    size: offset,
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  /** The receiver's answer; also, after a reconnect, where to resume (`offset` bytes are safely written). */
  z.object({ t: z.literal("file-accept"), id: transferId, offset }),
  z.object({ t: z.literal("file-chunk"), id: transferId, offset, data: z.string().max(48 * 1024) }),
  /** All bytes sent; the receiver checks size and hash and answers with file-result. */
  z.object({ t: z.literal("file-end"), id: transferId }),
  z.object({
    t: z.literal("file-result"),
    id: transferId,
    ok: z.boolean(),
    reason: z.string().max(300).optional(),
  }),
  /** Either side gives up (refused, cancelled, failed); the other stops too. */
  z.object({ t: z.literal("file-cancel"), id: transferId, reason: z.string().max(300).optional() }),
] as const;

export type FileFrame = z.infer<(typeof fileFrameSchemas)[number]>;
export type FileFrameType = FileFrame["t"];

export const FILE_FRAME_TYPES: ReadonlySet<string> = new Set(fileFrameSchemas.map((s) => s.shape.t.value));
