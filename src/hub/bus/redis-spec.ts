/**
 * Reading a `redis://` spec, apart from the Redis client: the hub parses `--bus` without loading
 * ioredis, which it loads only when a spec asks for Redis.
 */
export interface RedisSpec {
  url: string;
  prefix: string;
}

const PREFIX_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

export function parseRedisSpec(spec: string): RedisSpec {
  const parsed = new URL(spec);
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new Error(`not a Redis URL: ${parsed.protocol}`);
  }
  const prefix = parsed.searchParams.get("prefix") ?? "parley";
  if (!PREFIX_RE.test(prefix)) throw new Error(`invalid Redis prefix ${JSON.stringify(prefix)}`);
  parsed.searchParams.delete("prefix");
  return { url: parsed.toString(), prefix };
}

/** For log lines: the URL without its password. */
export function redisLabel(spec: RedisSpec): string {
  const url = new URL(spec.url);
  if (url.password) url.password = "***";
  return url.toString();
}
