/**
 * Client requests, from a text frame to its reply: parse, rate-limit, look the op up, check the session,
 * validate the params (op table), run the handler, reply — and bind or unbind the session's connection
 * to Delivery on login, resume and logout. The WebSocket transport hands every text frame here.
 */
import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import { errorReply, okReplyText, parseRequest, type RequestId } from "../../protocol/frames.js";
import { CloseCode } from "../../protocol/limits.js";
import { isOpName, ops } from "../../protocol/ops.js";
import type { Clock } from "../clock.js";
import type { Authenticated } from "../domain/accounts.js";
import type { Domain } from "../domain/hub.js";
import type { PresenceReason } from "../../protocol/model.js";
import { NO_METRICS, type Metrics } from "../metrics/metrics.js";
import type { Connection } from "./connection.js";
import type { Delivery } from "./delivery.js";
import { failureReply, invalidParams } from "./errors.js";
import type { Handler, HandlerTable, RequestContext } from "./handlers.js";

export interface RequestOptions {
  serverName: string;
  limits: RequestContext["limits"];
  /** Told of each answered request and each refusal by the request bucket. */
  metrics?: Metrics;
}

export class Requests {
  /** One context per connection, made on its first request: no allocation per request. */
  private readonly contexts = new WeakMap<Connection, RequestContext>();
  private readonly metrics: Metrics;

  constructor(
    private readonly domain: Domain,
    private readonly delivery: Delivery,
    private readonly handlers: HandlerTable,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: RequestOptions,
  ) {
    this.metrics = options.metrics ?? NO_METRICS;
  }

  async handle(conn: Connection, text: string): Promise<void> {
    const parsed = parseRequest(text);
    if (!parsed.ok) return this.badFrame(conn, parsed.id, parsed.message);
    const { id, op, params } = parsed;
    const started = this.metrics.enabled ? performance.now() : 0;
    const wait = conn.throttle();
    if (wait > 0) {
      conn.sendJson(errorReply(id, "RATE_LIMITED", "too many requests; slow down", { retryAfterMs: wait }));
      this.metrics.rateLimited("requests");
      // A client that ignores retryAfterMs is treated like one sending bad frames: closed after 20 a minute.
      this.countBad(conn);
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
    let valid: unknown = params;
    // The hot ops' usual shape is checked by hand; anything else (and every error) by the schema.
    if (!spec.fast?.(params)) {
      const checked = spec.params.safeParse(params);
      if (!checked.success) {
        conn.sendJson(invalidParams(id, checked.error));
        this.countBad(conn);
        return;
      }
      valid = checked.data;
    }
    let outcome = "ok";
    try {
      const result = await handler(this.context(conn), valid as never);
      conn.sendText(okReplyText(id, result ?? {}));
    } catch (error) {
      const reply = failureReply(id, error, this.log, { conn: conn.id, op });
      outcome = reply.error.code;
      conn.sendJson(reply);
    }
    if (this.metrics.enabled) this.metrics.request(op, outcome, (performance.now() - started) / 1000);
    const after = conn.afterReply;
    if (after) {
      conn.afterReply = undefined;
      await after().catch((error: unknown) => this.log.error({ err: error, conn: conn.id }, "replay failed"));
    }
  }

  badFrame(
    conn: Connection,
    re: RequestId | null,
    message: string,
    code: "BAD_FRAME" | "UNKNOWN_OP" = "BAD_FRAME",
  ): void {
    conn.sendJson(errorReply(re, code, message));
    this.countBad(conn);
  }

  private countBad(conn: Connection): void {
    if (conn.countBadFrame(this.clock.now())) {
      this.log.info({ conn: conn.id, address: conn.address }, "closing connection: too many bad frames");
      conn.close(CloseCode.policy, "too many bad frames");
    }
  }

  /** Ends the connection's session on this node (disconnect, timeout, logout). */
  async detach(conn: Connection, reason: PresenceReason): Promise<void> {
    const actor = conn.actor;
    if (!actor) return;
    conn.actor = undefined;
    this.delivery.unbind(conn);
    try {
      await this.domain.presence.disconnected(actor, reason);
    } catch (error) {
      this.log.error({ err: error, conn: conn.id }, "presence update failed");
    }
  }

  private context(conn: Connection): RequestContext {
    let ctx = this.contexts.get(conn);
    if (ctx) return ctx;
    const { domain, delivery, options } = this;
    ctx = {
      domain,
      conn,
      get actor() {
        return conn.actor as RequestContext["actor"];
      },
      serverName: options.serverName,
      limits: options.limits,
      authenticate: (auth, resume) => this.authenticate(conn, auth, resume),
      unauthenticate: () => this.detach(conn, "logout").then(() => void (conn.state = "ready")),
      started: (conv, seq) => delivery.follow(conn, conv, seq),
    };
    this.contexts.set(conn, ctx);
    return ctx;
  }

  private async authenticate(
    conn: Connection,
    auth: Authenticated,
    resume?: { cursors?: Record<string, number> },
  ): Promise<void> {
    if (conn.actor) await this.detach(conn, "logout");
    conn.actor = auth.actor;
    conn.state = "authed";
    // Live events wait in Delivery until the reply (and any replay) is on the wire.
    this.delivery.bind(conn, auth.actor.userId);
    conn.afterReply = () => this.delivery.catchUp(conn, resume);
    await this.domain.presence.connected(auth.actor);
  }
}
