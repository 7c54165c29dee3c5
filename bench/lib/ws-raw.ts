/**
 * A minimal WebSocket client (RFC 6455) for the load generator: it parses server frames straight from the
 * socket's bytes and hands each text payload over as a Buffer slice, with one clock read per socket read.
 * A general client (`ws`) would decode every frame to a string and emit an event per message, which costs
 * more than some servers spend producing the frame — the generator, not the server, would be measured.
 *
 * Client frames use an all-zero mask key: RFC 6455 requires a mask (servers reject unmasked frames) and
 * asks for an unpredictable key to protect intermediaries from cache poisoning by browser scripts; neither
 * applies to a load generator on loopback, and a zero key makes masking free.
 */
import { createHash, randomBytes } from "node:crypto";
import net from "node:net";
import tls from "node:tls";
import type { MicroClock } from "./clock.js";

export interface WsTarget {
  host: string;
  port: number;
  path: string;
  tls: boolean;
  /** Expected SHA-256 certificate fingerprint ("AA:BB:…"); required when `tls` is set. */
  fingerprint?: string;
  subprotocol?: string;
}

export class WsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WsError";
  }
}

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const OP_CONT = 0x0;
const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;

/** Encodes one masked (zero key) client frame into `out` at `at`; returns the new offset. */
function writeFrameHeader(out: Buffer, at: number, opcode: number, len: number): number {
  out[at++] = 0x80 | opcode;
  if (len < 126) {
    out[at++] = 0x80 | len;
  } else if (len < 65536) {
    out[at++] = 0x80 | 126;
    out.writeUInt16BE(len, at);
    at += 2;
  } else {
    out[at++] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(len / 2 ** 32), at);
    out.writeUInt32BE(len >>> 0, at + 4);
    at += 8;
  }
  out.writeUInt32BE(0, at); // mask key 0: payload bytes stay as they are
  return at + 4;
}

function headerLength(len: number): number {
  return (len < 126 ? 2 : len < 65536 ? 4 : 10) + 4;
}

/** Builds frames for several texts at once, so a burst is a single socket write. */
export function encodeTextFrames(texts: readonly string[]): Buffer {
  let total = 0;
  const lens = texts.map((t) => {
    const n = Buffer.byteLength(t);
    total += headerLength(n) + n;
    return n;
  });
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < texts.length; i++) {
    at = writeFrameHeader(out, at, OP_TEXT, lens[i]!);
    at += out.write(texts[i]!, at);
  }
  return out;
}

function controlFrame(opcode: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(headerLength(payload.length) + payload.length);
  const at = writeFrameHeader(out, 0, opcode, payload.length);
  payload.copy(out, at);
  return out;
}

export class RawWs {
  /** Called for every complete text frame, with the clock read once for the socket read it came in. */
  onText: (payload: Buffer, nowUs: number) => void = () => {};
  onClose: (reason: string) => void = () => {};
  closed = false;
  private finished = false;
  private pending: Buffer | null = null;
  private fragments: Buffer[] | null = null;

  private constructor(
    readonly socket: net.Socket,
    private readonly clock: MicroClock,
  ) {}

