/**
 * One connection to a hub over a platform socket (see transport.ts): `hello`, request/reply
 * correlation with per-request timeouts, validated events, and dead-link detection where the platform
 * can ping. It does not reconnect; ParleyClient strings connections together.
 */
import type { AnyEvent, OpName, OpParams, OpResult, WireError } from "../../protocol/index.js";
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from "../../protocol/limits.js";
import type { FrameCheck } from "./frame-check.js";
import type { HubAddress } from "./address.js";
import { FrameTooLargeError, HubError, NotConnectedError, RequestTimeoutError } from "./errors.js";
import { unref, type Timer } from "./timers.js";
import type { HubSocket, Transport } from "./transport.js";

export interface ConnectionOptions {
  address: HubAddress;
  transport: Transport;
  /** How replies and events are checked (schemas in Node, outline only in the browser). */
  check: FrameCheck;
  clientName: string;
  requestTimeoutMs: number;
  /** Nothing heard for this long → ping; for twice this long → the link is dead. */
  keepAliveMs: number;
  /** Budget for TCP + TLS + upgrade + hello. */
  connectTimeoutMs: number;
}

export interface CloseInfo {
  code: number;
  reason: string;
  /** Set when we closed it because the link went silent. */
  deadLink: boolean;
}

export interface ConnectionHandlers {
  onEvent(event: AnyEvent): void;
  onClose(info: CloseInfo): void;
  /** A frame we could not use (bad JSON, unknown event, reply to nothing); the connection goes on. */
  onProtocolWarning(message: string): void;
}

interface Pending {
  op: OpName;
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: Timer;
}

export type HelloResult = OpResult<"hello">;

const encoder = new TextEncoder();

/** UTF-8 length, without encoding when the answer is plain from the character count. */
function byteLength(text: string, limit: number): number {
  if (text.length * 3 <= limit) return text.length;
  return encoder.encode(text).length;
}

