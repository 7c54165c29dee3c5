/**
 * Reads a captured WebSocket byte stream back into message payloads, unmasked. Client-to-server frames
 * are XOR-masked (RFC 6455 §5.3), so searching raw capture bytes for text would miss it: a check that
 * "the hub never saw X" must look at payloads as the hub decodes them.
 */
export interface WsPayload {
  opcode: number;
  data: Buffer;
}

/** Parses `stream` (starting with the HTTP upgrade exchange) into frame payloads; stops at a partial frame. */
export function wsPayloads(stream: Buffer): WsPayload[] {
  const headerEnd = stream.indexOf("\r\n\r\n");
  if (headerEnd < 0) return [];
  let at = headerEnd + 4;
  const out: WsPayload[] = [];
  while (at + 2 <= stream.length) {
    const b0 = stream[at] as number;
    const b1 = stream[at + 1] as number;
    let length = b1 & 0x7f;
    let offset = at + 2;
    if (length === 126) {
      if (offset + 2 > stream.length) break;
      length = stream.readUInt16BE(offset);
      offset += 2;
    } else if (length === 127) {
      if (offset + 8 > stream.length) break;
      length = Number(stream.readBigUInt64BE(offset));
      offset += 8;
    }
    const masked = (b1 & 0x80) !== 0;
    const mask = masked ? stream.subarray(offset, offset + 4) : undefined;
    if (masked) offset += 4;
    if (offset + length > stream.length) break;
    const data = Buffer.from(stream.subarray(offset, offset + length));
    if (mask) for (let i = 0; i < data.length; i++) data[i] = (data[i] as number) ^ (mask[i % 4] as number);
    out.push({ opcode: b0 & 0x0f, data });
    at = offset + length;
  }
  return out;
}
