/**
 * Chooses and opens the store named by the `--store` setting.
 *
 *   undefined | "sqlite"   SQLite at <dataDir>/parley.db
 *   "sqlite:PATH"          SQLite at PATH (relative to the working directory)
 *   "postgres://…"         PostgreSQL (cluster mode); `?schema=NAME` selects (and creates) a schema
 */
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { DiskFileStore } from "./blobs/disk.js";
import type { FileStore } from "./blobs/file-store.js";
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

/** Where shared files' bytes live, under the data folder (disk) unless the store is PostgreSQL. */
export const FILES_FOLDER = "files";

/**
 * The FileStore that goes with the store `spec`: PostgreSQL keeps the bytes in the same database (so
 * every node of a cluster serves every file); otherwise they are on disk in `<dataDir>/files`.
 */
export async function openFileStore(spec: string | undefined, dataDir: string): Promise<FileStore> {
  const s = spec?.trim() ?? "";
  if (/^postgres(ql)?:\/\//i.test(s)) {
    // Like the store: pg is loaded only when the spec names PostgreSQL.
    const { PgFileStore } = await import("./blobs/postgres.js");
    return PgFileStore.open(s);
  }
  return DiskFileStore.open(join(dataDir, FILES_FOLDER));
}

async function openSqlite(file: string, options: SqliteStoreOptions | undefined): Promise<Store> {
  if (file !== ":memory:") await mkdir(dirname(file), { recursive: true });
  return openSqliteStore(file, options);
}
