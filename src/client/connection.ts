/**
 * One WebSocket connection to a hub: pinned TLS, subprotocol parley.v1, `hello`, request/reply
 * correlation with per-request timeouts, validated events, and dead-link detection. It does not
 * reconnect; ParleyClient strings connections together.
 */
import type { createConnection, Socket } from "node:net";
import WebSocket from "ws";
import {
  events as eventSchemas,
  MAX_FRAME_BYTES,
  ops,
  PROTOCOL_VERSION,
  SUBPROTOCOL,
  type AnyEvent,
  type EventName,
  type OpName,
  type OpParams,
  type OpResult,
  type WireError,
} from "../protocol/index.js";
import {
  FrameTooLargeError,
  HubError,
  HubUnreachableError,
  NotConnectedError,
  RequestTimeoutError,
} from "./errors.js";
import { checkPin, connectTls, type HubAddress, type KnownHubs } from "./known-hubs.js";

/** The largest frame accepted from a hub. */
const INCOMING_FRAME_MAX = 16 * 1024 * 1024;

export interface ConnectionOptions {
  address: HubAddress;
  /** Where pins live; required for wss://. */
  knownHubs?: KnownHubs;
  /** A fingerprint the caller insists on. */
  fingerprint?: string;
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
  timer: NodeJS.Timeout;
}

export type HelloResult = OpResult<"hello">;

