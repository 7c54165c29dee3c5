/** SQLite-specific behaviour beyond the shared contract: group commit, persistence, crash safety, closing. */
import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteStore, StoreClosedError, type SqliteStore } from "../../src/hub/store/sqlite/index.js";
import { revive } from "../../src/hub/store/sqlite/worker-appender.js";
import { StoreConflictError, StoreGoneError, StoreUnavailableError } from "../../src/hub/store/store.js";

const dir = mkdtempSync(join(tmpdir(), "parley-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = () => join(dir, `s${++n}.db`);

async function seed(store: SqliteStore) {
  const user = await store.createUser({
    username: "alice",
    displayName: "Alice",
    passwordHash: "h",
    createdAt: 1,
  });
  const room = await store.createRoom({ name: "general", ownerId: user.id, createdAt: 1 });
  return { user, room };
}

describe("SqliteStore", () => {
  it("gives 1,000 concurrent appends to one conversation the seqs 1..1000 exactly once, in few commits", async () => {
    const store = await openSqliteStore(file());
    const { user, room } = await seed(store);
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        store.appendMessage({ convId: room.convId, fromUserId: user.id, body: `m${i}`, cid: `c${i}`, ts: i }),
      ),
    );
    const seqs = results.map((r) => r.message.seq);
    expect(new Set(seqs).size).toBe(1000);
    expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    // Call order is seq order: the queue is written first in, first out.
    expect(seqs).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(results.every((r) => !r.duplicate)).toBe(true);
    expect(await store.lastSeq(room.convId)).toBe(1000);
    // Issued in one turn, they share one transaction.
    expect(store.appendStats()).toEqual({ commits: 1, appends: 1000 });
    await store.close();
  });

  it("without group commit writes one transaction per append", async () => {
    const store = await openSqliteStore(":memory:", { groupCommit: "off" });
    const { user, room } = await seed(store);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.appendMessage({ convId: room.convId, fromUserId: user.id, body: "x", cid: `c${i}`, ts: i }),
      ),
    );
    expect(store.appendStats()).toEqual({ commits: 20, appends: 20 });
    await store.close();
  });

  it("keeps everything across close and reopen, and leaves no WAL behind", async () => {
    const path = file();
    const first = await openSqliteStore(path);
    const { user, room } = await seed(first);
    await first.setRead(user.id, room.convId, 1);
    const sent = await first.appendMessage({
      convId: room.convId,
      fromUserId: user.id,
      body: "kept",
      cid: "k",
      ts: 5,
    });
    await first.close();
    const wal = `${path}-wal`;
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);

    const second = await openSqliteStore(path);
    expect(await second.getUserByName("ALICE")).toEqual(user);
    expect((await second.getRoom("general"))?.lastSeq).toBe(1);
    expect(await second.history(room.convId, { limit: 10 }, user.id)).toEqual([sent.message]);
    expect(await second.getRead(user.id, room.convId)).toBe(1);
    const next = await second.appendMessage({
      convId: room.convId,
      fromUserId: user.id,
      body: "b",
      cid: "k2",
      ts: 6,
    });
    expect(next.message.seq).toBe(2);
    await second.close();
  });

  it("puts the database file in WAL mode with foreign keys enforced", async () => {
    const path = file();
    const store = await openSqliteStore(path);
    const { room } = await seed(store);
    // A member row for a user that does not exist violates a foreign key.
    await expect(store.addMember(room.id, 9999, "member", 1)).rejects.toThrow(/FOREIGN KEY/);
    await store.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
  });

  it("rejects calls once closed; closing twice is harmless", async () => {
    const store = await openSqliteStore(":memory:");
    await store.close();
    await store.close();
    await expect(store.getUserByName("x")).rejects.toBeInstanceOf(StoreClosedError);
    await expect(
      store.appendMessage({ convId: 1, fromUserId: 1, body: "x", cid: "c", ts: 1 }),
    ).rejects.toBeInstanceOf(StoreClosedError);
  });

  it("appends in a writer thread: typed store errors stay typed, other writes keep call order", async () => {
    const path = file();
    const store = await openSqliteStore(path, { appendIn: "worker" });
    const { user, room } = await seed(store);
    // A failing append (no such conversation) fails alone; its group's others are stored.
    const outcomes = await Promise.allSettled([
      store.appendMessage({ convId: room.convId, fromUserId: user.id, body: "a", cid: "w1", ts: 1 }),
      store.appendMessage({ convId: 9999, fromUserId: user.id, body: "b", cid: "w2", ts: 1 }),
      store.appendMessage({ convId: room.convId, fromUserId: user.id, body: "c", cid: "w3", ts: 1 }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const gone = (outcomes[1] as PromiseRejectedResult).reason as StoreGoneError;
    expect(gone).toBeInstanceOf(StoreGoneError);
    expect([gone.what, gone.id]).toEqual(["conversation", 9999]);
    // A write called after appends runs after them: the read marker sees their seqs.
    const appended = store.appendMessage({
      convId: room.convId,
      fromUserId: user.id,
      body: "d",
      cid: "w4",
      ts: 1,
    });
    await store.setRead(user.id, room.convId, 3);
    expect((await appended).message.seq).toBe(3);
    expect(await store.getRead(user.id, room.convId)).toBe(3);
    await store.close();
    // The store's error classes survive the thread boundary with their fields.
    const revived = revive({
      name: "StoreConflictError",
      message: "room already exists",
      props: { what: "room" },
    });
    expect(revived).toBeInstanceOf(StoreConflictError);
    expect((revived as StoreConflictError).what).toBe("room");
  });

  // The writer thread's refusal crosses the thread as data (the hub's thread: test/integration/disk-full).
  // Slow by nature: the lock is waited for (busy_timeout, 5 s), then once more for the group's retry.
  it("a write the storage refuses in the writer thread rejects with StoreUnavailableError", async () => {
    const path = file();
    const store = await openSqliteStore(path, { appendIn: "worker" });
    const { user, room } = await seed(store);
    // Another connection holds the write lock past busy_timeout (5 s): SQLITE_BUSY, the storage
    // refusing, for the appending connection wherever it runs.
    const other = new Database(path);
    other.exec("BEGIN IMMEDIATE");
    try {
      const refused = await store
        .appendMessage({ convId: room.convId, fromUserId: user.id, body: "x", cid: "busy", ts: 1 })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(refused).toBeInstanceOf(StoreUnavailableError);
      expect(((refused as Error).cause as { code?: string }).code).toMatch(/^SQLITE_BUSY/);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    // Space (here: the lock) is back: the same cid is stored, once.
    const stored = await store.appendMessage({
      convId: room.convId,
      fromUserId: user.id,
      body: "x",
      cid: "busy",
      ts: 1,
    });
    expect(stored.duplicate).toBe(false);
    await store.close();
  }, 30_000);

  // Starts a child process (whose store may start a writer thread): slow on a loaded machine.
  it.each(["thread", "worker"] as const)(
    "keeps every acknowledged append when the process is killed with SIGKILL (synchronous=NORMAL, appends in %s)",
    { timeout: 90_000 },
    async (appendIn) => {
      const path = file();
      const setup = await openSqliteStore(path);
      const { user, room } = await seed(setup);
      await setup.close();

      // A child appends in batches and prints each seq once its promise resolved (= acknowledged).
      const storeModule = resolve("src/hub/store/sqlite/index.ts");
      const script = `
      const { openSqliteStore } = await import(${JSON.stringify(storeModule)});
      const store = await openSqliteStore(${JSON.stringify(path)}, { appendIn: ${JSON.stringify(appendIn)} });
      for (let i = 0; i < 100000; i++) {
        const batch = Array.from({ length: 10 }, (_, j) =>
          store.appendMessage({ convId: ${room.convId}, fromUserId: ${user.id}, body: "m", cid: "c" + (i * 10 + j), ts: 1 })
            .then((r) => process.stdout.write(r.message.seq + "\\n")));
        await Promise.all(batch);
      }`;
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      const acked: number[] = [];
      let buffer = "";
      await new Promise<void>((done, fail) => {
        const timer = setTimeout(() => {
          child.kill("SIGKILL"); // never leave it running
          fail(new Error("child did not acknowledge 300 appends in 20 s"));
        }, 20_000);
        child.stdout.on("data", (chunk: Buffer) => {
          buffer += chunk.toString();
          const lines = buffer.split("\n");
          buffer = lines.pop() ?? "";
          for (const line of lines) acked.push(Number(line));
          if (acked.length >= 300 && !child.killed) {
            clearTimeout(timer);
            child.kill("SIGKILL");
          }
        });
        child.on("exit", () => {
          clearTimeout(timer);
          done();
        });
      });
      expect(acked.length).toBeGreaterThanOrEqual(300);

      const reopened = await openSqliteStore(path);
      const stored = new Set<number>();
      let after = 0;
      for (let page = 0; page < 1000; page++) {
        const ms = await reopened.history(room.convId, { after, limit: 200 }, user.id);
        if (ms.length === 0) break;
        for (const m of ms) stored.add(m.seq);
        after = ms.at(-1)!.seq;
      }
      await reopened.close();
      const missing = acked.filter((s) => !stored.has(s));
      expect(missing).toEqual([]);
      // Stored seqs are gap-free from 1: nothing half-written.
      expect([...stored].sort((a, b) => a - b)).toEqual(Array.from({ length: stored.size }, (_, i) => i + 1));
    },
  );
});

describe("SqliteStore: the full-text index, filled off the send path (#12)", () => {
  const word = (text: string) => [{ kind: "word" as const, text }];

  it("a search right after a burst finds every message; the index catches up by itself too", async () => {
    const path = file();
    const store = await openSqliteStore(path);
    const { user, room } = await seed(store);
    await Promise.all(
      Array.from({ length: 5000 }, (_, i) =>
        store.appendMessage({
          convId: room.convId,
          fromUserId: user.id,
          body: `burst ${i}`,
          cid: `b${i}`,
          ts: i,
        }),
      ),
    );
    const q = { convIds: [room.convId], viewerId: user.id, sort: "newest" as const, limit: 50 };
    expect(await store.search({ ...q, terms: word("burst") })).toHaveLength(50);
    await store.appendMessage({
      convId: room.convId,
      fromUserId: user.id,
      body: "later one",
      cid: "l",
      ts: 1,
    });
    // Without a search, the store indexes a moment after the append.
    const db = new Database(path, { readonly: true });
    const mark = () =>
      (db.prepare("SELECT indexed_to FROM fts_progress").get() as { indexed_to: number }).indexed_to;
    const deadline = Date.now() + 5000;
    while (mark() < 5001 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(mark()).toBe(5001);
    db.close();
    await store.close();
  });

  it("indexes at once a message given the id of a deleted one (SQLite reuses the largest rowid)", async () => {
    const store = await openSqliteStore(file());
    const { user, room } = await seed(store);
    const bob = await store.createUser({
      username: "bob",
      displayName: "Bob",
      passwordHash: "h",
      createdAt: 1,
    });
    const q = { convIds: [room.convId], viewerId: user.id, sort: "newest" as const, limit: 50 };
    await store.appendMessage({
      convId: room.convId,
      fromUserId: user.id,
      body: "alpha one",
      cid: "1",
      ts: 1,
    });
    const last = await store.appendMessage({
      convId: room.convId,
      fromUserId: bob.id,
      body: "alpha bee",
      cid: "2",
      ts: 2,
    });
    expect(await store.search({ ...q, terms: word("alpha") })).toHaveLength(2);
    await store.deleteUser(bob.id, { erase: true, at: 3 });
    const again = await store.appendMessage({
      convId: room.convId,
      fromUserId: user.id,
      body: "alpha reused",
      cid: "3",
      ts: 4,
    });
    expect(again.message.id).toBe(last.message.id);
    expect((await store.search({ ...q, terms: word("reused") })).map((h) => h.message.id)).toEqual([
      again.message.id,
    ]);
    expect(await store.search({ ...q, terms: word("bee") })).toEqual([]);
    await store.close();
  });
});
