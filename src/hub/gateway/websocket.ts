/**
 * The WebSocket endpoint: frames in, validated requests to the domain, replies and events out.
 * It enforces the transport rules of PROTOCOL.md (frame size, bad-frame and request rates, hello and
 * auth deadlines, keep-alive) and routes bus deliveries to the connections of their users.
 */
import type { IncomingMessage, Server as HttpServer } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { errorReply, okReply, parseRequest, type RequestId } from "../../protocol/frames.js";
import {
  AUTH_TIMEOUT_MS,
  CloseCode,
  HELLO_TIMEOUT_MS,
  MISSED_PONGS_LIMIT,
  PING_INTERVAL_MS,
  SUBPROTOCOL,
  WS_PATH,
} from "../../protocol/limits.js";
import { isOpName, ops } from "../../protocol/ops.js";
import type { AnyEvent } from "../../protocol/events.js";
import type { Message } from "../../protocol/model.js";
import type { Bus, BusMessage } from "../bus/bus.js";
import { LocalLimiter } from "../bus/limiter.js";
import type { Clock } from "../clock.js";
import type { Authenticated } from "../domain/accounts.js";
import type { Domain } from "../domain/hub.js";
import type { UserId } from "../store/store.js";
import { clientAddress } from "./client-address.js";
import { Connection } from "./connection.js";
import { textFrame } from "./wire.js";
import { failureReply, invalidParams } from "./errors.js";
import { MessageOrder, cursorKey } from "./ordering.js";
import { coreHandlers, type Handler, type HandlerTable, type RequestContext } from "./handlers.js";

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
  /**
   * Put each connection's `message` events in seq order and repair bus gaps from the store
   * (ordering.ts). Needed with a distributed bus (several nodes publish, a broker can drop); the
   * in-process bus delivers in commit order and never drops, so a single node skips the bookkeeping.
   */
  orderMessages?: boolean;
  /** Bytes waiting for a client that does not read before it is dropped (default 8 MiB). */
  maxBufferedBytes?: number;
  /** Extra ops (e.g. the peer-to-peer ones), merged over the core table. */
  extraHandlers?: HandlerTable;
  /** Reverse proxies believed about the client address they forward (client-address.ts). */
  trustedProxies?: ReadonlySet<string>;
}

const NO_PROXIES: ReadonlySet<string> = new Set();

/** Receives binary frames (the peer relay); absent → binary frames are bad frames. */
export type BinaryHandler = (conn: Connection, data: Buffer) => void;

export class Gateway {
  private readonly wss: WebSocketServer;
  private readonly byUser = new Map<UserId, Set<Connection>>();
  private readonly connections = new Map<string, Connection>();
  private readonly handlers: HandlerTable;
  private readonly requestLimiter: LocalLimiter;
  private readonly pingTimer: NodeJS.Timeout;
  private nextConn = 0;
  binaryHandler: BinaryHandler | undefined;
  relayHandler: ((message: Extract<BusMessage, { kind: "relay" }>) => void) | undefined;
  private readonly unsubscribe: () => void;
  /** Seq order and gap repair of `message` events, per authenticated connection (see ordering.ts). */
  private readonly orders = new Map<Connection, MessageOrder<{ text: string; frame: Buffer }>>();
  private readonly offGap: () => void;

  constructor(
    private readonly domain: Domain,
    private readonly bus: Bus,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: GatewayOptions,
  ) {
    this.handlers = { ...coreHandlers, ...options.extraHandlers };
    this.requestLimiter = new LocalLimiter(options.requestRate, clock);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxFrameBytes,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    this.wss.on("connection", (ws: WebSocket, req: IncomingMessage) => this.accept(ws, req));
    this.unsubscribe = bus.subscribe((message) => this.onBus(message));
    // The bus may have lost events (a Redis reconnect): every connection fetches what follows its cursors.
    this.offGap = bus.onGap(() => {
      for (const order of this.orders.values()) void order.repair();
    });
    this.pingTimer = setInterval(() => this.keepAlive(), options.pingIntervalMs ?? PING_INTERVAL_MS);
    this.pingTimer.unref();
  }

