/**
 * Outgoing WebSocket frames, built once and written straight to the socket.
 *
 * A fan-out sends the same event to many connections; `ws.send` would copy and re-frame it per
 * recipient. Here each event becomes one complete server frame (header + UTF-8 payload, unmasked as
 * RFC 6455 requires of servers), and each socket gets all of its frames of an event-loop turn in one
 * write. This bypasses ws's sender only for data frames; it is safe because permessage-deflate
 * is off (so ws never holds a frame back) and every write is a whole frame.
 */
import type { Socket } from "node:net";

export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const head = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + length);
  frame[0] = 0x81; // FIN + text
  if (length < 126) frame[1] = length;
  else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.write(text, head, "utf8");
  return frame;
}

export interface FrameSink {
  socket: Socket | undefined;
  queue: Buffer[];
  /**
   * A client that stops reading would make the hub buffer for it without end. Past this many bytes
   * waiting in the socket, the connection is dropped; the client resumes from the store.
   */
  maxBufferedBytes: number;
  /** Called (once) when the connection is dropped for being too slow. */
  onTooSlow(): void;
}

export const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

const dirty: FrameSink[] = [];
let flushScheduled = false;

/** Whether two queues hold the same frame objects in the same order (a room burst's usual case). */
function sameFrames(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function flush(): void {
  flushScheduled = false;
  // In a room burst most sockets get the same frames in a turn: join them once, write that to each.
  let lastQueue: Buffer[] = [];
  let lastJoined: Buffer | undefined;
  // Taken whole first: a sink written to during the loop (a callback's reply) is flushed next turn.
  const sinks = dirty.splice(0);
  for (const sink of sinks) {
    const { socket, queue } = sink;
    if (socket && !socket.destroyed && socket.writable) {
      if (socket.writableLength > sink.maxBufferedBytes) {
        sink.onTooSlow();
        socket.destroy();
      } else if (queue.length === 1) {
        // One write per socket per turn: copying small frames into one buffer is cheaper than a
        // stream write request per frame.
        socket.write(queue[0] as Buffer);
      } else {
        if (!lastJoined || !sameFrames(queue, lastQueue)) {
          lastJoined = Buffer.concat(queue);
          lastQueue = queue.slice();
        }
        socket.write(lastJoined);
      }
    }
    // The sink keeps its queue array from turn to turn: emptied, not replaced (no array per socket
    // per turn).
    queue.length = 0;
  }
}

/** Queues a frame; all queued frames leave at the end of this event-loop turn, in order. */
export function enqueue(sink: FrameSink, frame: Buffer): void {
  if (sink.queue.length === 0) dirty.push(sink);
  sink.queue.push(frame);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

/** Writes a sink's queued frames now (before a close frame, which goes through ws). */
export function flushNow(sink: FrameSink): void {
  const { socket, queue } = sink;
  if (queue.length === 0) return;
  sink.queue = [];
  const index = dirty.indexOf(sink);
  if (index >= 0) dirty.splice(index, 1);
  if (!socket || socket.destroyed || !socket.writable) return;
  socket.cork();
  for (const frame of queue) socket.write(frame);
  socket.uncork();
}
