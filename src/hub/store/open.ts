/**
 * Chooses and opens the store named by the `--store` setting.
 *
 *   undefined | "sqlite"   SQLite at <dataDir>/parley.db
 *   "sqlite:PATH"          SQLite at PATH (relative to the working directory)
 *   "postgres://…"         PostgreSQL (cluster mode); `?schema=NAME` selects (and creates) a schema
 */
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { openSqliteStore, type SqliteStoreOptions } from "./sqlite/index.js";
import type { Store } from "./store.js";

export class StoreSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreSpecError";
  }
}

export interface OpenStoreOptions {
  sqlite?: SqliteStoreOptions;
}

export const SQLITE_FILE = "parley.db";

export async function openStore(
  spec: string | undefined,
  dataDir: string,
  options: OpenStoreOptions = {},
): Promise<Store> {
  const s = spec?.trim() ?? "";
  if (s === "" || s === "sqlite") return openSqlite(join(dataDir, SQLITE_FILE), options.sqlite);
  if (s.startsWith("sqlite:")) {
    const path = s.slice("sqlite:".length);
    if (path === "") throw new StoreSpecError(`store "sqlite:" needs a path, e.g. sqlite:./chat.db`);
    return openSqlite(path === ":memory:" ? path : resolve(path), options.sqlite);
  }
  if (/^postgres(ql)?:\/\//i.test(s)) {
    // pg is loaded only for a PostgreSQL store: a SQLite hub never needs it.
    const { PgStore } = await import("./postgres/pg-store.js");
    return PgStore.open({ url: s });
  }
  // The spec may be a URL holding a password: name only its scheme in the error.
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(s)?.[0] ?? s.slice(0, 20);
  throw new StoreSpecError(`unknown store "${scheme}…": use sqlite, sqlite:PATH or postgres://…`);
}

async function openSqlite(file: string, options: SqliteStoreOptions | undefined): Promise<Store> {
  if (file !== ":memory:") await mkdir(dirname(file), { recursive: true });
  return openSqliteStore(file, options);
}
