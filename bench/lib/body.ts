/**
 * Fixed-width message bodies: the load generator finds and decodes them in raw received bytes without
 * parsing JSON or IRC, so it stays cheap next to the server it measures.
 *
 *   PLY rrrr sssss qqqqqqq tttttttttttt
 *   │   │    │     │       └ send time, µs since the run's epoch (12 digits: 11.5 days)
 *   │   │    │     └ per-sender sequence number, from 1
 *   │   │    └ sender's index inside its room
 *   │   └ room index
 *   └ marker: upper case never appears in Parley usernames or room names, nor in IRC prefixes we create
 */
export const MARKER = "PLY";
const MARKER_BYTES = Buffer.from(MARKER, "latin1");
const ROOM_W = 4;
const SENDER_W = 5;
const SEQ_W = 7;
const TIME_W = 12;
export const BODY_LENGTH = MARKER.length + ROOM_W + SENDER_W + SEQ_W + TIME_W;

function pad(n: number, width: number): string {
  const s = String(n);
  if (s.length > width) throw new RangeError(`${n} does not fit in ${width} digits`);
  return "0".repeat(width - s.length) + s;
}

export function encodeBody(room: number, sender: number, seq: number, timeUs: number): string {
  return MARKER + pad(room, ROOM_W) + pad(sender, SENDER_W) + pad(seq, SEQ_W) + pad(timeUs, TIME_W);
}

export interface DecodedBody {
  room: number;
  sender: number;
  seq: number;
  timeUs: number;
}

function digits(buf: Buffer, start: number, width: number): number {
  let n = 0;
  for (let i = start; i < start + width; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Where the body starts in `buf` (from `from`), or -1. */
export function findBody(buf: Buffer, from = 0): number {
  const at = buf.indexOf(MARKER_BYTES, from);
  return at >= 0 && at + BODY_LENGTH <= buf.length ? at : -1;
}

/**
 * Decodes the body at `at` into `out` (reused by the caller to avoid an allocation per delivery).
 * Returns false when the bytes there are not a well-formed body.
 */
export function decodeBodyAt(buf: Buffer, at: number, out: DecodedBody): boolean {
  let p = at + MARKER.length;
  out.room = digits(buf, p, ROOM_W);
  p += ROOM_W;
  out.sender = digits(buf, p, SENDER_W);
  p += SENDER_W;
  out.seq = digits(buf, p, SEQ_W);
  p += SEQ_W;
  out.timeUs = digits(buf, p, TIME_W);
  return out.room >= 0 && out.sender >= 0 && out.seq >= 0 && out.timeUs >= 0;
}
