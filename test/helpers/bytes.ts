import { randomBytes } from "node:crypto";

/**
 * Random bytes that no file-type signature matches: about 1 in 2,500 buffers of plain random bytes
 * begins like an MP3 frame or another format and would be sniffed as such, failing a test that expects
 * `application/octet-stream`. The fixed start rules every signature out.
 */
export function opaqueBytes(size: number): Buffer {
  const bytes = randomBytes(size);
  Buffer.from("\0parley-opaque\0\0").copy(bytes, 0);
  return bytes;
}
