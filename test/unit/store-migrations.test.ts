/**
 * Migrations of the SQLite store. As thelounge does, a frozen copy of an old schema (v1, exactly as
 * released) is filled with data and migrated; the data must survive. The frozen copy is never edited: a
 * schema change is a new step in migrations.ts, and the second test fails if a released step is changed.
 */
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteStore, SchemaTooNewError } from "../../src/hub/store/sqlite/index.js";
import { MIGRATIONS, migrate, schemaVersion, type Migration } from "../../src/hub/store/sqlite/migrations.js";

const dir = mkdtempSync(join(tmpdir(), "parley-migrate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = () => join(dir, `m${++n}.db`);

// Frozen: schema v1 as released. Do not edit.
const FROZEN_V1 = `
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  username      TEXT    NOT NULL,
  username_key  TEXT    NOT NULL,
  display_name  TEXT    NOT NULL,
  display_key   TEXT    NOT NULL,
  first_name    TEXT,
  last_name     TEXT,
  password_hash TEXT    NOT NULL,
  created_at    INTEGER NOT NULL,
  last_seen     INTEGER
) STRICT;
CREATE UNIQUE INDEX users_username_key ON users (username_key); -- login, lookup by name, search
CREATE INDEX users_display_key ON users (display_key);         -- search by display name

CREATE TABLE sessions (
  token_hash TEXT    PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  device     TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);              -- end all of a user's sessions

CREATE TABLE conversations (
  id       INTEGER PRIMARY KEY,
  kind     TEXT    NOT NULL CHECK (kind IN ('room', 'dm')),
  last_seq INTEGER NOT NULL DEFAULT 0,
  user_a   INTEGER REFERENCES users (id),
  user_b   INTEGER REFERENCES users (id),
  CHECK ((kind = 'dm') = (user_a IS NOT NULL AND user_b IS NOT NULL AND user_a <= user_b))
) STRICT;
CREATE UNIQUE INDEX conversations_dm ON conversations (user_a, user_b) WHERE kind = 'dm'; -- DM lookup
CREATE INDEX conversations_dm_b ON conversations (user_b) WHERE kind = 'dm';             -- DM list

CREATE TABLE rooms (
  id            INTEGER PRIMARY KEY,
  name          TEXT    NOT NULL,
  name_key      TEXT    NOT NULL,
  conv_id       INTEGER NOT NULL REFERENCES conversations (id),
  description   TEXT,
  password_hash TEXT,
  capacity      INTEGER,
  created_at    INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX rooms_name_key ON rooms (name_key);       -- lookup by name, list by prefix
CREATE UNIQUE INDEX rooms_conv ON rooms (conv_id);

-- The rowid breaks ties between equal joined_at: a newer row always gets a larger rowid than any
-- existing one, which is the join order the succession rule needs.
CREATE TABLE members (
  room_id   INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role      TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  joined_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX members_room_user ON members (room_id, user_id); -- membership checks
CREATE INDEX members_room_order ON members (room_id, joined_at);     -- members by room, succession
CREATE INDEX members_user ON members (user_id);                      -- rooms of a user

CREATE TABLE bans (
  room_id    INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  by_user_id INTEGER NOT NULL REFERENCES users (id),
  at         INTEGER NOT NULL,
  reason     TEXT,
  PRIMARY KEY (room_id, user_id)                                   -- bans by room, isBanned
) STRICT, WITHOUT ROWID;

CREATE TABLE messages (
  id           INTEGER PRIMARY KEY,
  conv_id      INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  seq          INTEGER NOT NULL,
  ts           INTEGER NOT NULL,
  from_user_id INTEGER NOT NULL REFERENCES users (id),
  body         TEXT    NOT NULL,
  cid          TEXT,
  hidden_for   INTEGER REFERENCES users (id)
) STRICT;
CREATE UNIQUE INDEX messages_conv_seq ON messages (conv_id, seq);  -- history, unread, cascade
CREATE UNIQUE INDEX messages_cid ON messages (from_user_id, cid);  -- idempotent sends

CREATE TABLE read_markers (
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  conv_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  seq     INTEGER NOT NULL,
  PRIMARY KEY (user_id, conv_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX read_markers_conv ON read_markers (conv_id);          -- cascade on room deletion

CREATE TABLE room_mutes (
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, room_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX room_mutes_room ON room_mutes (room_id);              -- cascade on room deletion

CREATE TABLE user_mutes (
  user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  muted_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, muted_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE blocks (
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  blocked_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, blocked_id)                                -- isBlocked, settings
) STRICT, WITHOUT ROWID;

CREATE TABLE peers (
  user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  key        TEXT    NOT NULL,
  endpoints  TEXT    NOT NULL, -- JSON array of {host, port}
  updated_at INTEGER NOT NULL
) STRICT;
`;

/** Data as a v1 hub wrote it: two users (one renamed), a room with roles, a ban, messages, a DM, settings. */
const V1_DATA = `
INSERT INTO users (id, username, username_key, display_name, display_key, first_name, last_name, password_hash, created_at, last_seen)
  VALUES (1, 'Alice', 'alice', 'Alice A.', 'alice a.', 'Alice', NULL, 'h1', 1000, 5000),
         (2, 'bob', 'bob', 'Bob', 'bob', NULL, NULL, 'h2', 1001, NULL),
         (3, 'carol', 'carol', 'Carol', 'carol', NULL, NULL, 'h3', 1002, NULL);
INSERT INTO sessions (token_hash, user_id, device, created_at, expires_at) VALUES ('tok', 1, 'laptop', 2000, 9000);
INSERT INTO conversations (id, kind, last_seq, user_a, user_b) VALUES (1, 'room', 2, NULL, NULL), (2, 'dm', 1, 1, 2);
INSERT INTO rooms (id, name, name_key, conv_id, description, password_hash, capacity, created_at)
  VALUES (1, 'General', 'general', 1, 'all', NULL, 10, 1500);
INSERT INTO members (room_id, user_id, role, joined_at) VALUES (1, 1, 'owner', 1500), (1, 2, 'admin', 1600);
INSERT INTO bans (room_id, user_id, by_user_id, at, reason) VALUES (1, 3, 1, 1700, 'spam');
INSERT INTO messages (id, conv_id, seq, ts, from_user_id, body, cid, hidden_for)
  VALUES (1, 1, 1, 3000, 1, 'hello', 'c1', NULL), (2, 1, 2, 3001, 2, 'hi', 'c1', NULL), (3, 2, 1, 3002, 1, 'psst', 'c2', NULL);
INSERT INTO read_markers (user_id, conv_id, seq) VALUES (2, 1, 1);
INSERT INTO room_mutes (user_id, room_id) VALUES (2, 1);
INSERT INTO user_mutes (user_id, muted_id) VALUES (1, 3);
INSERT INTO blocks (user_id, blocked_id) VALUES (2, 3);
INSERT INTO peers (user_id, key, endpoints, updated_at) VALUES (1, 'pk', '[{"host":"127.0.0.1","port":4100}]', 4000);
PRAGMA user_version = 1;
`;

function frozenV1(path: string): void {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.exec(FROZEN_V1);
  db.exec(V1_DATA);
  db.close();
}

/** The schema as SQLite stores it, whitespace normalised, for comparison. */
function schemaOf(db: Database.Database): string[] {
  const rows = db
    .prepare<[], { sql: string }>("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
    .all();
  return rows.map((r) =>
    r.sql
      .replace(/--[^\n]*/g, "")
      .replace(/\s+/g, " ")
      .trim(),
  );
}

describe("SQLite migrations", () => {
  it("migrates a frozen v1 database with data to the current schema, losing nothing but the stale peer announcement", async () => {
    const path = file();
    frozenV1(path);
    const store = await openSqliteStore(path);
    try {
      const alice = await store.getUserByName("ALICE");
      expect(alice).toMatchObject({
        id: 1,
        username: "Alice",
        displayName: "Alice A.",
        firstName: "Alice",
        lastSeen: 5000,
      });
      expect(await store.getSession("tok")).toEqual({
        tokenHash: "tok",
        userId: 1,
        device: "laptop",
        createdAt: 2000,
        expiresAt: 9000,
      });
      const room = await store.getRoom("general");
      expect(room).toMatchObject({
        id: 1,
        name: "General",
        description: "all",
        capacity: 10,
        lastSeq: 2,
        memberCount: 2,
      });
      expect((await store.getMembers(1)).map((m) => [m.username, m.role])).toEqual([
        ["Alice", "owner"],
        ["bob", "admin"],
      ]);
      expect(await store.getBans(1)).toEqual([
        { userId: 3, username: "carol", byUsername: "Alice", at: 1700, reason: "spam" },
      ]);
      expect((await store.history(1, { limit: 10 }, 2)).map((m) => [m.seq, m.from, m.body])).toEqual([
        [1, "Alice", "hello"],
        [2, "bob", "hi"],
      ]);
      expect(await store.getRead(2, 1)).toBe(1);
      expect(await store.dmConversations(2)).toEqual([
        {
          convId: 2,
          otherUserId: 1,
          otherUsername: "Alice",
          lastSeq: 1,
          readSeq: 0,
          unread: 1,
          hasVisible: true,
        },
      ]);
      expect(await store.getSettings(2)).toEqual({
        mutedRooms: ["General"],
        mutedUsers: [],
        blocked: ["carol"],
      });
      expect(await store.getSettings(1)).toEqual({ mutedRooms: [], mutedUsers: ["carol"], blocked: [] });
      // v2 replaced the one key per user by devices; the old announcement is not carried over (the
      // client announces again after its next login), and the new tables start empty.
      expect(await store.listDevices(1)).toEqual([]);
      expect(await store.getMasterKey(1)).toBeUndefined();
      // Old data keeps working: seq continues, an old cid is still recognised.
      const next = await store.appendMessage({
        convId: 1,
        fromUserId: 1,
        body: "again",
        cid: "c9",
        ts: 6000,
      });
      expect(next.message.seq).toBe(3);
      const dup = await store.appendMessage({ convId: 1, fromUserId: 1, body: "retry", cid: "c1", ts: 6001 });
      expect(dup).toMatchObject({ duplicate: true, message: { id: 1, body: "hello" } });
      // v8: old messages are ordinary ones without client tags; new ones may be notices with tags.
      const old = await store.getMessage(1);
      expect([old?.notice, old?.clientTags]).toEqual([undefined, undefined]);
      const tagged = await store.appendMessage({
        convId: 1,
        fromUserId: 1,
        body: "bot",
        cid: "c10",
        ts: 6002,
        notice: true,
        clientTags: { "+k": "v" },
      });
      expect(await store.getMessage(tagged.message.id)).toMatchObject({
        notice: true,
        clientTags: { "+k": "v" },
      });
    } finally {
      await store.close();
    }
    const db = new Database(path, { readonly: true });
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)?.version);
    db.close();
  });

  it("v1 as built by the migration steps is exactly the frozen v1 (released steps are never edited)", () => {
    const fromSteps = new Database(":memory:");
    migrate(
      fromSteps,
      MIGRATIONS.filter((m) => m.version <= 1),
    );
    const frozen = new Database(":memory:");
    frozen.exec(FROZEN_V1);
    expect(schemaOf(fromSteps)).toEqual(schemaOf(frozen));
    expect(schemaOf(fromSteps).length).toBeGreaterThan(10);
    fromSteps.close();
    frozen.close();
  });

  it("applies each later step once, in order, and records the version", () => {
    const db = new Database(":memory:");
    const steps: Migration[] = [
      ...MIGRATIONS,
      { version: MIGRATIONS.length + 1, name: "add a column", sql: "ALTER TABLE users ADD COLUMN note TEXT" },
      { version: MIGRATIONS.length + 2, name: "fill it", sql: "UPDATE users SET note = 'x'" },
    ];
    expect(migrate(db, steps)).toBe(0);
    expect(schemaVersion(db)).toBe(steps.length);
    // A second run is a no-op (the ALTER would fail if it ran again).
    expect(migrate(db, steps)).toBe(steps.length);
    expect(schemaVersion(db)).toBe(steps.length);
    db.close();
  });

  it("rolls a failing step back entirely and stays at the previous version", () => {
    const db = new Database(":memory:");
    migrate(db);
    const v = schemaVersion(db);
    const bad: Migration = {
      version: v + 1,
      name: "half done",
      sql: "CREATE TABLE half (x INTEGER); INSERT INTO no_such_table VALUES (1);",
    };
    expect(() => migrate(db, [...MIGRATIONS, bad])).toThrow(/no_such_table/);
    expect(schemaVersion(db)).toBe(v);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
    db.close();
  });

  it("refuses a database from a newer parley and leaves it untouched", async () => {
    const path = file();
    const db = new Database(path);
    db.pragma("user_version = 99");
    db.close();
    await expect(openSqliteStore(path)).rejects.toBeInstanceOf(SchemaTooNewError);
    const after = new Database(path, { readonly: true });
    expect(schemaVersion(after)).toBe(99);
    expect(after.prepare("SELECT COUNT(*) AS n FROM sqlite_master").get()).toEqual({ n: 0 });
    after.close();
  });

  it("rejects a list of steps with a gap in its numbering", () => {
    const db = new Database(":memory:");
    expect(() => migrate(db, [{ version: 2, name: "skipped one", sql: "SELECT 1" }])).toThrow(
      /numbered 2, expected 1/,
    );
    expect(schemaVersion(db)).toBe(0);
    db.close();
  });
});
