/**
 * The media type of an upload, from its first bytes — never from the uploader's name or claim.
 * `file-type` knows binary formats by their magic numbers; it does not look at text, so text is
 * recognised here: HTML, SVG and XML by their opening tag (they can carry scripts, so they must be
 * known for what they are), other valid UTF-8 without NUL as text/plain. Anything else is
 * application/octet-stream.
 */
import { fileTypeFromBuffer } from "file-type";

/** How many leading bytes the sniffers look at (file-type needs at most a few KiB for its formats). */
export const SNIFF_BYTES = 64 * 1024;

/** Types a browser may show inline (with nosniff and a sandbox CSP); everything else is an attachment. */
export const INLINE_TYPES: ReadonlySet<string> = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
]);

export async function sniffType(head: Uint8Array): Promise<string> {
  const found = await fileTypeFromBuffer(head);
  if (found) return found.mime;
  return textType(head) ?? "application/octet-stream";
}

function textType(head: Uint8Array): string | undefined {
  if (head.length === 0) return "text/plain";
  if (head.includes(0)) return undefined;
  let text: string;
  try {
    // A multi-byte character cut at the end of the head is not a reason to call it binary.
    text = new TextDecoder("utf-8", { fatal: true }).decode(trimPartial(head));
  } catch {
    return undefined;
  }
  const start = text
    .replace(/^\uFEFF/, "")
    .trimStart()
    .slice(0, 1024)
    .toLowerCase();
  if (/^<!doctype html|^<html[\s>]|^<head[\s>]|^<body[\s>]|^<script[\s>]/.test(start)) return "text/html";
  if (/^<svg[\s>]/.test(start) || (/^<\?xml/.test(start) && start.includes("<svg"))) return "image/svg+xml";
  if (/^<\?xml/.test(start)) return "application/xml";
  return "text/plain";
}

/** Drops an incomplete UTF-8 sequence at the very end. */
function trimPartial(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const byte = bytes[end - back] as number;
    if ((byte & 0xc0) !== 0x80) {
      const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
      if (need > back) end -= back;
      break;
    }
  }
  return bytes.subarray(0, end);
}
