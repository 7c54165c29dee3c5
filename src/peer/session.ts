/**
 * One direct chat with one peer. It outlives its transports: when a TLS session (direct or relayed)
 * drops, unacknowledged messages stay in the outbox and are re-sent, in order, on the next transport;
 * the receiver acknowledges every copy but delivers each id once. So a reconnect — or a switch from
 * direct to relay — loses and duplicates nothing.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { MAX_BODY_CHARS } from "../protocol/limits.js";
import { asError, PeerError } from "./errors.js";
import type { FileFrame } from "./file-frames.js";
import { encodeFrame, type PeerFrame } from "./frames.js";
import type { E2eCopy } from "../protocol/e2e.js";
import type { SecureChannel } from "./handshake.js";

export type PeerPath = "direct" | "relay";
/** Which side asked for the chat: the requester dials (TLS client), the acceptor listens (TLS server). */
export type PeerRole = "requester" | "acceptor";

export interface OutgoingMessage {
  id: string;
  body: string;
  ts: number;
}

export interface IncomingMessage extends OutgoingMessage {
  path: PeerPath;
}

/** Proof the peer received a message: its ack came back over the authenticated channel. */
export interface Receipt {
  id: string;
  path: PeerPath;
  sentAt: number;
  ackedAt: number;
}

export interface SessionEvents {
  message: [IncomingMessage];
  receipt: [Receipt];
  /** A transport came up (`direct`/`relay`) or went down (`null`). */
  path: [PeerPath | null];
  /** The current transport failed; the owner decides whether to reconnect. */
  down: [Error];
  /** The chat is over; `remote` when the peer said bye. Unacked messages remain in `unacked()`. */
  closed: ["local" | "remote" | Error];
  /** A frame of a file transfer (file-transfer.ts handles them). */
  file: [FileFrame];
  /** A sealed room message given directly (e2e rooms). */
  room: [{ room: string; copy: E2eCopy }];
}

export interface SessionOptions {
  /** How often to ping an idle transport. */
  keepAliveMs?: number;
  /** A transport silent for this long is declared dead. */
  keepAliveTimeoutMs?: number;
  /** Unacked messages held at most; `send` beyond it fails with OUTBOX_FULL. */
  maxOutbox?: number;
  now?: () => number;
}

export const KEEPALIVE_MS = 5_000;
export const KEEPALIVE_TIMEOUT_MS = 15_000;
const MAX_OUTBOX = 1_000;
/** Ids remembered for de-duplication; re-sends only ever cover the outbox, which is smaller. */
const SEEN_IDS = 4_096;

interface Pending {
  message: OutgoingMessage;
  sentAt: number;
  resolve: (receipt: Receipt) => void;
  reject: (err: Error) => void;
}

interface Transport {
  channel: SecureChannel;
  path: PeerPath;
  lastHeard: number;
  pingCount: number;
  timer: NodeJS.Timeout;
  detachListeners: () => void;
}

export class PeerSession extends EventEmitter<SessionEvents> {
  private readonly outbox = new Map<string, Pending>();
  private readonly seen = new Set<string>();
  private readonly seenOrder: string[] = [];
  private transport: Transport | undefined;
  private closedWith: "local" | "remote" | Error | undefined;
  private readonly keepAliveMs: number;
  private readonly keepAliveTimeoutMs: number;
  private readonly maxOutbox: number;
  private readonly now: () => number;

  constructor(
    /** The peer's username, as the hub named it. */
    readonly peer: string,
    /** The peer's identity key (base64 SPKI DER) that every transport is pinned to. */
    readonly peerKey: string,
    readonly role: PeerRole,
    /** The hub's request id: the relay channel is bound to it. */
    readonly requestId: string,
    options: SessionOptions = {},
  ) {
    super();
    this.keepAliveMs = options.keepAliveMs ?? KEEPALIVE_MS;
    this.keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? KEEPALIVE_TIMEOUT_MS;
    this.maxOutbox = options.maxOutbox ?? MAX_OUTBOX;
    this.now = options.now ?? Date.now;
  }