  static connect(target: WsTarget, clock: MicroClock, timeoutMs = 10_000): Promise<RawWs> {
    return new Promise((resolve, reject) => {
      const key = randomBytes(16).toString("base64");
      const socket: net.Socket = target.tls
        ? tls.connect({ host: target.host, port: target.port, rejectUnauthorized: false })
        : net.connect({ host: target.host, port: target.port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => fail(new WsError(`connect timeout after ${timeoutMs} ms`)), timeoutMs);
      let head = Buffer.alloc(0);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const sendUpgrade = (): void => {
        if (target.tls) {
          // Pin the hub's certificate like the real client does, instead of trusting any certificate.
          const got = (socket as tls.TLSSocket).getPeerCertificate().fingerprint256;
          if (!target.fingerprint || got !== target.fingerprint) {
            fail(new WsError(`certificate fingerprint ${got} is not the expected ${target.fingerprint}`));
            return;
          }
        }
        const lines = [
          `GET ${target.path} HTTP/1.1`,
          `Host: ${target.host}:${target.port}`,
          "Upgrade: websocket",
          "Connection: Upgrade",
          `Sec-WebSocket-Key: ${key}`,
          "Sec-WebSocket-Version: 13",
        ];
        if (target.subprotocol) lines.push(`Sec-WebSocket-Protocol: ${target.subprotocol}`);
        socket.write(lines.join("\r\n") + "\r\n\r\n");
      };
      socket.once(target.tls ? "secureConnect" : "connect", sendUpgrade);
      socket.on("error", fail);
      const onHead = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) {
          if (head.length > 16384) fail(new WsError("upgrade response too long"));
          return;
        }
        socket.off("data", onHead);
        socket.off("error", fail);
        clearTimeout(timer);
        const text = head.subarray(0, end).toString("latin1");
        const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
        const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(text)?.[1];
        const expected = createHash("sha1")
          .update(key + GUID)
          .digest("base64");
        if (status !== "101" || accept !== expected) {
          socket.destroy();
          reject(new WsError(`upgrade refused: ${text.split("\r\n")[0] ?? "no status line"}`));
          return;
        }
        const ws = new RawWs(socket, clock);
        socket.on("data", (data: Buffer) => ws.feed(data));
        socket.on("error", () => ws.finish("socket error"));
        socket.on("close", () => ws.finish("closed"));
        resolve(ws);
        const rest = head.subarray(end + 4);
        if (rest.length > 0) ws.feed(rest);
      };
      socket.on("data", onHead);
    });
  }

  sendText(text: string): void {
    if (!this.closed) this.socket.write(encodeTextFrames([text]));
  }

  /** Several frames in one socket write. */
  sendTexts(texts: readonly string[]): void {
    if (!this.closed && texts.length > 0) this.socket.write(encodeTextFrames(texts));
  }

  /** A clean close handshake (close frame, then end). */
  close(): void {
    if (this.closed) return;
    this.socket.write(controlFrame(OP_CLOSE, Buffer.from([0x03, 0xe8])));
    this.socket.end();
    this.closed = true;
  }

  /** Drops the TCP connection without a close frame, as a network failure would. */
  destroy(): void {
    this.socket.destroy();
    this.finish("destroyed");
  }

  /** Reports the end of the connection exactly once, whatever ended it first. */
  private finish(reason: string): void {
    if (this.finished) return;
    this.finished = true;
    this.closed = true;
    this.onClose(reason);
  }

  private feed(chunk: Buffer): void {
    const now = this.clock();
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let off = 0;
    const end = buf.length;
    for (;;) {
      if (end - off < 2) break;
      const b0 = buf[off]!;
      const b1 = buf[off + 1]!;
      let len = b1 & 0x7f;
      let p = off + 2;
      if (len === 126) {
        if (end - off < 4) break;
        len = buf.readUInt16BE(off + 2);
        p = off + 4;
      } else if (len === 127) {
        if (end - off < 10) break;
        len = buf.readUInt32BE(off + 2) * 2 ** 32 + buf.readUInt32BE(off + 6);
        p = off + 10;
      }
      if (b1 & 0x80) {
        this.protocolError("server sent a masked frame");
        return;
      }
      if (end - p < len) break;
      const payload = buf.subarray(p, p + len);
      off = p + len;
      const opcode = b0 & 0x0f;
      const fin = (b0 & 0x80) !== 0;
      if (opcode === OP_TEXT) {
        if (fin) this.onText(payload, now);
        else this.fragments = [Buffer.from(payload)];
      } else if (opcode === OP_CONT) {
        if (!this.fragments) {
          this.protocolError("continuation without a start");
          return;
        }
        this.fragments.push(Buffer.from(payload));
        if (fin) {
          const whole = Buffer.concat(this.fragments);
          this.fragments = null;
          this.onText(whole, now);
        }
      } else if (opcode === OP_PING) {
        if (!this.closed) this.socket.write(controlFrame(0xa, payload));
      } else if (opcode === OP_CLOSE) {
        if (!this.closed) {
          this.socket.write(controlFrame(OP_CLOSE, payload.subarray(0, 2)));
          this.socket.end();
        }
        this.closed = true;
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        this.finish(`close ${code} ${payload.subarray(2).toString()}`);
      }
      // binary (relay) and pong frames are not used by the benchmarks
    }
    // Copy the tail so a small leftover does not pin a large socket chunk in memory.
    this.pending = off < end ? Buffer.from(buf.subarray(off)) : null;
  }

  private protocolError(what: string): void {
    this.socket.destroy();
    this.finish(`protocol error: ${what}`);
  }
}
