/**
 * The machine's PostgreSQL and Redis for `npm run bench:cluster`, with per-run isolation on them (the
 * whole team shares both): a fresh PostgreSQL schema and a fresh Redis key prefix per run, dropped
 * afterwards. Nothing else on the shared Redis is touched (never FLUSHALL/FLUSHDB).
 *
 * Also samples the CPU the two services use during a run: in cluster mode part of the work of a
 * delivery moves into them, so the nodes' CPU alone would flatter the cluster.
 */
import { Redis } from "ioredis";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import pg from "pg";

export const PG_URL =
  process.env.PARLEY_BENCH_PG ?? process.env.PARLEY_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL =
  process.env.PARLEY_BENCH_REDIS ?? process.env.PARLEY_TEST_REDIS ?? "redis://127.0.0.1:6379";

const START_HINT = "start them with scripts/ensure-services.sh, or set PARLEY_BENCH_PG / PARLEY_BENCH_REDIS";

/** Throws, naming what to start, when PostgreSQL or Redis does not answer. */
export async function checkServices(): Promise<void> {
  const problems: string[] = [];
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (err) {
    problems.push(`PostgreSQL at ${PG_URL}: ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
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
  } catch (err) {
    problems.push(`Redis at ${REDIS_URL}: ${(err as Error).message}`);
  } finally {
    redis.disconnect();
  }
  if (problems.length) throw new Error(`bench:cluster needs ${problems.join("; ")} (${START_HINT})`);
}

export interface Isolated {
  /** The schema or prefix name. */
  name: string;
  /** The store or bus spec that selects it. */
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty PostgreSQL schema (`?schema=` is PgStore's own parameter; the hub creates it). */
export function freshSchema(): Isolated {
  const name = `bench_${randomBytes(6).toString("hex")}`;
  const url = new URL(PG_URL);
  url.searchParams.set("schema", name);
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        // `name` is generated above from hex digits: safe to splice.
        await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A fresh Redis key prefix (`?prefix=` namespaces every key and channel of the bus); drop deletes its keys. */
export function freshPrefix(): Isolated {
  const name = `bench_${randomBytes(6).toString("hex")}`;
  const url = new URL(REDIS_URL);
  url.searchParams.set("prefix", name);
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      redis.on("error", () => {});
      try {
        // Bounded: a run leaves a few thousand keys at most (presence of its clients, limiter buckets).
        for (let cursor = "0", rounds = 0; rounds < 10_000; rounds++) {
          const [next, keys] = await redis.scan(cursor, "MATCH", `${name}:*`, "COUNT", 1000);
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

/** CPU time (ms) of every process per pid, for the services' processes; see `servicesCpu`. */
export interface ServicesSample {
  atMs: number;
  postgres: Map<number, number>;
  redis: Map<number, number>;
}

const TICKS_PER_SECOND = 100;

function cpuMsOf(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined; // the process ended between listing and reading
  }
}

/**
 * Every `postgres` process (the server and its backends: all clients of the machine's PostgreSQL, so
 * other work on it counts too) and the `redis-server` listening on REDIS_URL's port.
 */
export function sampleServices(): ServicesSample {
  const redisPort = new URL(REDIS_URL).port || "6379";
  const sample: ServicesSample = { atMs: performance.now(), postgres: new Map(), redis: new Map() };
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let comm: string;
    try {
      comm = readFileSync(`/proc/${pid}/comm`, "latin1").trim();
    } catch {
      continue;
    }
    if (comm === "postgres") {
      const cpu = cpuMsOf(pid);
      if (cpu !== undefined) sample.postgres.set(Number(pid), cpu);
    } else if (comm === "redis-server") {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "latin1");
      if (!cmdline.includes(`:${redisPort}`)) continue;
      const cpu = cpuMsOf(pid);
      if (cpu !== undefined) sample.redis.set(Number(pid), cpu);
    }
  }
  return sample;
}

/**
 * CPU shares (1.0 = one core) of PostgreSQL and Redis between two samples. A backend started during
 * the run counts from zero; one that ended during it is lost (pools keep theirs open, so few do).
 */
export function servicesCpu(a: ServicesSample, b: ServicesSample): { postgres: number; redis: number } {
  const wall = b.atMs - a.atMs;
  const share = (before: Map<number, number>, after: Map<number, number>): number => {
    let ms = 0;
    for (const [pid, cpu] of after) ms += cpu - (before.get(pid) ?? 0);
    return wall > 0 ? Math.round((ms / wall) * 100) / 100 : 0;
  };
  return { postgres: share(a.postgres, b.postgres), redis: share(a.redis, b.redis) };
}
