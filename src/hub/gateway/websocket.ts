/**
 * The WebSocket transport: the `/v1` upgrade, connection lifecycle and the transport rules of
 * PROTOCOL.md (frame size, hello and auth deadlines, keep-alive). Text frames go to `Requests`
 * (requests.ts); events come from `Delivery` (delivery.ts), which owns routing, order and replay.
 */
import type { IncomingMessage, Server as HttpServer } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import {
  AUTH_TIMEOUT_MS,
  CloseCode,
  HELLO_TIMEOUT_MS,
  MISSED_PONGS_LIMIT,
  PING_INTERVAL_MS,
  SUBPROTOCOL,
  WS_PATH,
} from "../../protocol/limits.js";
import type { Bus } from "../bus/bus.js";
import { LocalLimiter } from "../bus/limiter.js";
import type { Clock } from "../clock.js";
import type { Domain } from "../domain/hub.js";
import type { UserId } from "../ids.js";
import type { Metrics } from "../metrics/metrics.js";
import { clientAddress } from "./client-address.js";
import { Connection, presenceReason, type ConnectionState } from "./connection.js";
import { Delivery, type DeliveryOptions } from "./delivery.js";
import { coreHandlers, type HandlerTable } from "./handlers.js";
import { Requests } from "./requests.js";

export interface GatewayOptions {
  serverName: string;
  nodeId: string;
  maxFrameBytes: number;
  maxBodyChars: number;
  historyPage: number;
  requestRate: { ratePerSecond: number; burst: number };
  pingIntervalMs?: number;
  helloTimeoutMs?: number;
  authTimeoutMs?: number;
  /** Bytes waiting for a client that does not read before it is dropped (default 8 MiB). */
  maxBufferedBytes?: number;
  /** Extra ops (e.g. the peer-to-peer ones), merged over the core table. */
  extraHandlers?: HandlerTable;
  /** Reverse proxies believed about the client address they forward (client-address.ts). */
  trustedProxies?: ReadonlySet<string>;
  /** Hold times of the delivery order (delivery.ts). */
  delivery?: DeliveryOptions;
  /** Told of requests, deliveries and dropped slow clients (default: nothing measured). */
  metrics?: Metrics;
}

const NO_PROXIES: ReadonlySet<string> = new Set();

/** Receives binary frames (the peer relay); absent → binary frames are bad frames. */
export type BinaryHandler = (conn: Connection, data: Buffer) => void;

export class Gateway {
  readonly delivery: Delivery;
  private readonly requests: Requests;
  private readonly wss: WebSocketServer;
  private readonly connections = new Map<string, Connection>();
  private readonly requestLimiter: LocalLimiter;
  private readonly pingTimer: NodeJS.Timeout;
  private nextConn = 0;
  binaryHandler: BinaryHandler | undefined;

  constructor(
    domain: Domain,
    bus: Bus,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: GatewayOptions,
  ) {
    this.delivery = new Delivery(bus, domain.messages, log, options.delivery);
    this.requests = new Requests(
      domain,
      this.delivery,
      { ...coreHandlers, ...options.extraHandlers },
      clock,
      log,
      {
        serverName: options.serverName,
        limits: {
          maxFrameBytes: options.maxFrameBytes,
          maxBodyChars: options.maxBodyChars,
          historyPage: options.historyPage,
        },
        ...(options.metrics !== undefined && { metrics: options.metrics }),
      },
    );
    // Delivery reports to the metrics through its hooks.
    const metrics = options.metrics;
    if (metrics) {
      this.delivery.hooks.delivered = (count) => metrics.delivered(count);
      this.delivery.hooks.slowConsumer = () => metrics.slowConsumerDropped();
    }
    this.requestLimiter = new LocalLimiter(options.requestRate, clock);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxFrameBytes,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    this.wss.on("connection", (ws: WebSocket, req: IncomingMessage) => this.accept(ws, req));
    this.pingTimer = setInterval(() => this.keepAlive(), options.pingIntervalMs ?? PING_INTERVAL_MS);
    this.pingTimer.unref();
  }