  attach(server: HttpServer): void {
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
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
    if (this.options.maxBufferedBytes !== undefined) conn.maxBufferedBytes = this.options.maxBufferedBytes;
    conn.onTooSlow = () => {
      conn.closing = "timeout";
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
      else void this.onText(conn, data.toString());
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
    this.log.info({ conn: conn.id, code, reason: conn.closing ?? "disconnect" }, "connection closed");
    if (conn.actor) await this.detach(conn, conn.closing === "timeout" ? "timeout" : "disconnect");
  }

  private async detach(conn: Connection, reason: "timeout" | "disconnect" | "logout"): Promise<void> {
    const actor = conn.actor;
    if (!actor) return;
    conn.actor = undefined;
    this.orders.get(conn)?.close();
    this.orders.delete(conn);
    const set = this.byUser.get(actor.userId);
    set?.delete(conn);
    if (set?.size === 0) this.byUser.delete(actor.userId);
    try {
      await this.domain.presence.disconnected(actor, reason);
    } catch (error) {
      this.log.error({ err: error, conn: conn.id }, "presence update failed");
    }
  }

  private onBinary(conn: Connection, data: RawData): void {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (this.binaryHandler && conn.state === "authed") {
      this.binaryHandler(conn, bytes);
      return;
    }
    this.badFrame(conn, null, "binary frames are only for the peer relay");
  }

  private badFrame(
    conn: Connection,
    re: RequestId | null,
    message: string,
    code: "BAD_FRAME" | "UNKNOWN_OP" = "BAD_FRAME",
  ) {
    conn.sendJson(errorReply(re, code, message));
    this.countBad(conn);
  }

  private countBad(conn: Connection): void {
    if (conn.countBadFrame(this.clock.now())) {
      this.log.info({ conn: conn.id, address: conn.address }, "closing connection: too many bad frames");
      conn.close(CloseCode.policy, "too many bad frames");
    }
  }

  private async onText(conn: Connection, text: string): Promise<void> {
    const parsed = parseRequest(text);
    if (!parsed.ok) return this.badFrame(conn, parsed.id, parsed.message);
    const { id, op, params } = parsed;
    const wait = conn.throttle();
    if (wait > 0) {
      conn.sendJson(errorReply(id, "RATE_LIMITED", "too many requests; slow down", { retryAfterMs: wait }));
      return;
    }
    if (!isOpName(op)) return this.badFrame(conn, id, `unknown op "${op.slice(0, 64)}"`, "UNKNOWN_OP");
    const handler = this.handlers[op] as Handler<typeof op> | undefined;
    if (!handler) return this.badFrame(conn, id, `op "${op}" is not available on this hub`, "UNKNOWN_OP");
    const spec = ops[op];
    if (spec.auth && (conn.state !== "authed" || !conn.actor)) {
      conn.sendJson(errorReply(id, "UNAUTHENTICATED", `log in before "${op}"`));
      return;
    }
    const checked = spec.params.safeParse(params);
    if (!checked.success) {
      conn.sendJson(invalidParams(id, checked.error));
      this.countBad(conn);
      return;
    }
    try {
      const result = await handler(this.context(conn), checked.data as never);
      this.orders.get(conn)?.afterReply(op, checked.data as object, result ?? {});
      conn.sendJson(okReply(id, result ?? {}));
    } catch (error) {
      conn.sendJson(failureReply(id, error, this.log, { conn: conn.id, op }));
    }
    const after = this.afterReply.get(conn);
    if (after) {
      this.afterReply.delete(conn);
      await after().catch((error: unknown) => this.log.error({ err: error, conn: conn.id }, "replay failed"));
    }
  }

  /** Work that must follow the reply on the wire (resume's replay). */
  private readonly afterReply = new Map<Connection, () => Promise<void>>();

  private context(conn: Connection): RequestContext {
    return {
      domain: this.domain,
      conn,
      actor: conn.actor as RequestContext["actor"],
      serverName: this.options.serverName,
      limits: {
        maxFrameBytes: this.options.maxFrameBytes,
        maxBodyChars: this.options.maxBodyChars,
        historyPage: this.options.historyPage,
      },
      authenticate: (auth, replay) => this.authenticate(conn, auth, replay),
      unauthenticate: () => this.detach(conn, "logout").then(() => void (conn.state = "ready")),
    };
  }

  private async authenticate(
    conn: Connection,
    auth: Authenticated,
    replay?: () => Promise<Message[]>,
  ): Promise<void> {
    if (conn.actor) await this.detach(conn, "logout");
    conn.actor = auth.actor;
    conn.state = "authed";
    // Live events wait until the reply (and any replay) is on the wire.
    conn.held = [];
    let set = this.byUser.get(auth.actor.userId);
    if (!set) this.byUser.set(auth.actor.userId, (set = new Set()));
    set.add(conn);
    this.orders.get(conn)?.close();
    this.orders.delete(conn);
    const order = !this.options.orderMessages
      ? undefined
      : new MessageOrder<{ text: string; frame: Buffer }>(
          auth.actor.userId,
          // sendText: while a replay runs, these wait in `held` like every other live event. A live copy
          // comes with its frame (built once for every receiver); a fetched one is serialised here.
          (m, wire) =>
            wire
              ? conn.sendText(wire.text, wire.frame)
              : conn.sendText(JSON.stringify({ ev: "message", ...m })),
          this.domain.messages,
          { onError: (error) => this.log.warn({ err: error, conn: conn.id }, "message gap repair failed") },
        );
    if (order) this.orders.set(conn, order);
    this.afterReply.set(conn, async () => {
      const sent = new Set<string>();
      try {
        // With message ordering, every conversation needs a cursor: taken before the replay, so a
        // message stored meanwhile is above it (and reaches the client live or in the replay).
        const known = order ? await this.domain.messages.lastSeqs(auth.actor.userId) : undefined;
        const messages = replay ? await replay() : [];
        for (const m of messages) {
          sent.add(`${m.room ?? ""}|${m.user ?? ""}|${m.seq}`);
          conn.sendJson({ ev: "message", ...m });
          order?.setCursor(cursorKey(m), m.seq);
        }
        for (const [key, seq] of known ?? []) order?.setCursor(key, seq);
      } finally {
        const held = conn.held ?? [];
        conn.held = undefined;
        for (const text of held) {
          if (sent.size > 0 && text.startsWith('{"ev":"message"')) {
            const m = JSON.parse(text) as Message;
            if (sent.has(`${m.room ?? ""}|${m.user ?? ""}|${m.seq}`)) continue;
          }
          conn.sendText(text);
        }
      }
    });
    await this.domain.presence.connected(auth.actor);
  }

  private onBus(message: BusMessage): void {
    switch (message.kind) {
      case "deliver": {
        // Serialised and framed once, however many connections receive it.
        let text: string | undefined;
        let frame: Buffer | undefined;
        let asMessage: Message | undefined;
        for (const userId of message.to) {
          const set = this.byUser.get(userId);
          if (!set) continue;
          text ??= JSON.stringify(message.event);
          frame ??= textFrame(text);
          for (const conn of set) {
            if (conn.id === message.exceptConn) continue;
            // With a distributed bus, messages go through the connection's order (seq order, holes
            // fetched, repeats dropped).
            const order = this.orders.size > 0 ? this.orders.get(conn) : undefined;
            if (!order) {
              conn.sendText(text, frame);
            } else if (message.event.ev === "message") {
              asMessage ??= withoutEv(message.event);
              order.offer(asMessage, { text, frame });
            } else {
              order.onEvent(message.event);
              conn.sendText(text, frame);
            }
          }
        }
        return;
      }
      case "end-sessions": {
        for (const conn of this.byUser.get(message.userId) ?? []) {
          if (conn.id === message.exceptConn) continue;
          if (message.tokenHash !== undefined && conn.actor?.tokenHash !== message.tokenHash) continue;
          conn.sendText(JSON.stringify({ ev: "session.ended", reason: message.reason }));
          conn.closing = "logout";
          conn.close(CloseCode.normal, "session ended");
        }
        return;
      }
      case "relay":
        this.relayHandler?.(message);
        return;
      case "invalidate":
        return;
    }
  }

  /** The connection for a relay frame addressed to it, if it is on this node. */
  connection(id: string): Connection | undefined {
    return this.connections.get(id);
  }

  connectionsOf(userId: UserId): ReadonlySet<Connection> {
    return this.byUser.get(userId) ?? new Set();
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
    this.unsubscribe();
    this.offGap();
    for (const order of this.orders.values()) order.close();
    this.orders.clear();
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

function withoutEv(event: AnyEvent & { ev: "message" }): Message {
  const { ev: _ev, ...message } = event;
  return message;
}
