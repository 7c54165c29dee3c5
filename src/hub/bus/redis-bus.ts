/**
 * The cluster bus on Redis pub/sub. One channel carries every message, so Redis hands all subscribers
 * the same total order. Pub/sub is at-most-once; this bus makes every possible loss visible as a gap:
 * - the subscriber connection dropped (Redis restart, network): gap once it is subscribed again;
 * - a publish failed (Redis unreachable): gap here at once, and the publisher's numbering jumps, so
 *   every other node sees the jump on the publisher's next message or heartbeat.
 * `publish` therefore never rejects for a broker outage: the message is stored already, and the
 * gateways repair from the store when told of the gap.
 */
import type { Redis } from "ioredis";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Bus, BusMessage } from "./bus.js";
import { decodeFrame, encodeFrame, encodeHeartbeat } from "./redis-codec.js";
import { connectRedis, firstConnect, type RedisSpec } from "./redis-options.js";

export interface BusLog {
  warn(obj: object, msg: string): void;
}

export interface RedisBusOptions {
  /** How often an idle node says its latest publish number, so a missed last message is noticed. */
  heartbeatMs?: number;
  /** How long `open` waits for Redis before failing. */
  connectTimeoutMs?: number;
  log?: BusLog;
  /** Told how long this node's heartbeat took to come back through Redis (seconds): the bus's lag. */
  onLag?: (seconds: number) => void;
}

interface OriginState {
  lastSeq: number;
  heardAt: number;
}

const ORIGIN_FORGET_MS = 5 * 60_000;

export class RedisBus implements Bus {
  private readonly handlers = new Set<(message: BusMessage) => void>();
  private readonly gapHandlers = new Set<() => void>();
  private readonly origins = new Map<string, OriginState>();
  /** Unique per process, so a restarted node's numbering is never compared with its predecessor's. */
  private readonly origin: string;
  private pubSeq = 0;
  /** When the heartbeat now on its way was sent (performance.now()), to time its return. */
  private heartbeatSentAt: number | undefined;
  private onLag: ((seconds: number) => void) | undefined;
  private gapPending = false;
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;

