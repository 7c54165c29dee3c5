/** One WebSocket client connection: its state, its limits and how frames leave it. */
import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import type { AnyEvent } from "../../protocol/events.js";
import { BAD_FRAMES_PER_MINUTE, CloseCode } from "../../protocol/limits.js";
import type { PresenceReason } from "../../protocol/model.js";
import type { EndSessionsMessage } from "../bus/bus.js";
import type { Actor } from "../domain/context.js";
import type { LocalLimiter } from "../bus/limiter.js";
import type { DeliverySink, Outgoing } from "./delivery.js";
import { DEFAULT_MAX_BUFFERED_BYTES, enqueue, flushNow, textFrame, type FrameSink } from "./wire.js";

export type ConnectionState = "new" | "ready" | "authed";

/** An event's WebSocket frame, built once per Outgoing whatever the number of receivers. */
const frameOf = (out: Outgoing): Buffer => textFrame(out.json());

export class Connection implements FrameSink, DeliverySink {
  queue: Buffer[] = [];
  maxBufferedBytes = DEFAULT_MAX_BUFFERED_BYTES;
  onTooSlow: () => void = () => {};
  readonly socket: Socket | undefined;
  state: ConnectionState = "new";
  actor: Actor | undefined;
  missedPongs = 0;
  /** Set when the hub ends the connection (and why); unset when the client does. */
  closing: "timeout" | "logout" | "disconnect" | undefined;
  /** Work that must follow the current request's reply on the wire (a session's catch-up). */
  afterReply: (() => Promise<void>) | undefined;
  /** The Host header the client connected with: file URLs handed to it point at the same place. */
  host: string | undefined;
  /** msg.send requests run one at a time per connection, so a client's messages keep their order. */
  sendChain: Promise<unknown> = Promise.resolve();
  private readonly badFrames: number[] = [];
  /** When the connection opened (ms since epoch), for `admin.connections`. */
  readonly openedAt = Date.now();

  constructor(
    readonly id: string,
    readonly ws: WebSocket,
    readonly address: string,
    private readonly requests: LocalLimiter,
  ) {
    // ws keeps its transport private; frames are written to it directly (see wire.ts).
    this.socket = (ws as unknown as { _socket?: Socket })._socket;
    this.socket?.setNoDelay(true);
  }

  /** 0 when the request may go ahead, else ms until it may. */
  throttle(): number {
    return this.requests.takeSync(this.id);
  }

  /** Counts a bad frame; true when the connection has sent too many in the last minute. */
  countBadFrame(now: number): boolean {
    this.badFrames.push(now);
    while (this.badFrames.length > 0 && (this.badFrames[0] as number) <= now - 60_000) this.badFrames.shift();
    return this.badFrames.length > BAD_FRAMES_PER_MINUTE;
  }

  get tokenHash(): string | undefined {
    return this.actor?.tokenHash;
  }

  /** An event from Delivery (which orders and holds them). */
  write(out: Outgoing): void {
    this.sendFrame(out.encode(frameOf));
  }

  endSession(reason: EndSessionsMessage["reason"], message?: string): void {
    const ended: AnyEvent = { ev: "session.ended", reason, ...(message !== undefined && { message }) };
    this.sendJson(ended);
    this.closing = "logout";
    this.close(CloseCode.normal, "session ended");
  }

  /** A serialised reply. */
  sendText(text: string): void {
    this.sendFrame(textFrame(text));
  }

  /** A reply, or an event outside Delivery's order. */
  sendJson(value: object): void {
    this.sendFrame(textFrame(JSON.stringify(value)));
  }

  sendFrame(frame: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    enqueue(this, frame);
  }

  /** Closes after everything queued so far has been written. */
  close(code: number, reason: string): void {
    this.closing ??= "disconnect";
    flushNow(this);
    this.ws.close(code, reason);
  }
}

/**
 * What others are told when this connection was a user's last: the hub's own reason when it closed
 * the connection; `quit` when the client closed it on purpose (1000 normal, 1001 going away — an app
 * quitting, a browser tab closing); else `disconnect` (no close frame: the link broke).
 */
export function presenceReason(conn: Connection, code: number): PresenceReason {
  if (conn.closing === "timeout") return "timeout";
  if (conn.closing !== undefined) return "disconnect";
  return code === CloseCode.normal || code === CloseCode.goingAway ? "quit" : "disconnect";
}
