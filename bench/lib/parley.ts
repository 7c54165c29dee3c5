/**
 * The Parley protocol on top of the raw WebSocket client: request/reply by id for setup steps, and a
 * cheap path for the benchmark's hot frames (message events are handed over as bytes, `msg.send` replies
 * are only counted).
 */
import type { MicroClock } from "./clock.js";
import { RawWs, type WsTarget } from "./ws-raw.js";

export class ParleyError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = "ParleyError";
  }
}

export interface ParleyTarget {
  host: string;
  port: number;
  tls: boolean;
  fingerprint?: string;
}

type Json = Record<string, unknown>;

interface Waiter {
  resolve: (reply: Json) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const REPLY_PREFIX = Buffer.from('{"re"');

export class ParleyConn {
  /** Frames that are neither a reply nor taken by `onHotFrame` (events), parsed. */
  onEvent: (event: Json) => void = () => {};
  /**
   * Sees every non-reply frame first, as bytes; returns true when it consumed the frame (a benchmark
   * message), so no JSON is parsed for it.
   */
  onHotFrame: (payload: Buffer, nowUs: number) => boolean = () => false;
  /** Replies to requests sent with `fire` (no waiter): counted, and the first error kept. */
  firedOk = 0;
  firedErrors = 0;
  firstFiredError: string | undefined;
  private nextId = 1;
  private readonly waiters = new Map<number, Waiter>();

  private constructor(readonly ws: RawWs) {
    ws.onText = (payload, now) => this.dispatch(payload, now);
    ws.onClose = (reason) => {
      for (const [, w] of this.waiters) {
        clearTimeout(w.timer);
        w.reject(new Error(`connection ended (${reason})`));
      }
      this.waiters.clear();
      this.onClose(reason);
    };
  }

  onClose: (reason: string) => void = () => {};

  static async connect(
    target: ParleyTarget,
    clock: MicroClock,
    client = "parley-bench",
  ): Promise<ParleyConn> {
    const wsTarget: WsTarget = {
      host: target.host,
      port: target.port,
      path: "/v1",
      tls: target.tls,
      subprotocol: "parley.v1",
      ...(target.fingerprint ? { fingerprint: target.fingerprint } : {}),
    };
    const conn = new ParleyConn(await RawWs.connect(wsTarget, clock));
    await conn.request("hello", { client, protocol: 1 });
    return conn;
  }

  request(op: string, params: Json = {}, timeoutMs = 60_000): Promise<Json> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new Error(`${op}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(id, { resolve, reject, timer });
      this.ws.sendText(JSON.stringify({ id, op, ...params }));
    });
  }

  /** Builds a request frame whose reply is only counted; the caller writes it (possibly with others). */
  fireFrame(op: string, params: Json): string {
    return JSON.stringify({ id: this.nextId++, op, ...params });
  }

  async register(username: string, password: string): Promise<void> {
    await this.request("register", { username, password });
  }

  async login(username: string, password: string): Promise<string> {
    const reply = await this.request("login", { username, password, device: "bench" });
    const session = reply.session as { token?: unknown } | undefined;
    if (typeof session?.token !== "string") throw new Error("login reply has no session token");
    return session.token;
  }

  async resume(token: string, cursors?: Record<string, number>): Promise<Json> {
    return this.request("resume", cursors ? { token, cursors } : { token });
  }

  close(): void {
    this.ws.close();
  }

  private dispatch(payload: Buffer, now: number): void {
    if (payload.compare(REPLY_PREFIX, 0, REPLY_PREFIX.length, 0, REPLY_PREFIX.length) === 0) {
      this.reply(JSON.parse(payload.toString()) as Json);
      return;
    }
    if (this.onHotFrame(payload, now)) return;
    this.onEvent(JSON.parse(payload.toString()) as Json);
  }

  private reply(frame: Json): void {
    const id = frame.re;
    const waiter = typeof id === "number" ? this.waiters.get(id) : undefined;
    if (!waiter) {
      if (frame.ok === true) this.firedOk++;
      else {
        this.firedErrors++;
        this.firstFiredError ??= JSON.stringify(frame.error);
      }
      return;
    }
    this.waiters.delete(id as number);
    clearTimeout(waiter.timer);
    if (frame.ok === true) waiter.resolve(frame);
    else {
      const error = (frame.error ?? {}) as { code?: string; message?: string };
      waiter.reject(new ParleyError(error.code ?? "UNKNOWN", error.message ?? "no message"));
    }
  }
}
