/**
 * The real PostgreSQL and Redis the cluster tests run against, and per-run isolation on them: each run
 * gets its own PostgreSQL schema and Redis key prefix, dropped afterwards, since the whole machine shares
 * both services.
 *
 * When a service is unreachable the tests skip, naming what to start — except under CI, where a missing
 * service is a failure (`.ci/run` starts them with scripts/ensure-services.sh).
 */
import { Redis } from "ioredis";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import pg from "pg";

export const PG_URL = process.env.PARLEY_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL = process.env.PARLEY_TEST_REDIS ?? "redis://127.0.0.1:6379";

const HOW_TO_START = {
  postgres: `PostgreSQL at ${PG_URL} (start it: scripts/ensure-services.sh, or set PARLEY_TEST_PG)`,
  redis: `Redis at ${REDIS_URL} (start it: scripts/ensure-services.sh, or set PARLEY_TEST_REDIS)`,
};

async function probePostgres(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (err) {
    return `${HOW_TO_START.postgres}: ${(err as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
}

async function probeRedis(): Promise<string | undefined> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 3_000,
  });
  redis.on("error", () => {});
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (err) {
    return `${HOW_TO_START.redis}: ${(err as Error).message}`;
  } finally {
    redis.disconnect();
  }
}

/**
 * Why the tests needing `which` cannot run here, or undefined when they can. Under CI a missing
 * service throws instead, so the suite fails rather than silently skipping.
 */
export async function missingServices(...which: Array<"postgres" | "redis">): Promise<string | undefined> {
  const problems = (
    await Promise.all(which.map((service) => (service === "postgres" ? probePostgres() : probeRedis())))
  ).filter((p): p is string => p !== undefined);
  if (problems.length === 0) return undefined;
  const message = `needs ${problems.join("; and ")}`;
  if (process.env.CI) throw new Error(`CI requires the cluster services: ${message}`);
  return message;
}

/** Why a test that runs its own `redis-server` cannot run here (fails under CI instead). */
export function missingRedisServer(): string | undefined {
  if (spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0) return undefined;
  const message = "needs the redis-server program (Debian: apt-get install redis-server)";
  if (process.env.CI) throw new Error(`CI requires ${message}`);
  return message;
}

/** A fresh, empty PostgreSQL schema; `url` selects it (the `schema` parameter PgStore understands). */
export async function freshSchema(): Promise<{ schema: string; url: string; drop: () => Promise<void> }> {
  const schema = `parley_test_${randomBytes(6).toString("hex")}`;
  const url = new URL(PG_URL);
  url.searchParams.set("schema", schema);
  return {
    schema,
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A fresh Redis key prefix; `url` selects it (the `prefix` parameter the Redis bus understands). */
export function freshPrefix(redisUrl = REDIS_URL): {
  prefix: string;
  url: string;
  drop: () => Promise<void>;
} {
  const prefix = `parley_test_${randomBytes(6).toString("hex")}`;
  const url = new URL(redisUrl);
  url.searchParams.set("prefix", prefix);
  return {
    prefix,
    url: url.toString(),
    drop: async () => {
      const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
      redis.on("error", () => {});
      try {
        // Bounded: test runs create at most a few thousand keys.
        for (let cursor = "0", rounds = 0; rounds < 10_000; rounds++) {
          const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
          if (keys.length > 0) await redis.del(...keys);
          cursor = next;
          if (cursor === "0") break;
        }
      } finally {
        redis.disconnect();
      }
    },
  };
}
