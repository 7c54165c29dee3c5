/**
 * Who may connect, decided at the server level before any WebSocket work (issue 9): per-address caps
 * and connection rates, a global cap, handshake deadlines, and refusing everything once shutting down.
 *
 * Two levels, because a reverse proxy hides the client at the TCP level:
 * - TCP (`connection`, before the TLS handshake, so a refusal costs nothing): sockets per peer address
 *   and new sockets per second per peer. A trusted proxy's own address is exempt (it carries many
 *   clients); so is loopback unless `limitLoopback` (a local proxy, tests and benchmarks).
 * - Upgrade (`admitUpgrade`): the global cap on WebSocket connections (HTTP 503 + Retry-After), and for
 *   connections through a trusted proxy the same per-address cap and rate on the client address it
 *   forwards (HTTP 429 + Retry-After).
 * TCP sockets beyond the global cap plus a tenth (and 64) are dropped at accept (`server.maxConnections`), so
 * half-open handshakes cannot pile up either; the TLS and HTTP deadlines bound how long they live.
 */
import type { IncomingMessage, Server } from "node:http";
import { isIP, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { LocalLimiter } from "../bus/limiter.js";
import type { Clock } from "../clock.js";
import { LogThrottle } from "../log-throttle.js";
import { clientAddress, normalizeAddress } from "./client-address.js";

export interface AdmissionOptions {
  /** WebSocket connections at once, on this node. */
  maxConnections: number;
  /** Connections at once from one address. */
  maxPerAddress: number;
  /** New connections per second from one address (bucket size: maxPerAddress). */
  connectRatePerAddress: number;
  /** Apply the per-address limits to loopback addresses too. */
  limitLoopback: boolean;
  /** TLS handshake and HTTP request headers must be complete within this. */
  handshakeTimeoutMs: number;
  trustedProxies: ReadonlySet<string>;
}

/** What a refused upgrade is told to wait, in seconds. */
const RETRY_AFTER_S = 5;

/**
 * A plain HTTP request (a file upload or download) that moves no byte for this long is dropped. Its
 * whole length has no deadline: a large file on a slow link may take many minutes, while a stalled one
 * is gone after this.
 */
export const HTTP_IDLE_MS = 60_000;

export function isLoopback(address: string): boolean {
  return address === "::1" || (isIP(address) === 4 && address.startsWith("127."));
}

export class Admission {
  private readonly tcp = new Map<string, number>();
  private readonly forwarded = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  private readonly rate: LocalLimiter;
  private readonly logs: LogThrottle;
  private upgraded = 0;
  private closing = false;
  readonly refused = { perAddress: 0, rate: 0, global: 0, closing: 0 };

  constructor(
    private readonly options: AdmissionOptions,
    private readonly log: Logger,
    clock: Clock,
  ) {
    this.rate = new LocalLimiter(
      { ratePerSecond: options.connectRatePerAddress, burst: Math.max(1, options.maxPerAddress) },
      clock,
    );
    this.logs = new LogThrottle(clock);
  }

  /**
   * Options for http(s).createServer: the handshake deadlines, checked every second. The headers of
   * every request (the upgrade's above all) have the deadline; a request's body has none of its own
   * (a file upload may be long), only HTTP_IDLE_MS without a byte (`attach`).
   */
  serverOptions() {
    const ms = this.options.handshakeTimeoutMs;
    return {
      handshakeTimeout: ms,
      headersTimeout: ms,
      requestTimeout: 0,
      connectionsCheckingInterval: Math.min(1000, ms),
    };
  }

  attach(server: Server): void {
    server.maxConnections = Math.ceil(this.options.maxConnections * 1.1) + 64;
    // First among the listeners, so a refused socket is gone before TLS allocates anything for it.
    server.prependListener("connection", (socket: Socket) => this.admitSocket(socket));
    // Upgrades never get here ("upgrade" is another event); after a response, keep-alive's own
    // timeout replaces this one.
    server.on("request", (req: IncomingMessage) => req.setTimeout(HTTP_IDLE_MS, () => req.destroy()));
  }

  private exempt(address: string): boolean {
    return !this.options.limitLoopback && isLoopback(address);
  }

  /**
   * The TCP-level check of a new socket (the WebSocket port's and the IRC ports'): false when it was
   * refused and destroyed. Sockets of every port count together per address.
   */
  admitSocket(socket: Socket): boolean {
    const address = normalizeAddress(socket.remoteAddress ?? "unknown");
    if (this.closing) {
      this.refused.closing++;
      socket.destroy();
      return false;
    }
    if (!this.options.trustedProxies.has(address) && !this.exempt(address)) {
      const refusal = this.check(this.tcp, address);
      if (refusal) {
        socket.destroy();
        return false;
      }
    }
    this.tcp.set(address, (this.tcp.get(address) ?? 0) + 1);
    this.sockets.add(socket);
    socket.once("close", () => {
      this.sockets.delete(socket);
      decrement(this.tcp, address);
    });
    return true;
  }

  /**
   * The global cap for a connection that needs no HTTP upgrade (an IRC client): counted with the
   * WebSocket connections. Returns its release, or undefined when the hub is full or shutting down.
   */
  admitStream(): (() => void) | undefined {
    if (this.closing) {
      this.refused.closing++;
      return undefined;
    }
    if (this.upgraded >= this.options.maxConnections) {
      this.refused.global++;
      return undefined;
    }
    this.upgraded++;
    let released = false;
    return () => {
      if (!released) this.upgraded--;
      released = true;
    };
  }

  /** The per-address cap and rate; counts and logs a refusal. */
  private check(counts: Map<string, number>, address: string): "per-address" | "rate" | undefined {
    let refusal: "per-address" | "rate" | undefined;
    if ((counts.get(address) ?? 0) >= this.options.maxPerAddress) refusal = "per-address";
    else if (this.rate.takeSync(address) > 0) refusal = "rate";
    if (!refusal) return undefined;
    this.refused[refusal === "rate" ? "rate" : "perAddress"]++;
    this.logs.log(
      this.log,
      "warn",
      `${refusal}:${address}`,
      { address },
      refusal === "rate"
        ? "connection refused: too many new connections from this address"
        : "connection refused: too many connections from this address",
    );
    return refusal;
  }

  /** Whether an upgrade may go ahead; when not, the socket has been answered and closed. */
  admitUpgrade(req: IncomingMessage, socket: Duplex): boolean {
    if (this.closing) {
      this.refused.closing++;
      refuse(socket, "503 Service Unavailable", "the hub is shutting down");
      return false;
    }
    if (this.upgraded >= this.options.maxConnections) {
      this.refused.global++;
      this.logs.log(
        this.log,
        "warn",
        "global",
        { max: this.options.maxConnections },
        "connection refused: hub full",
      );
      refuse(socket, "503 Service Unavailable", "the hub has too many connections");
      return false;
    }
    const peer = normalizeAddress(req.socket.remoteAddress ?? "unknown");
    let client: string | undefined;
    if (this.options.trustedProxies.has(peer)) {
      const address = clientAddress(peer, req.headers["x-forwarded-for"], this.options.trustedProxies);
      if (!this.options.trustedProxies.has(address) && !this.exempt(address)) {
        const refusal = this.check(this.forwarded, address);
        if (refusal) {
          refuse(socket, "429 Too Many Requests", "too many connections from your address");
          return false;
        }
        client = address;
        this.forwarded.set(address, (this.forwarded.get(address) ?? 0) + 1);
      }
    }
    this.upgraded++;
    socket.once("close", () => {
      this.upgraded--;
      if (client !== undefined) decrement(this.forwarded, client);
    });
    return true;
  }

  /** WebSocket connections admitted and still open. */
  get connections(): number {
    return this.upgraded;
  }

  /** From now on every new connection and upgrade is refused (shutdown). */
  close(): void {
    this.closing = true;
  }

  /** Ends every socket still open (the end of a shutdown's drain). */
  destroyAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const n = (counts.get(key) ?? 1) - 1;
  if (n <= 0) counts.delete(key);
  else counts.set(key, n);
}

function refuse(socket: Duplex, status: string, text: string): void {
  socket.end(
    `HTTP/1.1 ${status}\r\nRetry-After: ${RETRY_AFTER_S}\r\nConnection: close\r\n` +
      `Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text) + 1}\r\n\r\n${text}\n`,
  );
  setTimeout(() => socket.destroy(), 1000).unref();
}
