/**
 * What the full-text index (migration v5) costs the SQLite store's appends: bursts of 5 × 20,000
 * appends (group commit, this thread) on a fresh file, then a search, which waits until the index has
 * caught up with them; and the same on a file whose index is switched off (its triggers dropped, its
 * mark put past any id). Alternating, three times each.
 *
 *   npx tsx bench/fts-append-cost.ts
 *
 * "acked" is the appends' own rate (the index fills off the send path, after them); "indexed" the
 * rate counting the time until the index holds them all.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { openSqliteStore } from "../src/hub/store/sqlite/index.js";

async function run(withIndex: boolean): Promise<{ acked: number; indexed: number }> {
  const dir = mkdtempSync(join(tmpdir(), "parley-fts-cost-"));
  const file = join(dir, "t.db");
  try {
    let store = await openSqliteStore(file);
    const u = await store.createUser({ username: "u1", displayName: "u", passwordHash: "x", createdAt: 1 });
    const r = await store.createRoom({ name: "r", ownerId: u.id, createdAt: 1 });
    await store.close();
    if (!withIndex) {
      const db = new Database(file);
      db.exec(`DROP TRIGGER messages_fts_insert; DROP TRIGGER messages_fts_update;
               DROP TRIGGER messages_fts_delete; UPDATE fts_progress SET indexed_to = 9e15`);
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
    const acked = performance.now() - t0;
    await store.search({
      terms: [{ kind: "word", text: "typical" }],
      convIds: [r.convId],
      viewerId: u.id,
      sort: "newest",
      limit: 1,
    });
    const indexed = performance.now() - t0;
    await store.close();
    return { acked: Math.round(n / (acked / 1000)), indexed: Math.round(n / (indexed / 1000)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (let i = 0; i < 3; i++) {
  const a = await run(true);
  const b = await run(false);
  console.log(
    `with the index: ${a.acked} appends/s acked, ${a.indexed}/s indexed; without: ${b.acked} appends/s`,
  );
}
