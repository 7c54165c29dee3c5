/**
 * The link to the hub across connections: opens one (trying the URLs in turn, from the last good
 * one), hands it to the client to resume, and when it drops schedules the next try with exponential
 * backoff and full jitter — until the client closes or a failure that retrying cannot fix.
 */
import type { AnyEvent } from "../../protocol/index.js";
import { parseHubUrl, type HubAddress } from "./address.js";
import { backoffDelay, type BackoffPolicy } from "./backoff.js";
import { Connection, type CloseInfo } from "./connection.js";
import {
  ClientClosedError,
  HubError,
  HubFingerprintChangedError,
  HubFingerprintMismatchError,
  KnownHubsFileError,
  NotConnectedError,
} from "./errors.js";
import type { Timer } from "./timers.js";
import type { ResolvedOptions } from "./options.js";
import type { ConnectionStatus } from "./types.js";

/**
 * Failures that retrying cannot fix and that a person must see: a certificate that is not the pinned
 * one (retrying would hammer a possible attacker and hide the warning), an unreadable known-hubs
 * file, a hub that does not speak our protocol, a closed client.
 */
export function isFatal(error: unknown): boolean {
  return (
    error instanceof HubFingerprintChangedError ||
    error instanceof HubFingerprintMismatchError ||
    error instanceof KnownHubsFileError ||
    error instanceof ClientClosedError ||
    (error instanceof HubError && error.code === "UNSUPPORTED_PROTOCOL")
  );
}

/** The delay before reconnect attempt `attempt` (0-based). */
export function nextDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  return backoffDelay(attempt, policy, random);
}

/** One line for a status bar. */
export function statusText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

export interface LinkHooks {
  /**
   * A new connection said hello; resume the session on it here. Throwing drops the connection: a
   * fatal error stops the link, any other schedules a retry.
   */
  onConnected(conn: Connection, address: HubAddress): Promise<void>;
  /** Online again after `onConnected`; `generation` identifies this connection. */
  onOnline(generation: number): void;
  onEvent(event: AnyEvent): void;
  onStatus(status: ConnectionStatus): void;
  onWarning(message: string): void;
}

