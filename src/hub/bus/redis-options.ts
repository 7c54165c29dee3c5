/**
 * Connecting to Redis for the cluster bus, presence and limits. A spec is a `redis://` (or `rediss://`)
 * URL; our own `prefix` query parameter namespaces every key and channel, so several clusters (or test
 * runs) can share one Redis.
 */
import { Redis, type RedisOptions } from "ioredis";
import { redisLabel, type RedisSpec } from "./redis-spec.js";

export { parseRedisSpec, redisLabel, type RedisSpec } from "./redis-spec.js";

/**
 * A connection that fails commands at once while disconnected instead of queueing them: callers fall
 * back or report a gap rather than stall a user's request for the length of an outage. It reconnects on
 * its own, forever, with capped back-off.
 */
export function connectRedis(spec: RedisSpec, name: string, extra: RedisOptions = {}): Redis {
  return new Redis(spec.url, {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
    retryStrategy: (times) => Math.min(50 * times, 1_000),
    lazyConnect: true,
    ...extra,
  });
}

/**
 * Waits for the first connection, retrying through early refusals (Redis still starting), so a hub
 * started against a dead Redis fails after `timeoutMs` with a message that names it.
 */
export async function firstConnect(redis: Redis, spec: RedisSpec, timeoutMs = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let lastError = "no answer";
  const onError = (err: Error) => (lastError = err.message);
  redis.on("error", onError);
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`cannot reach Redis at ${redisLabel(spec)} within ${timeoutMs} ms: ${lastError}`)),
        timeoutMs,
      );
      redis.once("ready", () => resolve());
      // The first attempt's failure is not final: the retry strategy keeps trying until the timeout.
      redis.connect().catch(() => {});
    });
  } catch (err) {
    redis.disconnect();
    throw err;
  } finally {
    clearTimeout(timer);
    redis.off("error", onError);
  }
}

export type LuaCall = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

/**
 * A Lua script as a function. ioredis runs it by SHA and reloads it by itself when Redis forgot it (after
 * a restart), which a plain EVALSHA would not.
 */
export function luaCommand(redis: Redis, name: string, numberOfKeys: number, lua: string): LuaCall {
  redis.defineCommand(name, { numberOfKeys, lua });
  // defineCommand adds the method at run time; the typings cannot know it.
  const command = (redis as unknown as Record<string, (...args: Array<string | number>) => Promise<unknown>>)[
    name
  ];
  if (!command) throw new Error(`Redis script ${name} was not defined`);
  return (keys, args) => command.call(redis, ...keys, ...args);
}