  get path(): PeerPath | null {
    return this.transport?.path ?? null;
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Messages sent but not yet acknowledged, oldest first (e.g. to send through the hub instead). */
  unacked(): OutgoingMessage[] {
    return [...this.outbox.values()].map((p) => p.message);
  }

  /**
   * Queues `body` and resolves with its receipt once the peer acknowledges it — possibly after a
   * reconnect. Rejects when the session closes first (the message then stays in `unacked()`).
   */
  send(body: string): Promise<Receipt> {
    if (this.closedWith !== undefined) {
      return Promise.reject(new PeerError("SESSION_CLOSED", `the direct chat with ${this.peer} is closed`));
    }
    const trimmed = body.trim();
    if (trimmed.length === 0) return Promise.reject(new PeerError("BAD_PEER_FRAME", "message is empty"));
    if (body.length > MAX_BODY_CHARS) {
      return Promise.reject(
        new PeerError("BAD_PEER_FRAME", `message is longer than ${MAX_BODY_CHARS} characters`),
      );
    }
    if (this.outbox.size >= this.maxOutbox) {
      return Promise.reject(
        new PeerError("OUTBOX_FULL", `${this.outbox.size} messages to ${this.peer} await acknowledgement`),
      );
    }
    const message: OutgoingMessage = { id: randomUUID(), body, ts: this.now() };
    return new Promise<Receipt>((resolve, reject) => {
      this.outbox.set(message.id, { message, sentAt: this.now(), resolve, reject });
      this.write({ t: "msg", ...message });
    });
  }

  /**
   * Gives a sealed room message to the peer on the current transport, at most once and without an ack
   * (the hub's copy is what delivery relies on); false when no transport is up.
   */
  sendRoomCopy(room: string, copy: E2eCopy): boolean {
    const socket = this.transport?.channel.socket;
    if (!socket || socket.destroyed || !socket.writable) return false;
    socket.write(encodeFrame({ t: "room", room, copy }));
    return true;
  }

  /**
   * Writes a file-transfer frame on the current transport; false when there is none (the transfer
   * resumes on the next). File frames are not queued or re-sent here: file-transfer.ts resumes by offset.
   */
  sendFile(frame: FileFrame): boolean {
    const socket = this.transport?.channel.socket;
    if (!socket || socket.destroyed || !socket.writable) return false;
    socket.write(encodeFrame(frame));
    return true;
  }

  /** Resolves when the transport's write buffer has drained (or the transport is gone). */
  drained(): Promise<void> {
    const socket = this.transport?.channel.socket;
    if (!socket || !socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        socket.off("drain", done);
        socket.off("close", done);
        this.off("path", done);
        resolve();
      };
      socket.once("drain", done);
      socket.once("close", done);
      this.once("path", done);
    });
  }

  /** Puts a freshly authenticated channel to use, replacing any current one, and re-sends the outbox. */
  attach(channel: SecureChannel, path: PeerPath): void {
    if (channel.peerKey !== this.peerKey) {
      // Defence in depth: the handshake already checked this against the same key.
      channel.socket.destroy();
      throw new PeerError("KEY_MISMATCH", "channel authenticated a different key than this session's");
    }
    if (this.closedWith !== undefined) {
      channel.socket.destroy();
      return;
    }
    this.dropTransport();
    const { socket } = channel;
    const onData = (chunk: Buffer): void => {
      let frames: PeerFrame[];
      try {
        frames = channel.decoder.push(chunk);
      } catch (err) {
        this.transportFailed(transport, asError(err));
        return;
      }
      for (const frame of frames) this.onFrame(transport, frame);
    };
    const onClose = (): void =>
      this.transportFailed(
        transport,
        new PeerError("SESSION_CLOSED", `the ${path} connection to ${this.peer} closed`),
      );
    const onError = (err: Error): void => this.transportFailed(transport, err);
    const transport: Transport = {
      channel,
      path,
      lastHeard: this.now(),
      pingCount: 0,
      timer: setInterval(() => this.keepAlive(transport), this.keepAliveMs),
      detachListeners: () => {
        socket.off("data", onData);
        socket.off("close", onClose);
        socket.off("error", onError);
      },
    };
    this.transport = transport;
    socket.on("data", onData);
    socket.on("close", onClose);
    socket.on("error", onError);
    this.emit("path", path);
    for (const frame of channel.pending) this.onFrame(transport, frame);
    for (const pending of this.outbox.values()) this.write({ t: "msg", ...pending.message });
    socket.resume();
  }

  /** Ends the chat: tells the peer (if connected), stops keep-alive, rejects pending sends. */
  close(): void {
    if (this.closedWith !== undefined) return;
    if (this.transport) this.transport.channel.socket.end(encodeFrame({ t: "bye" }));
    this.finish("local");
  }

  /** Ends the chat because it cannot continue (e.g. the peer stayed unreachable); no bye is sent. */
  abort(err: Error): void {
    if (this.closedWith !== undefined) return;
    this.finish(err);
  }

  private finish(reason: "local" | "remote" | Error): void {
    this.closedWith = reason;
    this.dropTransport(reason === "local");
    const err = new PeerError(
      "SESSION_CLOSED",
      `the direct chat with ${this.peer} closed before acknowledging`,
    );
    for (const pending of this.outbox.values()) pending.reject(err);
    this.emit("closed", reason);
  }

  private dropTransport(graceful = false): void {
    const transport = this.transport;
    if (!transport) return;
    this.transport = undefined;
    clearInterval(transport.timer);
    transport.detachListeners();
    // Keep swallowing late socket errors: the transport is no longer ours to report on.
    transport.channel.socket.on("error", () => {});
    if (!graceful) transport.channel.socket.destroy();
    this.emit("path", null);
  }

  private transportFailed(transport: Transport, err: Error): void {
    if (this.transport !== transport) return;
    this.dropTransport();
    this.emit("down", err);
  }

  private keepAlive(transport: Transport): void {
    if (this.now() - transport.lastHeard > this.keepAliveTimeoutMs) {
      this.transportFailed(
        transport,
        new PeerError("KEEPALIVE_TIMEOUT", `no word from ${this.peer} for ${this.keepAliveTimeoutMs} ms`),
      );
      return;
    }
    this.write({ t: "ping", n: ++transport.pingCount });
  }

  private onFrame(transport: Transport, frame: PeerFrame): void {
    if (this.transport !== transport) return;
    transport.lastHeard = this.now();
    switch (frame.t) {
      case "msg":
        // Ack every copy (the first ack may have been lost with a transport); deliver each id once.
        this.write({ t: "ack", id: frame.id });
        if (this.remember(frame.id)) {
          this.emit("message", { id: frame.id, body: frame.body, ts: frame.ts, path: transport.path });
        }
        break;
      case "ack": {
        const pending = this.outbox.get(frame.id);
        if (!pending) break;
        this.outbox.delete(frame.id);
        const receipt: Receipt = {
          id: frame.id,
          path: transport.path,
          sentAt: pending.sentAt,
          ackedAt: this.now(),
        };
        pending.resolve(receipt);
        this.emit("receipt", receipt);
        break;
      }
      case "ping":
        this.write({ t: "pong", n: frame.n });
        break;
      case "pong":
        break;
      case "bye":
        this.finish("remote");
        break;
      case "file-offer":
      case "file-accept":
      case "file-chunk":
      case "file-end":
      case "file-result":
      case "file-cancel":
        this.emit("file", frame);
        break;
      case "room":
        this.emit("room", { room: frame.room, copy: frame.copy });
        break;
      case "hello":
      case "refused":
        this.transportFailed(
          transport,
          new PeerError("BAD_PEER_FRAME", `${this.peer} sent '${frame.t}' mid-session`),
        );
        break;
    }
  }

  /** Records an id; false when it was seen already. */
  private remember(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    this.seenOrder.push(id);
    if (this.seenOrder.length > SEEN_IDS) this.seen.delete(this.seenOrder.shift() as string);
    return true;
  }

  private write(frame: PeerFrame): void {
    const socket = this.transport?.channel.socket;
    if (!socket || socket.destroyed || !socket.writable) return;
    socket.write(encodeFrame(frame));
  }
}
