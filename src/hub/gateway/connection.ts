/** One client connection: its state, its limits and how frames leave it. */
import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import { BAD_FRAMES_PER_MINUTE } from "../../protocol/limits.js";
import type { Actor } from "../domain/context.js";
import type { LocalLimiter } from "../bus/limiter.js";
import { DEFAULT_MAX_BUFFERED_BYTES, enqueue, flushNow, textFrame, type FrameSink } from "./wire.js";

export type ConnectionState = "new" | "ready" | "authed";

export class Connection implements FrameSink {
  queue: Buffer[] = [];
  maxBufferedBytes = DEFAULT_MAX_BUFFERED_BYTES;
  onTooSlow: () => void = () => {};
  readonly socket: Socket | undefined;
  state: ConnectionState = "new";
  actor: Actor | undefined;
  missedPongs = 0;
  closing: "timeout" | "logout" | "disconnect" | undefined;
  /** While a resume replays missed messages, live events wait here so they come after the replay. */
  held: string[] | undefined;
  /** msg.send requests run one at a time per connection, so a client's messages keep their order. */
  sendChain: Promise<unknown> = Promise.resolve();
  private readonly badFrames: number[] = [];

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

  /** An event: held back during a resume replay, else queued. */
  sendText(text: string, frame?: Buffer): void {
    if (this.held) {
      this.held.push(text);
      return;
    }
    this.sendFrame(frame ?? textFrame(text));
  }

  /** A reply (or replayed message): never held. */
  sendJson(value: object): void {
    this.sendFrame(textFrame(JSON.stringify(value)));
  }

  sendFrame(frame: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    enqueue(this, frame);
  }

  /** Closes after everything queued so far has been written. */
  close(code: number, reason: string): void {
    flushNow(this);
    this.ws.close(code, reason);
  }
}
