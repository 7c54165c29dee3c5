/** Helpers shared by the SQLite repositories. */
import type { Database, Statement } from "better-sqlite3";
import { fold } from "../../ids.js";

/** The `*_key` columns hold names folded (ids.ts): "Alice" and "alice" collide. */
export const nameKey = fold;

/**
 * [low, high) bounds matching every key that starts with `prefix` under SQLite's binary collation, so a
 * prefix search is an index range scan. U+10FFFF is the largest code point, so no continuation sorts past it.
 */
export function prefixRange(prefix: string): { low: string; high: string } {
  const low = nameKey(prefix);
  return { low, high: `${low}\u{10FFFF}` };
}

/** A unique-constraint violation from better-sqlite3. */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Error && "code" in err && err.code === "SQLITE_CONSTRAINT_UNIQUE";
}

/** Drops nulls so optional record fields are absent rather than null. */
export function opt<T>(value: T | null): T | undefined {
  return value === null ? undefined : value;
}

/** Typed statement creation: bind parameters as a named object, rows as `R`. */
export function stmt<P extends object, R = unknown>(db: Database, sql: string): Statement<[P], R> {
  return db.prepare<[P], R>(sql);
}

/** A row the statement guarantees (e.g. RETURNING after a write that matched), or a clear error. */
export function must<T>(row: T | undefined, message: string): T {
  if (row === undefined) throw new Error(message);
  return row;
}

/** Removes keys whose value is undefined, so records read back carry only the optional fields that are set. */
export function compact<T extends object>(record: T): T {
  for (const key of Object.keys(record) as Array<keyof T>) if (record[key] === undefined) delete record[key];
  return record;
}
