/** The settings every connection to the SQLite database gets (the store's and the writer thread's). */
import type { Database } from "better-sqlite3";

export function configure(db: Database, synchronous: "normal" | "full" | undefined): void {
  if (!db.memory) db.pragma("journal_mode = WAL");
  // Why the default is NORMAL: see SqliteStoreOptions.synchronous.
  db.pragma(`synchronous = ${synchronous === "full" ? "FULL" : "NORMAL"}`);
  db.pragma("foreign_keys = ON");
  // Freed space is overwritten with zeros: a deleted message's body must leave no copy in the file.
  db.pragma("secure_delete = ON");
  // A second process (e.g. a backup or `sqlite3` shell) may hold the lock briefly; wait rather than fail.
  db.pragma("busy_timeout = 5000");
}
