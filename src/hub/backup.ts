/**
 * Backups of a SQLite hub, one archive file each: a consistent copy of the database made with SQLite's
 * online backup API (the hub may keep running and writing), plus the rest of the data folder — the TLS
 * certificate and key, stored files — and a manifest. `restore` unpacks one into an empty folder that a
 * hub then starts on. PostgreSQL hubs are backed up with pg_dump instead (docs/operations.md).
 */
import Database from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import * as tar from "tar";
import { SQLITE_FILE } from "./store/open.js";
import { MIGRATIONS, schemaVersion } from "./store/sqlite/migrations.js";
import { PID_FILE, runningHub } from "./pidfile.js";

export const BACKUP_FORMAT = 1;
const MANIFEST = "manifest.json";

export interface BackupManifest {
  format: number;
  createdAt: string;
  schemaVersion: number;
  /** What else came from the data folder (e.g. tls, files). */
  entries: string[];
}

export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackupError";
  }
}

/** Where the SQLite database of a hub lives, from its `--store` setting; PostgreSQL has none here. */
export function sqliteFileOf(store: string | undefined, dataDir: string): string {
  const spec = store?.trim() ?? "";
  if (spec === "" || spec === "sqlite") return join(resolve(dataDir), SQLITE_FILE);
  if (spec.startsWith("sqlite:") && spec.length > "sqlite:".length)
    return resolve(spec.slice("sqlite:".length));
  if (/^postgres(ql)?:\/\//i.test(spec)) {
    throw new BackupError(
      "this hub stores its data in PostgreSQL: back it up with pg_dump (see docs/operations.md, Backups)",
    );
  }
  throw new BackupError(`cannot back up the store "${spec.split(":")[0]}"`);
}

/** Files of the data folder that are not copied as they are: the live database and the pid file. */
function isLiveFile(name: string): boolean {
  return name === PID_FILE || name === SQLITE_FILE || name.startsWith(`${SQLITE_FILE}-`);
}

/**
 * Writes the archive `file` (a gzipped tar) of the hub whose data folder is `dataDir` and database
 * `dbFile`. Every message committed before the call started is in it.
 */
export async function backup(
  dataDir: string,
  dbFile: string,
  file: string,
): Promise<BackupManifest & { bytes: number; ms: number }> {
  const started = Date.now();
  try {
    await stat(dbFile);
  } catch {
    throw new BackupError(`no database at ${dbFile}: is --data-dir (or --store) the hub's?`);
  }
  const target = resolve(file);
  const staging = await mkdtemp(join(dirname(target), ".parley-backup-"));
  try {
    const source = new Database(dbFile, { readonly: true, fileMustExist: true });
    let version: number;
    try {
      source.pragma("busy_timeout = 5000");
      version = schemaVersion(source);
      // The first step copies 100 pages; then everything in one step. One step runs under one read
      // transaction, so a write by the hub meanwhile at worst restarts the copy, and the copy is
      // always of one committed state.
      await source.backup(join(staging, SQLITE_FILE), { progress: () => 0x7fffffff });
    } finally {
      source.close();
    }
    const entries: string[] = [];
    for (const name of await readdir(dataDir)) {
      if (isLiveFile(name) || name.startsWith(".parley-backup-")) continue;
      await cp(join(dataDir, name), join(staging, name), { recursive: true, preserveTimestamps: true });
      entries.push(name);
    }
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      createdAt: new Date(started).toISOString(),
      schemaVersion: version,
      entries,
    };
    await writeFile(join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    // Written beside the target and renamed: a failed backup never leaves a truncated archive behind.
    const partial = `${target}.${randomBytes(4).toString("hex")}.partial`;
    await tar.create({ gzip: true, file: partial, cwd: staging, portable: true }, [
      MANIFEST,
      SQLITE_FILE,
      ...entries,
    ]);
    await rename(partial, target);
    return { ...manifest, bytes: (await stat(target)).size, ms: Date.now() - started };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Unpacks a backup into `dataDir`, which must be empty or absent, and checks the database in it. */
export async function restore(file: string, dataDir: string): Promise<BackupManifest> {
  const target = resolve(dataDir);
  await mkdir(target, { recursive: true });
  const present = await readdir(target);
  if (present.length > 0) {
    const hub = runningHub(target);
    throw new BackupError(
      `${target} is not empty${hub ? ` (a hub is running on it, pid ${hub.pid})` : ""}: restore into a new or empty folder`,
    );
  }
  try {
    await tar.extract({
      file: resolve(file),
      cwd: target,
      strict: true,
      // Only plain files and folders: an archive cannot plant links or devices in the data folder.
      filter: (_path, entry) => "type" in entry && (entry.type === "File" || entry.type === "Directory"),
    });
    let manifest: BackupManifest;
    try {
      manifest = JSON.parse(await readFile(join(target, MANIFEST), "utf8")) as BackupManifest;
    } catch {
      throw new BackupError(`${basename(file)} is not a Parley backup (no ${MANIFEST})`);
    }
    if (manifest.format !== BACKUP_FORMAT) {
      throw new BackupError(`backup format ${manifest.format} is not one this version of parley reads`);
    }
    const known = MIGRATIONS.at(-1)?.version ?? 0;
    if (manifest.schemaVersion > known) {
      throw new BackupError(
        `the backup's database is schema v${manifest.schemaVersion}; this parley knows up to v${known}: upgrade parley`,
      );
    }
    const db = new Database(join(target, SQLITE_FILE), { fileMustExist: true });
    try {
      const check = db.pragma("quick_check", { simple: true });
      if (check !== "ok") throw new BackupError(`the backup's database is damaged: ${String(check)}`);
    } finally {
      db.close();
    }
    await rm(join(target, MANIFEST));
    return manifest;
  } catch (error) {
    // Leave the folder as it was: empty.
    for (const name of await readdir(target)) await rm(join(target, name), { recursive: true, force: true });
    if (error instanceof BackupError) throw error;
    throw new BackupError(`cannot restore ${basename(file)}: ${(error as Error).message}`);
  }
}
