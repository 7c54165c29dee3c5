/**
 * A raw protocol client for hub tests: real WebSocket + TLS, frames exactly as PROTOCOL.md writes them.
 * (The product's client SDK lives in src/client; hub tests speak the wire directly so they test the hub.)
 */
import { createHash } from "node:crypto";
import type { TLSSocket } from "node:tls";
import WebSocket from "ws";
import type { AnyEvent, EventName } from "../../src/protocol/events.js";
import type { OpName, OpParams, OpResult } from "../../src/protocol/ops.js";
import type { Reply } from "../../src/protocol/frames.js";
import { SUBPROTOCOL } from "../../src/protocol/limits.js";

export class ReplyError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly reply: Reply,
  ) {
    super(`${code}: ${message}`);
  }
}

export interface ConnectOptions {
  fingerprint?: string;
  hello?: boolean;
  protocols?: string[];
  /** Extra HTTP headers on the upgrade request (e.g. what a reverse proxy adds). */
  headers?: Record<string, string>;
}

export class TestClient {
  readonly events: AnyEvent[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private nextId = 1;
  private readonly pending = new Map<string | number, (reply: Reply) => void>();
  private readonly waiters = new Set<() => void>();
  readonly frames: unknown[] = [];

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      const frame = JSON.parse(data.toString()) as Record<string, unknown>;
      this.frames.push(frame);
      if ("re" in frame) {
        const resolve = this.pending.get(frame["re"] as string | number);
        if (resolve) {
          this.pending.delete(frame["re"] as string | number);
          resolve(frame as unknown as Reply);
        }
      } else if ("ev" in frame) {
        this.events.push(frame as unknown as AnyEvent);
      }
      for (const w of [...this.waiters]) w();
    });
  }

  static async connect(url: string, opts: ConnectOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(url, opts.protocols ?? [SUBPROTOCOL], {
      rejectUnauthorized: false,
      maxPayload: 1 << 24,
      ...(opts.headers && { headers: opts.headers }),
    });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    if (opts.fingerprint) {
      const socket = (ws as unknown as { _socket: TLSSocket })._socket;
      const raw = socket.getPeerCertificate().raw;
      const seen = createHash("sha256").update(raw).digest("hex").toUpperCase().match(/../g)?.join(":");
      if (seen !== opts.fingerprint) throw new Error(`fingerprint mismatch: ${seen} != ${opts.fingerprint}`);
    }
    const client = new TestClient(ws);
    if (opts.hello !== false) await client.call("hello", { client: "parley-tests", protocol: 1 });
    return client;
  }

  /** Sends a raw text frame. */
  sendRaw(text: string | Buffer, binary = false): void {
    this.ws.send(text, { binary });
  }

  /** Waits for the next reply with this `re` (for raw frames). */
  replyTo(re: string | number | null, timeoutMs = 5000): Promise<Reply> {
    return this.waitFor(
      () => this.frames.find((f) => (f as { re?: unknown }).re === re) as Reply | undefined,
      timeoutMs,
      `reply to ${re}`,
    );
  }

  request<O extends OpName>(
    op: O,
    params: Partial<OpParams<O>> | Record<string, unknown> = {},
  ): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ id, op, ...params }), (error) => error && reject(error));
    });
  }

  async call<O extends OpName>(
    op: O,
    params: Partial<OpParams<O>> | Record<string, unknown> = {},
  ): Promise<OpResult<O>> {
    const reply = await this.request(op, params);
    if (!reply.ok) throw new ReplyError(reply.error.code, reply.error.message, reply);
    const { re: _re, ok: _ok, ...result } = reply;
    return result as OpResult<O>;
  }

  /** The error code of a call that must fail. */
  async codeOf<O extends OpName>(
    op: O,
    params: Partial<OpParams<O>> | Record<string, unknown> = {},
  ): Promise<string> {
    const reply = await this.request(op, params);
    if (reply.ok) throw new Error(`${op} succeeded but was expected to fail`);
    return reply.error.code;
  }

  async waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const found = probe();
    if (found !== undefined) return found;
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value !== undefined) {
          cleanup();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** The first event of this name (matching `predicate`) not yet taken by an earlier nextEvent. */
  nextEvent<E extends EventName>(
    name: E,
    predicate: (event: Extract<AnyEvent, { ev: E }>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<Extract<AnyEvent, { ev: E }>> {
    return this.waitFor(
      () => {
        const index = this.events.findIndex(
          (e) => e.ev === name && predicate(e as Extract<AnyEvent, { ev: E }>),
        );
        if (index < 0) return undefined;
        const [event] = this.events.splice(index, 1);
        return event as Extract<AnyEvent, { ev: E }>;
      },
      timeoutMs,
      `event ${name}`,
    );
  }

  eventsNamed<E extends EventName>(name: E): Array<Extract<AnyEvent, { ev: E }>> {
    return this.events.filter((e) => e.ev === name) as Array<Extract<AnyEvent, { ev: E }>>;
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}

export const PASSWORD = "correct horse battery staple";

export async function registerAndLogin(
  url: string,
  username: string,
  password = PASSWORD,
  extra: Record<string, unknown> = {},
): Promise<TestClient & { token: string }> {
  const client = await TestClient.connect(url);
  await client.call("register", { username, password, ...extra });
  const { session } = await client.call("login", { username, password });
  return Object.assign(client, { token: session.token });
}

export async function login(
  url: string,
  username: string,
  password = PASSWORD,
): Promise<TestClient & { token: string }> {
  const client = await TestClient.connect(url);
  const { session } = await client.call("login", { username, password });
  return Object.assign(client, { token: session.token });
}