  /** `admit` (admission.ts) may refuse an upgrade first; it then has answered the socket itself. */
  attach(server: HttpServer, admit?: (req: IncomingMessage, socket: Duplex) => boolean): void {
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (admit && !admit(req, socket)) return;
      const path = (req.url ?? "").split("?")[0];
      const offered = req.headers["sec-websocket-protocol"];
      const offersOurs = offered === undefined || offered.split(",").some((p) => p.trim() === SUBPROTOCOL);
      if (path !== WS_PATH || !offersOurs) {
        const status = path !== WS_PATH ? "404 Not Found" : "400 Bad Request";
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit("connection", ws, req));
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Open connections by state, and users with an authenticated one (read when metrics are scraped). */
  stats(): { states: Record<ConnectionState, number>; users: number } {
    const states: Record<ConnectionState, number> = { new: 0, ready: 0, authed: 0 };
    const users = new Set<UserId>();
    for (const conn of this.connections.values()) {
      states[conn.state] += 1;
      if (conn.actor) users.add(conn.actor.userId);
    }
    return { states, users: users.size };
  }

  /** A user's authenticated connections on this node (for `admin.connections`; rare, so a scan). */
  connectionsOf(userId: UserId): Connection[] {
    return [...this.connections.values()].filter((conn) => conn.actor?.userId === userId);
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const address = clientAddress(
      req.socket.remoteAddress,
      req.headers["x-forwarded-for"],
      this.options.trustedProxies ?? NO_PROXIES,
    );
    const conn = new Connection(
      `${this.options.nodeId}:${++this.nextConn}`,
      ws,
      address,
      this.requestLimiter,
    );
    this.connections.set(conn.id, conn);
    conn.host = req.headers.host;
    if (this.options.maxBufferedBytes !== undefined) conn.maxBufferedBytes = this.options.maxBufferedBytes;
    conn.onTooSlow = () => {
      conn.closing = "timeout";
      this.delivery.slowConsumer(conn);
      this.log.info({ conn: conn.id, address }, "dropping connection: client is not reading");
    };
    this.log.info({ conn: conn.id, address }, "connection opened");
    const helloTimer = setTimeout(() => {
      if (conn.state === "new") conn.close(CloseCode.policy, "no hello in time");
    }, this.options.helloTimeoutMs ?? HELLO_TIMEOUT_MS);
    const authTimer = setTimeout(() => {
      if (conn.state !== "authed") conn.close(CloseCode.policy, "no authentication in time");
    }, this.options.authTimeoutMs ?? AUTH_TIMEOUT_MS);
    ws.on("pong", () => (conn.missedPongs = 0));
    ws.on("message", (data: RawData, isBinary: boolean) => {
      conn.missedPongs = 0;
      if (isBinary) this.onBinary(conn, data);
      else void this.requests.handle(conn, data.toString());
    });
    ws.on("error", (error) => this.log.info({ conn: conn.id, err: error.message }, "connection error"));
    ws.on("close", (code) => {
      clearTimeout(helloTimer);
      clearTimeout(authTimer);
      void this.closed(conn, code);
    });
  }

  private async closed(conn: Connection, code: number): Promise<void> {
    this.connections.delete(conn.id);
    const reason = presenceReason(conn, code);
    this.log.info({ conn: conn.id, code, reason }, "connection closed");
    if (conn.actor) await this.requests.detach(conn, reason);
  }

  private onBinary(conn: Connection, data: RawData): void {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (this.binaryHandler && conn.state === "authed") {
      this.binaryHandler(conn, bytes);
      return;
    }
    this.requests.badFrame(conn, null, "binary frames are only for the peer relay");
  }

  /** The connection for a relay frame addressed to it, if it is on this node. */
  connection(id: string): Connection | undefined {
    return this.connections.get(id);
  }

  private keepAlive(): void {
    for (const conn of this.connections.values()) {
      if (conn.missedPongs >= MISSED_PONGS_LIMIT) {
        conn.closing = "timeout";
        this.log.info({ conn: conn.id }, "closing connection: keep-alive timeout");
        conn.ws.terminate();
        continue;
      }
      conn.missedPongs++;
      conn.ws.ping();
    }
  }

  /** Closes every connection with 1001 (going away) and stops. */
  async close(): Promise<void> {
    clearInterval(this.pingTimer);
    this.delivery.close();
    const closing = [...this.connections.values()].map(
      (conn) =>
        new Promise<void>((resolve) => {
          conn.ws.once("close", () => resolve());
          conn.close(CloseCode.goingAway, "hub shutting down");
          setTimeout(() => {
            conn.ws.terminate();
            resolve();
          }, 2000).unref();
        }),
    );
    await Promise.all(closing);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
