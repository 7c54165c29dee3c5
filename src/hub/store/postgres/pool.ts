/**
 * Opening a `pg` pool the way the store needs it: BIGINT columns (ms timestamps, ids, counts) come back
 * as numbers, and an optional schema is selected on every connection so that several hubs (or test
 * runs) can share one database without seeing each other's tables.
 */
import pg from "pg";

/** BIGINT: ids, seqs and ms timestamps stay far below 2^53, so numbers are exact. */
const INT8_OID = 20;

export interface PgOptions {
  /** `postgres://user@host:port/db`; a `schema` query parameter selects (and creates) a schema. */
  url: string;
  /** Overrides the URL's `schema` parameter. */
  schema?: string;
  /** Pool size per hub node. */
  max?: number;
}

export interface PgTarget {
  connectionString: string;
  schema?: string;
}

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/** Splits our own `schema` parameter from the URL so `pg` never sees it. */
export function parsePgUrl(url: string, schema?: string): PgTarget {
  const parsed = new URL(url);
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new Error(`not a PostgreSQL URL: ${parsed.protocol}`);
  }
  const fromUrl = parsed.searchParams.get("schema") ?? undefined;
  parsed.searchParams.delete("schema");
  const chosen = schema ?? fromUrl;
  // The schema name is spliced into SQL (search_path, CREATE SCHEMA), so only plain identifiers pass.
  if (chosen !== undefined && !SCHEMA_RE.test(chosen)) {
    throw new Error(`invalid schema name ${JSON.stringify(chosen)}: use a-z, 0-9 and _`);
  }
  return chosen === undefined
    ? { connectionString: parsed.toString() }
    : { connectionString: parsed.toString(), schema: chosen };
}

// Per-pool overrides rather than the global pg.types, so other pg users in the process are unaffected.
const types = new pg.TypeOverrides();
types.setTypeParser(INT8_OID, (value: string) => Number(value));

export function openPool(target: PgTarget, max = 10): pg.Pool {
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    max,
    // search_path as a startup option applies to every pooled connection before its first query.
    ...(target.schema !== undefined ? { options: `-c search_path=${target.schema}` } : {}),
    types,
  });
  // An idle client losing its connection (database restart) must not crash the hub; the pool replaces it.
  pool.on("error", () => {});
  return pool;
}