export class Connection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Binary frames (the peer relay's); see `onBinary`. */
  private readonly binaryListeners = new Set<(frame: Uint8Array) => void>();
  private lastHeard = Date.now();
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private deadLink = false;
  private handlers: ConnectionHandlers;
  private resolveClosed!: (info: CloseInfo) => void;
  /** Settles when the socket is closed, however that happened. */
  readonly closedPromise: Promise<CloseInfo> = new Promise((resolve) => (this.resolveClosed = resolve));
  hello!: HelloResult;

  private constructor(
    private readonly ws: WebSocket,
    readonly address: HubAddress,
    readonly fingerprint: string | undefined,
    private readonly options: ConnectionOptions,
    handlers: ConnectionHandlers,
  ) {
    this.handlers = handlers;
    ws.on("message", (data, isBinary) => this.onFrame(data, isBinary));
    ws.on("ping", () => this.heard());
    ws.on("pong", () => this.heard());
    ws.on("close", (code, reason) => this.onClosed(code, reason.toString()));
    // After open, errors are followed by "close"; the listener keeps them from being thrown.
    ws.on("error", () => {});
    this.keepAliveTimer = setInterval(
      () => this.checkAlive(),
      Math.max(50, Math.floor(options.keepAliveMs / 2)),
    );
    this.keepAliveTimer.unref();
  }

  /**
   * Connects, checks the certificate pin before anything is written, upgrades with the parley.v1
   * subprotocol and says hello. Rejects with HubUnreachableError, HubFingerprintChangedError,
   * HubFingerprintMismatchError or HubError (e.g. UNSUPPORTED_PROTOCOL).
   */
  static async open(options: ConnectionOptions, handlers: ConnectionHandlers): Promise<Connection> {
    const { address } = options;
    const deadline = Date.now() + options.connectTimeoutMs;
    let tlsSocket: Socket | undefined;
    let fingerprint: string | undefined;
    if (address.secure) {
      if (!options.knownHubs) throw new TypeError("a wss:// connection needs the known-hubs store");
      const tls = await connectTls(address, options.connectTimeoutMs);
      try {
        checkPin(options.knownHubs, address, tls.fingerprint, options.fingerprint);
      } catch (error) {
        tls.socket.destroy();
        throw error;
      }
      tlsSocket = tls.socket;
      fingerprint = tls.fingerprint;
    }
    const ws = await upgrade(options, tlsSocket, Math.max(1, deadline - Date.now()));
    const connection = new Connection(ws, address, fingerprint, options, handlers);
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

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
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
    if (Buffer.byteLength(frame) > limit) return Promise.reject(new FrameTooLargeError(op, limit));
    return new Promise<OpResult<O>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestTimeoutError(op, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { op, resolve: resolve as (r: unknown) => void, reject, timer });
      this.ws.send(frame, (error) => {
        if (error && this.pending.delete(id)) {
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
    this.ws.send(frame, { binary: true }, () => {});
  }

  /** Subscribes to binary frames from the hub (peer relay frames); returns the unsubscribe function. */
  onBinary(listener: (frame: Uint8Array) => void): () => void {
    this.binaryListeners.add(listener);
    return () => this.binaryListeners.delete(listener);
  }

  /** Closes politely (close frame); pending requests reject with NotConnectedError. */
  close(code = 1000, reason = ""): void {
    if (this.closed) return;
    this.ws.close(code, reason);
    // A hub that never answers the close frame must not keep us waiting.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  /** Drops the link at once (no close handshake). */
  terminate(): void {
    this.ws.terminate();
  }

  private heard(): void {
    this.lastHeard = Date.now();
  }

  private checkAlive(): void {
    const silent = Date.now() - this.lastHeard;
    if (silent >= 2 * this.options.keepAliveMs) {
      this.deadLink = true;
      this.ws.terminate();
    } else if (silent >= this.options.keepAliveMs && this.ws.readyState === WebSocket.OPEN) {
      this.ws.ping();
    }
  }

  private onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    this.heard();
    if (isBinary) {
      // Binary frames belong to the peer relay (src/peer/relay.ts), which listens through onBinary.
      const frame = Array.isArray(data)
        ? Buffer.concat(data)
        : data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : data;
      for (const listener of [...this.binaryListeners]) listener(frame);
      return;
    }
    let frame: unknown;
    try {
      frame = JSON.parse(data.toString());
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
      const parsed = ops[pending.op].result.safeParse(rest);
      if (parsed.success) pending.resolve(parsed.data);
      else pending.reject(new Error(`the hub sent an invalid ${pending.op} reply: ${parsed.error.message}`));
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
    if (!Object.prototype.hasOwnProperty.call(eventSchemas, name)) {
      // Newer hubs may add events; ignoring them keeps old clients working.
      return;
    }
    const parsed = eventSchemas[name as EventName].safeParse(data);
    if (!parsed.success) {
      this.handlers.onProtocolWarning(`the hub sent an invalid ${name} event: ${parsed.error.message}`);
      return;
    }
    this.handlers.onEvent({ ev: name, ...parsed.data } as AnyEvent);
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

/** The HTTP upgrade on an already-verified TLS socket (or a plain one for ws://). */
function upgrade(
  options: ConnectionOptions,
  tlsSocket: Socket | undefined,
  timeoutMs: number,
): Promise<WebSocket> {
  const { address } = options;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(address.url, SUBPROTOCOL, {
      handshakeTimeout: timeoutMs,
      // Replies carry history pages (200 messages of up to 4000 characters), far above the request cap.
      maxPayload: INCOMING_FRAME_MAX,
      perMessageDeflate: false,
      // Hand ws the socket whose certificate was checked, so the upgrade request goes nowhere else.
      ...(tlsSocket ? { createConnection: (() => tlsSocket) as unknown as typeof createConnection } : {}),
    });
    const fail = (error: Error): void => {
      ws.removeAllListeners();
      ws.on("error", () => {});
      ws.terminate();
      tlsSocket?.destroy();
      reject(new HubUnreachableError(address.url, error));
    };
    ws.once("error", fail);
    ws.once("unexpected-response", (_req, res) =>
      fail(new Error(`the hub answered HTTP ${res.statusCode} to the upgrade`)),
    );
    ws.once("open", () => {
      ws.off("error", fail);
      if (ws.protocol !== SUBPROTOCOL) {
        fail(new Error(`the hub did not accept subprotocol ${SUBPROTOCOL}`));
        return;
      }
      resolve(ws);
    });
  });
}