export class Link {
  private readonly addresses: HubAddress[];
  private conn: Connection | null = null;
  private currentStatus: ConnectionStatus = { state: "offline", reason: "not connected yet" };
  private closed = false;
  /** Set after the first successful connect: from then on every drop is repaired. */
  private autoReconnect = false;
  private attempt = 0;
  private retryTimer: Timer | undefined;
  private preferred = 0;
  private establishing: Promise<void> | null = null;
  /** Bumped per connection, so late callbacks of an old one change nothing. */
  private currentGeneration = 0;
  private readonly statusWaiters = new Set<(status: ConnectionStatus) => void>();

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly hooks: LinkHooks,
  ) {
    this.addresses = opts.urls.map((url) => parseHubUrl(url));
  }

  get status(): ConnectionStatus {
    return this.currentStatus;
  }

  get generation(): number {
    return this.currentGeneration;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The open connection, or null while there is none. */
  get connection(): Connection | null {
    return this.conn && this.conn.isOpen ? this.conn : null;
  }

  private setStatus(status: ConnectionStatus): void {
    this.currentStatus = status;
    this.hooks.onStatus(status);
    for (const waiter of [...this.statusWaiters]) waiter(status);
  }

  /** The open connection, or a NotConnectedError that says what is going on. */
  require(): Connection {
    if (this.closed) throw new ClientClosedError();
    const conn = this.connection;
    if (conn) return conn;
    const status = this.currentStatus;
    const why =
      status.state === "reconnecting"
        ? `not connected (reconnecting in ${Math.max(0, Math.ceil((status.retryAt - this.opts.now()) / 1000))} s)`
        : status.state === "connecting"
          ? "not connected yet (connecting)"
          : `not connected (${status.state === "offline" ? status.reason : status.state})`;
    throw new NotConnectedError(why);
  }

  /**
   * Connects once through the URLs; rejects on failure unless `retry`, which keeps trying with
   * backoff until online (or a fatal error / close). After the first success drops are repaired.
   */
  async connect(retry: boolean): Promise<void> {
    if (this.closed) throw new ClientClosedError();
    if (this.currentStatus.state === "online") return;
    if (this.currentStatus.state === "reconnecting" || this.establishing) {
      await this.waitOnline();
      return;
    }
    try {
      await this.establish();
    } catch (error) {
      if (!retry || isFatal(error)) {
        if (isFatal(error)) this.goOffline(error as Error);
        else this.setStatus({ state: "offline", reason: statusText(error), error: error as Error });
        throw error;
      }
      this.autoReconnect = true;
      this.scheduleReconnect(error);
      await this.waitOnline();
    }
    this.autoReconnect = true;
  }

  /** Resolves when online; rejects when the link goes offline for good. */
  private waitOnline(): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = (status: ConnectionStatus): void => {
        if (status.state === "online") {
          this.statusWaiters.delete(waiter);
          resolve();
        } else if (status.state === "offline") {
          this.statusWaiters.delete(waiter);
          reject(status.error ?? new NotConnectedError(status.reason));
        }
      };
      this.statusWaiters.add(waiter);
    });
  }

  private establish(): Promise<void> {
    this.establishing ??= this.establishOnce().finally(() => {
      this.establishing = null;
    });
    return this.establishing;
  }

  private async establishOnce(): Promise<void> {
    let lastError: unknown = new NotConnectedError("no hub URL to try");
    for (let i = 0; i < this.addresses.length; i += 1) {
      const index = (this.preferred + i) % this.addresses.length;
      const address = this.addresses[index]!;
      const generation = ++this.currentGeneration;
      this.setStatus({ state: "connecting", url: address.url, attempt: this.attempt });
      let conn: Connection;
      try {
        conn = await Connection.open(
          {
            address,
            transport: this.opts.transport,
            check: this.opts.check,
            clientName: this.opts.clientName,
            requestTimeoutMs: this.opts.requestTimeoutMs,
            keepAliveMs: this.opts.keepAliveMs,
            connectTimeoutMs: this.opts.requestTimeoutMs,
          },
          {
            onEvent: (event) => {
              if (generation === this.currentGeneration) this.hooks.onEvent(event);
            },
            onClose: (info) => this.onClose(generation, info),
            onProtocolWarning: (message) => this.hooks.onWarning(message),
          },
        );
      } catch (error) {
        if (isFatal(error)) throw error;
        lastError = error;
        continue;
      }
      if (this.closed) {
        conn.close();
        throw new ClientClosedError();
      }
      this.conn = conn;
      this.preferred = index;
      try {
        await this.hooks.onConnected(conn, address);
      } catch (error) {
        // The caller decides about retrying; this connection's close must not schedule another try.
        this.currentGeneration += 1;
        this.conn = null;
        conn.terminate();
        throw error;
      }
      this.attempt = 0;
      this.setStatus({ state: "online", url: address.url, insecure: !address.secure });
      this.hooks.onOnline(generation);
      return;
    }
    throw lastError;
  }

  private onClose(generation: number, info: CloseInfo): void {
    // A connection that failed during its opening is the opener's business (it tries the next URL
    // or schedules the retry itself); only the live connection's close starts a reconnect.
    if (generation !== this.currentGeneration || this.conn === null) return;
    this.conn = null;
    if (this.closed) return;
    const reason = info.deadLink
      ? "the link went silent"
      : `connection closed (${info.code}${info.reason ? ` ${info.reason}` : ""})`;
    if (this.autoReconnect) this.scheduleReconnect(new NotConnectedError(reason));
    else this.setStatus({ state: "offline", reason });
  }

  private scheduleReconnect(error: unknown): void {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    const inMs = nextDelay(this.attempt, this.opts.backoff, this.opts.random);
    this.attempt += 1;
    this.setStatus({
      state: "reconnecting",
      attempt: this.attempt,
      inMs,
      retryAt: this.opts.now() + inMs,
      lastError: statusText(error),
    });
    this.retryTimer = setTimeout(() => this.reconnect(), inMs);
  }

  private reconnect(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.closed || this.currentStatus.state === "online") return;
    this.establish().catch((error: unknown) => {
      if (isFatal(error)) this.goOffline(error as Error);
      else this.scheduleReconnect(error);
    });
  }

  /** Tries right away instead of waiting for the backoff timer. */
  reconnectNow(): void {
    if (this.currentStatus.state === "reconnecting") this.reconnect();
  }

  /** Gives up reconnecting (a refused certificate, a closed client): the status says why. */
  private goOffline(error: Error): void {
    clearTimeout(this.retryTimer);
    this.autoReconnect = false;
    this.setStatus({ state: "offline", reason: error.message, error });
  }

  /** Closes the connection (waiting briefly for the close handshake) and stops reconnecting. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.autoReconnect = false;
    clearTimeout(this.retryTimer);
    const conn = this.conn;
    this.conn = null;
    this.currentGeneration += 1;
    if (conn) {
      conn.close(1000, "client closed");
      // Waits for the close handshake, briefly. The timer is not unref'd: a process with nothing
      // else to do must still see this promise settle (a CLI awaits close() before exiting).
      let timer: Timer | undefined;
      await Promise.race([
        conn.closedPromise,
        new Promise<void>((resolve) => (timer = setTimeout(resolve, 2500))),
      ]);
      clearTimeout(timer);
    }
    this.setStatus({ state: "offline", reason: "closed" });
  }
}
