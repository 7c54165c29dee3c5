/**
 * Chooses the bus, presence and limiter implementations named by the `--bus` setting.
 *
 *   undefined | "" | "local"        in-process (one hub node; the default)
 *   "redis://HOST:PORT/DB?prefix=P"  Redis (cluster mode); `prefix` (default "parley") namespaces every
 *                                    key and channel, so clusters sharing one Redis stay apart
 *   "rediss://…"                     the same over TLS
 */
import type { Redis } from "ioredis";
import { systemClock, type Clock } from "../clock.js";
import type { Bus } from "./bus.js";
import { LocalLimiter, type Limiter, type LimiterRule } from "./limiter.js";
import { LocalBus } from "./local.js";
import { LocalP2pRequests, type P2pRequests } from "./p2p-requests.js";
import { LocalPresence, type Presence } from "./presence.js";
import type { BusLog } from "./redis-bus.js";
import { parseRedisSpec, type RedisSpec } from "./redis-spec.js";

/** ioredis and the Redis parts, loaded only when a `redis://` spec asks for them. */
async function redisParts() {
  const [bus, limiter, options, presence, p2pRequests] = await Promise.all([
    import("./redis-bus.js"),
    import("./redis-limiter.js"),
    import("./redis-options.js"),
    import("./redis-presence.js"),
    import("./redis-p2p-requests.js"),
  ]);
  return { ...bus, ...limiter, ...options, ...presence, ...p2pRequests };
}

export class BusSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BusSpecError";
  }
}

export interface OpenBusOptions {
  log?: BusLog;
  /** The bus's round-trip lag, when it has one to measure (Redis). */
  onLag?: (seconds: number) => void;
}

/** A limiter that may hold a connection: call `close` when the hub stops. */
export type ClosableLimiter = Limiter & { close(): Promise<void> };

function redisSpec(spec: string | undefined): RedisSpec | undefined {
  const s = spec?.trim() ?? "";
  if (s === "" || s === "local") return undefined;
  if (/^rediss?:\/\//i.test(s)) {
    try {
      return parseRedisSpec(s);
    } catch (err) {
      throw new BusSpecError((err as Error).message);
    }
  }
  // The spec may be a URL holding a password: name only its scheme in the error.
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(s)?.[0] ?? s.slice(0, 20);
  throw new BusSpecError(`unknown bus "${scheme}…": use local (the default) or redis://HOST:PORT`);
}

export async function openBus(
  spec: string | undefined,
  nodeId: string,
  options: OpenBusOptions = {},
): Promise<Bus> {
  const redis = redisSpec(spec);
  return redis ? (await redisParts()).RedisBus.open(redis, nodeId, options) : new LocalBus();
}

export async function openPresence(
  spec: string | undefined,
  nodeId: string,
  options: OpenBusOptions = {},
): Promise<Presence> {
  const redis = redisSpec(spec);
  return redis ? (await redisParts()).RedisPresence.open(redis, nodeId, options) : new LocalPresence();
}

/** The direct-chat request table: in memory for one node, in Redis for a cluster. */
export async function openP2pRequests(spec: string | undefined, nodeId: string): Promise<P2pRequests> {
  const redis = redisSpec(spec);
  return redis ? (await redisParts()).RedisP2pRequests.open(redis, nodeId) : new LocalP2pRequests();
}

/** One connection serves every limiter of a process on the same Redis; the last `close` ends it. */
const sharedLimiterConnections = new Map<string, { redis: Promise<Redis>; users: number }>();

async function limiterConnection(spec: RedisSpec): Promise<{ redis: Redis; release: () => Promise<void> }> {
  // Loaded before the look-up: no await may fall between finding no entry and adding one.
  const { connectRedis, firstConnect } = await redisParts();
  const key = `${spec.url}#${spec.prefix}`;
  let entry = sharedLimiterConnections.get(key);
  if (!entry) {
    const redis = connectRedis(spec, "parley-limiters");
    // Errors are reported per call (and the limiters fall back); without a listener ioredis prints them.
    redis.on("error", () => {});
    entry = { redis: firstConnect(redis, spec).then(() => redis), users: 0 };
    sharedLimiterConnections.set(key, entry);
    entry.redis.catch(() => sharedLimiterConnections.delete(key));
  }
  entry.users += 1;
  const shared = entry;
  const redis = await shared.redis;
  let released = false;
  return {
    redis,
    release: async () => {
      if (released) return;
      released = true;
      shared.users -= 1;
      if (shared.users > 0) return;
      sharedLimiterConnections.delete(key);
      await redis.quit().catch(() => {});
      redis.disconnect();
    },
  };
}

/**
 * `name` keeps limiters apart that count different things under the same key (an address counts
 * registrations and failed logins separately). With Redis, buckets run on the Redis server's clock;
 * `clock` drives the in-process buckets (and the fallback while Redis is unreachable).
 */
export async function openLimiter(
  spec: string | undefined,
  rule: LimiterRule,
  clock: Clock = systemClock,
  name = `${rule.ratePerSecond}/${rule.burst}`,
  options: OpenBusOptions = {},
): Promise<ClosableLimiter> {
  const redis = redisSpec(spec);
  if (!redis) return Object.assign(new LocalLimiter(rule, clock), { close: async () => {} });
  const connection = await limiterConnection(redis);
  const { RedisLimiter } = await redisParts();
  const limiter = new RedisLimiter(connection.redis, redis.prefix, rule, name, { clock, ...options });
  if (options.log) {
    const log = options.log;
    connection.redis.on("error", (err: Error) =>
      log.warn({ err: err.message }, "redis limiter connection error"),
    );
  }
  return Object.assign(limiter, { close: connection.release });
}
