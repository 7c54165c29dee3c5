/**
 * Token buckets in Redis, so a limit counts across every hub node: a Lua script refills and takes in
 * one atomic step, on the Redis server's clock (nodes' clocks may differ). A bucket is a hash that
 * expires once it would be full again, since a full bucket and no bucket mean the same.
 *
 * While Redis cannot be reached, each node falls back to its own in-memory buckets: limits are then
 * counted per node (looser by at most the node count) rather than switched off, and requests are not
 * refused for an outage of something they do not need.
 */
import type { Redis } from "ioredis";
import { systemClock, type Clock } from "../clock.js";
import { LocalLimiter, type Limiter, type LimiterRule } from "./limiter.js";
import type { BusLog } from "./redis-bus.js";
import { luaCommand, type LuaCall } from "./redis-options.js";

/**
 * KEYS: bucket. ARGV: tokens per ms, burst, cost, mode: take (1), peek (0) or give back (2). Returns ms to
 * wait (0: allowed; always 0 for give).
 */
const TOKEN_BUCKET = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if ARGV[4] == '2' then
  tokens = math.min(burst, tokens + cost)
elseif tokens < cost then
  wait = math.ceil((cost - tokens) / rate)
end
if ARGV[4] ~= '0' then
  if ARGV[4] == '1' and wait == 0 then tokens = tokens - cost end
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', now)
  redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 1000)
end
return wait
`;

const MODES = { peek: 0, take: 1, give: 2 } as const;

export interface RedisLimiterOptions {
  log?: BusLog;
  /** Clock of the fallback buckets (the Redis ones run on the Redis server's clock). */
  clock?: Clock;
}

export class RedisLimiter implements Limiter {
  private readonly script: LuaCall;
  private readonly fallback: LocalLimiter;
  private readonly perMs: number;
  private readonly keyPrefix: string;
  private readonly log: BusLog | undefined;

  /**
   * `redis` may be shared by several limiters (the script is defined once per connection); `name`
   * keeps apart limiters that count different things under the same key (e.g. an address).
   */
  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly rule: LimiterRule,
    name: string,
    options: RedisLimiterOptions = {},
  ) {
    if (!(rule.ratePerSecond > 0) || !(rule.burst > 0))
      throw new Error("limiter rate and burst must be positive");
    this.script = luaCommand(redis, "parleyTokenBucket", 1, TOKEN_BUCKET);
    this.fallback = new LocalLimiter(rule, options.clock ?? systemClock);
    this.perMs = rule.ratePerSecond / 1000;
    this.keyPrefix = `${prefix}:limit:${name}:`;
    this.log = options.log;
  }

  private async run(key: string, cost: number, mode: "take" | "peek" | "give"): Promise<number> {
    try {
      const wait = await this.script(
        [this.keyPrefix + key],
        [this.perMs, this.rule.burst, cost, MODES[mode]],
      );
      return Number(wait);
    } catch (err) {
      this.log?.warn({ err: (err as Error).message }, "redis limiter unavailable; counting on this node");
      if (mode === "give") {
        await this.fallback.give(key, cost);
        return 0;
      }
      return mode === "take" ? this.fallback.take(key, cost) : this.fallback.peek(key, cost);
    }
  }

  take(key: string, cost = 1): Promise<number> {
    return this.run(key, cost, "take");
  }

  peek(key: string, cost = 1): Promise<number> {
    return this.run(key, cost, "peek");
  }

  async give(key: string, cost = 1): Promise<void> {
    await this.run(key, cost, "give");
  }

  async reset(key: string): Promise<void> {
    await this.fallback.reset(key);
    try {
      await this.redis.del(this.keyPrefix + key);
    } catch (err) {
      this.log?.warn({ err: (err as Error).message }, "redis limiter reset failed");
    }
  }
}
