/**
 * The relay transport: peer bytes carried in binary WebSocket frames through the hub, each frame's
 * first 4 bytes the big-endian channel number and the rest opaque (PROTOCOL.md, P2P). A `RelayStream`
 * is a Duplex over one channel, so the very same TLS handshake runs over it as over TCP and the hub
 * only ever forwards ciphertext.
 */
import { Duplex } from "node:stream";
import { PeerError } from "./errors.js";

/** Relay frames stay well below the hub's 64 KiB frame cap (TLS records are ≤ ~16 KiB anyway). */
export const RELAY_CHUNK_BYTES = 32 * 1024;
/** Frames for a channel not opened yet (the other side was quicker) are kept this many at most. */
const EARLY_FRAMES_MAX = 64;
const EARLY_FRAMES_TTL_MS = 15_000;

/** What the relay needs from a hub connection: send a binary frame, receive binary frames. */
export interface RelayLink {
  send(frame: Uint8Array): void;
  /** Returns an unsubscribe function. */
  onFrame(handler: (frame: Uint8Array) => void): () => void;
}

export function encodeRelayFrame(channel: number, data: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(4 + data.length);
  frame.writeUInt32BE(channel, 0);
  frame.set(data, 4);
  return frame;
}

/** Undefined for a frame too short to carry a channel number. */
export function decodeRelayFrame(frame: Uint8Array): { channel: number; data: Buffer } | undefined {
  if (frame.length < 4) return undefined;
  const buffer = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  return { channel: buffer.readUInt32BE(0), data: buffer.subarray(4) };
}

/**
 * True for bytes that start a TLS ClientHello record (content type 22 = handshake, version 3.x,
 * handshake type 1). In TLS 1.3 every record after the handshake is an encrypted one (type 23), so on
 * a channel whose session is established this can only be a peer starting over.
 */
export function startsClientHello(data: Uint8Array): boolean {
  return data.length >= 6 && data[0] === 0x16 && data[1] === 0x03 && data[5] === 0x01;
}

/** A byte stream over one relay channel. */
export class RelayStream extends Duplex {
  /** Set once a TLS session over this stream completed its handshake. */
  established = false;

  constructor(
    readonly channel: number,
    private readonly link: RelayLink,
    private readonly onDone: () => void,
  ) {
    super();
  }

  /** Bytes that arrived for this channel. */
  deliver(data: Buffer): void {
    if (!this.destroyed) this.push(data);
  }

  override _read(): void {
    // Push-driven: the hub connection delivers when frames arrive.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      for (let offset = 0; offset < chunk.length; offset += RELAY_CHUNK_BYTES) {
        this.link.send(encodeRelayFrame(this.channel, chunk.subarray(offset, offset + RELAY_CHUNK_BYTES)));
      }
      callback();
    } catch (err) {
      callback(err instanceof Error ? err : new PeerError("RELAY_UNAVAILABLE", String(err)));
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.onDone();
    callback(error);
  }
}

/** Routes a hub connection's binary frames to the relay streams open on it. */
export class RelayMux {
  private readonly streams = new Map<number, RelayStream>();
  private readonly early = new Map<number, { at: number; frames: Buffer[] }>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly link: RelayLink,
    private readonly now: () => number = Date.now,
  ) {
    this.unsubscribe = link.onFrame((frame) => this.onFrame(frame));
  }

  /** Opens `channel` (replacing a stale stream on it), handing it any frames that arrived early. */
  open(channel: number): RelayStream {
    this.streams.get(channel)?.destroy();
    const stream = new RelayStream(channel, this.link, () => {
      if (this.streams.get(channel) === stream) this.streams.delete(channel);
    });
    this.streams.set(channel, stream);
    const early = this.early.get(channel);
    this.early.delete(channel);
    if (early && this.now() - early.at <= EARLY_FRAMES_TTL_MS)
      for (const data of early.frames) stream.deliver(data);
    return stream;
  }

  /**
   * Tells the other side we started over on `channel` (our hub connection was replaced): an empty
   * frame, which no TLS byte stream produces. An other side still holding an established session on
   * the channel ends it and re-dials at once, instead of waiting for its keep-alive to give up.
   */
  signalRestart(channel: number): void {
    try {
      this.link.send(encodeRelayFrame(channel, new Uint8Array(0)));
    } catch {
      // No connection: then there is nothing to restart on either.
    }
  }

  close(): void {
    this.unsubscribe();
    for (const stream of this.streams.values()) stream.destroy();
    this.streams.clear();
    this.early.clear();
  }

  private onFrame(frame: Uint8Array): void {
    const decoded = decodeRelayFrame(frame);
    if (!decoded) return;
    const stream = this.streams.get(decoded.channel);
    if (decoded.data.length === 0) {
      // The other side started over (signalRestart): a session we still hold there is stale.
      if (stream?.established) stream.destroy();
      return;
    }
    if (stream && stream.established && startsClientHello(decoded.data)) {
      // The requester started a new handshake on this channel (e.g. after its hub connection was
      // replaced, which it noticed and we did not): the session over the old stream is stale and
      // would swallow the hello. End it — its owner re-establishes and opens the channel again —
      // and keep the hello for that new stream.
      stream.destroy();
    } else if (stream) {
      stream.deliver(decoded.data);
      return;
    }
    // The other side opened the channel first; keep its opening bytes (a TLS ClientHello) briefly.
    const now = this.now();
    for (const [channel, entry] of this.early)
      if (now - entry.at > EARLY_FRAMES_TTL_MS) this.early.delete(channel);
    let entry = this.early.get(decoded.channel);
    if (!entry) this.early.set(decoded.channel, (entry = { at: now, frames: [] }));
    if (entry.frames.length < EARLY_FRAMES_MAX) entry.frames.push(Buffer.from(decoded.data));
  }
}

/** The minimal surface of a `ws` WebSocket this needs (kept structural so `peer` does not import `ws`). */
export interface BinarySocket {
  send(data: Uint8Array): void;
  on(event: "message", listener: (data: unknown, isBinary: boolean) => void): unknown;
  off(event: "message", listener: (data: unknown, isBinary: boolean) => void): unknown;
}

/** A RelayLink over a `ws` WebSocket's binary frames (text frames are the JSON protocol's). */
export function wsRelayLink(socket: BinarySocket): RelayLink {
  return {
    send: (frame) => socket.send(frame),
    onFrame(handler) {
      const listener = (data: unknown, isBinary: boolean): void => {
        if (!isBinary) return;
        if (Buffer.isBuffer(data)) handler(data);
        else if (Array.isArray(data)) handler(Buffer.concat(data as Buffer[]));
        else if (data instanceof ArrayBuffer) handler(new Uint8Array(data));
      };
      socket.on("message", listener);
      return () => socket.off("message", listener);
    },
  };
}
