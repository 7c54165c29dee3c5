/**
 * What the full-text index (migration v5's FTS5 triggers) costs the SQLite store's appends: bursts of
 * 5 × 20,000 appends (group commit, this thread) on a fresh file with the index's insert trigger, and
 * on one with the trigger dropped, alternating, three times each.
 *
 *   npx tsx bench/fts-append-cost.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { openSqliteStore } from "../src/hub/store/sqlite/index.js";

async function appendsPerSecond(withIndex: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "parley-fts-cost-"));
  const file = join(dir, "t.db");
  try {
    let store = await openSqliteStore(file);
    const u = await store.createUser({ username: "u1", displayName: "u", passwordHash: "x", createdAt: 1 });
    const r = await store.createRoom({ name: "r", ownerId: u.id, createdAt: 1 });
    await store.close();
    if (!withIndex) {
      const db = new Database(file);
      db.exec("DROP TRIGGER messages_fts_insert");
      db.close();
    }
    store = await openSqliteStore(file);
    const body = "a chat message of a typical length, about eighty characters long, give or take...";
    const t0 = performance.now();
    let n = 0;
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        Array.from({ length: 20_000 }, () =>
          store.appendMessage({ convId: r.convId, fromUserId: u.id, body, cid: `c${n++}`, ts: Date.now() }),
        ),
      );
    }
    const rate = n / ((performance.now() - t0) / 1000);
    await store.close();
    return Math.round(rate);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (let i = 0; i < 3; i++) {
  const indexed = await appendsPerSecond(true);
  const bare = await appendsPerSecond(false);
  console.log(`with the index ${indexed} appends/s, without ${bare} appends/s`);
}