  private constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly channel: string,
    nodeId: string,
    private readonly log: BusLog | undefined,
    heartbeatMs: number,
  ) {
    this.origin = `${nodeId.slice(0, 200)}/${randomBytes(6).toString("hex")}`;
    sub.on("messageBuffer", (channelName: Buffer, data: Buffer) => {
      if (channelName.toString() === channel) this.receive(data);
    });
    this.heartbeat = setInterval(() => void this.sendHeartbeat(), heartbeatMs);
    this.heartbeat.unref();
  }

  static async open(spec: RedisSpec, nodeId: string, options: RedisBusOptions = {}): Promise<RedisBus> {
    const pub = connectRedis(spec, `parley-bus-pub:${nodeId}`);
    // The subscriber resubscribes on its own after a reconnect; it must queue that SUBSCRIBE.
    const sub = connectRedis(spec, `parley-bus-sub:${nodeId}`, {
      enableOfflineQueue: true,
      commandTimeout: undefined,
    });
    const channel = `${spec.prefix}:bus`;
    try {
      await Promise.all([
        firstConnect(pub, spec, options.connectTimeoutMs),
        firstConnect(sub, spec, options.connectTimeoutMs),
      ]);
      await sub.subscribe(channel);
    } catch (err) {
      pub.disconnect();
      sub.disconnect();
      throw err;
    }
    const bus = new RedisBus(pub, sub, channel, nodeId, options.log, options.heartbeatMs ?? 2_000);
    bus.onLag = options.onLag;
    bus.watchConnections();
    return bus;
  }

  private watchConnections(): void {
    const logError = (role: string) => (err: Error) =>
      this.log?.warn({ err: err.message, role }, "redis bus connection error");
    this.pub.on("error", logError("publish"));
    this.sub.on("error", logError("subscribe"));
    let dropped = false;
    this.sub.on("close", () => (dropped = true));
    this.sub.on("ready", () => {
      if (!dropped || this.closed) return;
      dropped = false;
      // Every other node's numbering restarts from what we hear next; what fell in between is the gap.
      this.origins.clear();
      // ioredis resubscribes before "ready"; subscribing again is harmless and makes sure of it.
      this.sub.subscribe(this.channel).then(
        () => this.gap("resubscribed after a Redis reconnect"),
        () => this.gap("resubscribe failed; will retry on the next reconnect"),
      );
    });
  }

  async publish(message: BusMessage): Promise<void> {
    if (this.closed) return;
    this.pubSeq = (this.pubSeq + 1) >>> 0;
    try {
      await this.pub.publish(this.channel, encodeFrame(this.origin, this.pubSeq, message));
    } catch (err) {
      // Nobody got it, this node included; the jump in pubSeq tells the others.
      this.log?.warn({ err: (err as Error).message, kind: message.kind }, "redis bus publish failed");
      this.gap("a publish failed");
    }
  }

  private async sendHeartbeat(): Promise<void> {
    if (this.closed || this.pub.status !== "ready") return;
    try {
      this.heartbeatSentAt = performance.now();
      await this.pub.publish(this.channel, encodeHeartbeat(this.origin, this.pubSeq));
    } catch {
      // The next one will do; a lost heartbeat loses no message.
    }
    const now = Date.now();
    for (const [origin, state] of this.origins) {
      if (now - state.heardAt > ORIGIN_FORGET_MS) this.origins.delete(origin);
    }
  }

  private receive(data: Buffer): void {
    let frame;
    try {
      frame = decodeFrame(data);
    } catch (err) {
      this.log?.warn({ err: (err as Error).message }, "redis bus: dropped a bad frame");
      return;
    }
    const known = this.origins.get(frame.origin);
    const isHeartbeat = "heartbeat" in frame;
    if (known) {
      const expected = isHeartbeat ? known.lastSeq : (known.lastSeq + 1) >>> 0;
      if (frame.pubSeq !== expected) this.gap(`bus messages from ${frame.origin} missed`);
      known.lastSeq = frame.pubSeq;
      known.heardAt = Date.now();
    } else {
      // First word from this origin (new node, or since our reconnect): nothing to compare with yet.
      this.origins.set(frame.origin, { lastSeq: frame.pubSeq, heardAt: Date.now() });
    }
    if ("heartbeat" in frame) {
      if (frame.origin === this.origin && this.heartbeatSentAt !== undefined) {
        this.onLag?.((performance.now() - this.heartbeatSentAt) / 1000);
        this.heartbeatSentAt = undefined;
      }
      return;
    }
    for (const handler of this.handlers) {
      try {
        handler(frame.message);
      } catch (err) {
        // One failing subscriber must not keep the message from the others.
        this.log?.warn(
          { err: (err as Error).message, kind: frame.message.kind },
          "redis bus: a handler threw",
        );
      }
    }
  }

  /** Coalesces bursts of gap signals into one call per handler. */
  private gap(reason: string): void {
    if (this.closed || this.gapPending) return;
    this.gapPending = true;
    this.log?.warn({ reason }, "redis bus gap: repairing from the store");
    setImmediate(() => {
      this.gapPending = false;
      for (const handler of this.gapHandlers) handler();
    });
  }

  subscribe(handler: (message: BusMessage) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  onGap(handler: () => void): () => void {
    this.gapHandlers.add(handler);
    return () => this.gapHandlers.delete(handler);
  }

  unreachable(): string | undefined {
    if (this.closed) return "the bus is closed";
    for (const [role, redis] of [
      ["publish", this.pub],
      ["subscribe", this.sub],
    ] as const) {
      if (redis.status !== "ready") return `Redis ${role} connection is ${redis.status}`;
    }
    return undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.handlers.clear();
    this.gapHandlers.clear();
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
    this.pub.disconnect();
    this.sub.disconnect();
  }
}