export class Connection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Binary frames (the peer relay's); see `onBinary`. */
  private readonly binaryListeners = new Set<(frame: Uint8Array) => void>();
  private lastHeard = Date.now();
  private keepAliveTimer: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  private deadLink = false;
  private socket!: HubSocket;
  private resolveClosed!: (info: CloseInfo) => void;
  /** Settles when the socket is closed, however that happened. */
  readonly closedPromise: Promise<CloseInfo> = new Promise((resolve) => (this.resolveClosed = resolve));
  hello!: HelloResult;
  fingerprint: string | undefined;

  private constructor(
    readonly address: HubAddress,
    private readonly options: ConnectionOptions,
    private readonly handlers: ConnectionHandlers,
  ) {}

  /**
   * Opens a socket through the transport (which checks the certificate pin before anything is
   * written, where it pins) and says hello. Rejects with HubUnreachableError,
   * HubFingerprintChangedError, HubFingerprintMismatchError or HubError (e.g. UNSUPPORTED_PROTOCOL).
   */
  static async open(options: ConnectionOptions, handlers: ConnectionHandlers): Promise<Connection> {
    const deadline = Date.now() + options.connectTimeoutMs;
    const connection = new Connection(options.address, options, handlers);
    const opened = await options.transport.open(options.address, options.connectTimeoutMs, {
      onText: (text) => connection.onText(text),
      onBinary: (frame) => connection.onBinaryFrame(frame),
      onHeard: () => connection.heard(),
      onClose: (code, reason) => connection.onClosed(code, reason),
    });
    connection.attach(opened.socket, opened.fingerprint);
    try {
      connection.hello = await connection.request(
        "hello",
        { client: options.clientName, protocol: PROTOCOL_VERSION },
        Math.max(1, deadline - Date.now()),
      );
    } catch (error) {
      connection.terminate();
      throw error;
    }
    return connection;
  }

  private attach(socket: HubSocket, fingerprint: string | undefined): void {
    this.socket = socket;
    this.fingerprint = fingerprint;
    this.lastHeard = Date.now();
    if (socket.ping && !this.closed) {
      this.keepAliveTimer = setInterval(
        () => this.checkAlive(),
        Math.max(50, Math.floor(this.options.keepAliveMs / 2)),
      );
      unref(this.keepAliveTimer);
    }
  }

  get isOpen(): boolean {
    return !this.closed && this.socket.isOpen;
  }

  /** Sends a request and resolves with its validated result. */
  request<O extends OpName>(
    op: O,
    params: OpParams<O>,
    timeoutMs = this.options.requestTimeoutMs,
  ): Promise<OpResult<O>> {
    if (!this.isOpen) return Promise.reject(new NotConnectedError());
    const id = this.nextId++;
    const frame = JSON.stringify({ ...params, id, op });
    const limit = this.hello?.limits.maxFrameBytes ?? MAX_FRAME_BYTES;
    if (byteLength(frame, limit) > limit) return Promise.reject(new FrameTooLargeError(op, limit));
    return new Promise<OpResult<O>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestTimeoutError(op, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { op, resolve: resolve as (r: unknown) => void, reject, timer });
      this.socket.sendText(frame, (error) => {
        if (this.pending.delete(id)) {
          clearTimeout(timer);
          reject(new NotConnectedError(`could not send ${op}: ${error.message}`));
        }
      });
    });
  }

  /**
   * Sends a binary frame (a peer relay frame: 4-byte channel number, then opaque bytes). Dropped when
   * the link is down: the peers' TLS session notices and re-establishes over the next connection.
   */
  sendBinary(frame: Uint8Array): void {
    if (!this.isOpen) return;
    this.socket.sendBinary(frame);
  }

  /** Subscribes to binary frames from the hub (peer relay frames); returns the unsubscribe function. */
  onBinary(listener: (frame: Uint8Array) => void): () => void {
    this.binaryListeners.add(listener);
    return () => this.binaryListeners.delete(listener);
  }

  /** Closes politely (close frame); pending requests reject with NotConnectedError. */
  close(code = 1000, reason = ""): void {
    if (this.closed) return;
    this.socket.close(code, reason);
  }

  /** Drops the link at once (no close handshake). */
  terminate(): void {
    this.socket.terminate();
  }

  private heard(): void {
    this.lastHeard = Date.now();
  }

  private checkAlive(): void {
    const silent = Date.now() - this.lastHeard;
    if (silent >= 2 * this.options.keepAliveMs) {
      this.deadLink = true;
      this.socket.terminate();
    } else if (silent >= this.options.keepAliveMs && this.socket.isOpen) {
      this.socket.ping?.();
    }
  }

  private onBinaryFrame(frame: Uint8Array): void {
    this.heard();
    // Binary frames belong to the peer relay (src/peer/relay.ts), which listens through onBinary.
    for (const listener of [...this.binaryListeners]) listener(frame);
  }

  private onText(text: string): void {
    this.heard();
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      this.handlers.onProtocolWarning("the hub sent a frame that is not JSON");
      return;
    }
    if (typeof frame !== "object" || frame === null) {
      this.handlers.onProtocolWarning("the hub sent a frame that is not an object");
      return;
    }
    const record = frame as Record<string, unknown>;
    if ("re" in record) this.onReply(record);
    else if (typeof record.ev === "string") this.onEventFrame(record);
    else this.handlers.onProtocolWarning("the hub sent a frame that is neither a reply nor an event");
  }
  private onReply(record: Record<string, unknown>): void {
    const { re, ok, ...rest } = record;
    const pending = typeof re === "number" ? this.pending.get(re) : undefined;
    if (!pending) {
      if (ok === false && re === null) {
        const error = rest.error as WireError | undefined;
        this.handlers.onProtocolWarning(`the hub refused a frame: ${error?.message ?? "no reason"}`);
      }
      return; // A reply after its timeout: nobody waits any more.
    }
    this.pending.delete(re as number);
    clearTimeout(pending.timer);
    if (ok === true) {
      const checked = this.options.check.reply(pending.op, rest);
      if (checked.ok) pending.resolve(checked.value);
      else pending.reject(new Error(`the hub sent an invalid ${pending.op} reply: ${checked.error}`));
      return;
    }
    const error = rest.error as Partial<WireError> | undefined;
    if (error && typeof error.code === "string" && typeof error.message === "string") {
      pending.reject(new HubError(error as WireError));
    } else {
      pending.reject(new Error(`the hub sent an error reply without code for ${pending.op}`));
    }
  }

  private onEventFrame(record: Record<string, unknown>): void {
    const { ev, ...data } = record;
    const name = ev as string;
    // Newer hubs may add events: an unknown one is ignored, which keeps old clients working.
    const checked = this.options.check.event(name, data);
    if (checked === undefined) return;
    if (!checked.ok) {
      this.handlers.onProtocolWarning(`the hub sent an invalid ${name} event: ${checked.error}`);
      return;
    }
    this.handlers.onEvent(checked.value);
  }

  private onClosed(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAliveTimer);
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new NotConnectedError(`the connection closed before ${pending.op} was answered`));
      this.pending.delete(id);
    }
    const info = { code, reason, deadLink: this.deadLink };
    this.resolveClosed(info);
    this.handlers.onClose(info);
  }
}
