/**
 * Versioned schema migrations for the SQLite store.
 *
 * The database's `PRAGMA user_version` holds the number of the last step applied. Steps run in order,
 * each in its own transaction together with the bump of `user_version`, so a failing step leaves the
 * database exactly at the previous version. A released step is never edited: a change is a new step
 * appended to the list (test/unit/store-migrations.test.ts keeps a frozen copy of v1 to catch this).
 */
import type { Database } from "better-sqlite3";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export class SchemaTooNewError extends Error {
  constructor(
    public readonly found: number,
    public readonly known: number,
  ) {
    super(
      `database schema is v${found} but this version of parley knows only up to v${known}; upgrade parley`,
    );
    this.name = "SchemaTooNewError";
  }
}

/*
 * v1 — the first schema.
 * - Everything is keyed by integer ids, so a rename keeps history, roles, mutes and blocks.
 * - Names are unique ignoring case through a lowercased `*_key` column with a UNIQUE index; the
 *   spelling given is kept in the plain column.
 * - A room owns one conversation; a DM conversation is between user_a <= user_b (normalised).
 * - Each index below serves a query path named beside it.
 */
const V1 = `
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

/*
 * v2 — shared files (src/hub/store/file-records.ts). The bytes are in the FileStore, named by `blob`
 * (SHA-256); a row is one upload. (owner_id, cid) links an attached file to its message, so messages
 * need no new column. Usage counts per user and UTC day make the daily quota.
 */
const V2 = `
CREATE TABLE files (
  id              TEXT    PRIMARY KEY,
  owner_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  conv_id         INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  name            TEXT    NOT NULL,
  size            INTEGER NOT NULL,
  declared_type   TEXT,
  state           TEXT    NOT NULL CHECK (state IN ('prepared', 'uploading', 'stored', 'attached')),
  created_at      INTEGER NOT NULL,
  slot_expires_at INTEGER NOT NULL,
  started_at      INTEGER,
  blob            TEXT,
  type            TEXT,
  uploaded_at     INTEGER,
  width           INTEGER,
  height          INTEGER,
  thumb_blob      TEXT,
  thumb_width     INTEGER,
  thumb_height    INTEGER,
  thumb_type      TEXT,
  cid             TEXT
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX files_message ON files (owner_id, cid) WHERE cid IS NOT NULL; -- files of messages
CREATE INDEX files_conv ON files (conv_id);                                      -- room deletion
CREATE INDEX files_blob ON files (blob) WHERE blob IS NOT NULL;                  -- blob in use?
CREATE INDEX files_thumb ON files (thumb_blob) WHERE thumb_blob IS NOT NULL;
CREATE INDEX files_state ON files (state, slot_expires_at);                      -- expiry sweep

CREATE TABLE file_usage (
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  day     INTEGER NOT NULL, -- days since the epoch, UTC
  bytes   INTEGER NOT NULL,
  PRIMARY KEY (user_id, day)
) STRICT, WITHOUT ROWID;

CREATE TABLE hub_secrets (
  name  TEXT PRIMARY KEY,
  value BLOB NOT NULL
) STRICT, WITHOUT ROWID;
`;

/*
 * v3 — running a hub: server admins, suspensions, one-time password resets, deleted accounts and the
 * audit log of admin actions.
 * - A deleted account stays as a tombstone row (so the ids of kept messages and bans stay valid) named
 *   "deleted user", with a username_key no name can produce (it starts with a character usernames never
 *   hold), so the name is free at once; look-ups by name and searches skip rows with deleted_at.
 * - The audit log keeps the actor and target as text: they must outlive renames and deletions.
 */
const V3 = `
ALTER TABLE users ADD COLUMN server_admin     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN suspended_at     INTEGER;
ALTER TABLE users ADD COLUMN suspend_reason   TEXT;
ALTER TABLE users ADD COLUMN reset_hash       TEXT;
ALTER TABLE users ADD COLUMN reset_expires_at INTEGER;
ALTER TABLE users ADD COLUMN deleted_at       INTEGER;

CREATE TABLE audit_log (
  id     INTEGER PRIMARY KEY,                                      -- newest first by id
  at     INTEGER NOT NULL,
  actor  TEXT    NOT NULL,
  action TEXT    NOT NULL,
  target TEXT,
  detail TEXT
) STRICT;
`;

/*
 * v4 — a key per device (docs/p2p.md). `peers` held one key per user (the latest device won); its rows
 * are not carried over: clients announce after every login, so the next one fills `peer_devices`.
 * A revoked device keeps its row (revoked_at set), so the same key cannot be announced again.
 */
const V4 = `
CREATE TABLE peer_masters (
  user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  key        TEXT    NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE peer_devices (
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  device_id  TEXT    NOT NULL,
  key        TEXT    NOT NULL,
  sign_key   TEXT,
  enc_key    TEXT,
  name       TEXT,
  signature  TEXT,
  endpoints  TEXT    NOT NULL, -- JSON array of {host, port}
  created_at INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  revoked_at INTEGER,
  PRIMARY KEY (user_id, device_id)                                 -- device by id, devices of a user
) STRICT, WITHOUT ROWID;

DROP TABLE peers;
`;

/*
 * v5 — edit, delete, reply, reactions and full-text search (#12).
 * - Edits, deletions and reactions are entries of their own, numbered in the conversation's seq like
 *   messages (a resume replays them in order); the message row holds the current state.
 * - messages_fts indexes message bodies (FTS5, external content: the text is stored once, in
 *   messages). It is filled off the send path: fts_progress.indexed_to says up to which message id
 *   it holds the bodies, and the store indexes what follows in batches after appends and before
 *   every search (sqlite/entries.ts `catchUp`). Triggers keep the indexed rows in step with every
 *   body change and delete (and index at once a row inserted at or below the mark, as when the
 *   newest message was deleted and its id is given again); `secure-delete` makes FTS5 remove a deleted
 *   row's terms from the index instead of adding delete markers, so an erased body leaves no words
 *   behind in it. Rows with an empty body (files, tombstones) are not indexed.
 */
const V5 = `
ALTER TABLE messages ADD COLUMN reply_to   INTEGER;
ALTER TABLE messages ADD COLUMN edited_at  INTEGER;
ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
ALTER TABLE messages ADD COLUMN deleted_by INTEGER REFERENCES users (id);

CREATE TABLE message_entries (
  id         INTEGER PRIMARY KEY,
  conv_id    INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  ts         INTEGER NOT NULL,
  kind       TEXT    NOT NULL CHECK (kind IN ('edit', 'delete', 'react', 'unreact')),
  message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  body       TEXT    NOT NULL,
  cid        TEXT,
  hidden_for INTEGER REFERENCES users (id)
) STRICT;
CREATE UNIQUE INDEX message_entries_conv_seq ON message_entries (conv_id, seq);       -- replay
CREATE UNIQUE INDEX message_entries_cid ON message_entries (user_id, cid) WHERE cid IS NOT NULL; -- retries
CREATE INDEX message_entries_message ON message_entries (message_id);                 -- erase edits

CREATE TABLE reactions (
  message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  emoji      TEXT    NOT NULL,
  at         INTEGER NOT NULL,
  PRIMARY KEY (message_id, user_id, emoji)                          -- counts per message
) STRICT, WITHOUT ROWID;

CREATE INDEX messages_reply_to ON messages (reply_to) WHERE reply_to IS NOT NULL;

CREATE VIRTUAL TABLE messages_fts USING fts5(
  body, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO messages_fts (rowid, body) SELECT id, body FROM messages WHERE body <> '';

CREATE TABLE fts_progress (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  indexed_to INTEGER NOT NULL
) STRICT;
INSERT INTO fts_progress (id, indexed_to) SELECT 1, coalesce(max(id), 0) FROM messages;

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
  WHEN new.body <> '' AND new.id <= (SELECT indexed_to FROM fts_progress) BEGIN
  INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
  WHEN old.body <> '' AND old.id <= (SELECT indexed_to FROM fts_progress) BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages
  WHEN old.id <= (SELECT indexed_to FROM fts_progress) BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, body)
    SELECT 'delete', old.id, old.body WHERE old.body <> '';
  INSERT INTO messages_fts (rowid, body) SELECT new.id, new.body WHERE new.body <> '';
END;
`;

/*
 * v6 — end-to-end encrypted rooms (docs/e2e-rooms.md). Fixed at creation. Their messages need no column
 * of their own: `messages.body` holds the sealed envelope (JSON, ciphertext only) in such a room.
 */
const V6 = `
ALTER TABLE rooms ADD COLUMN e2e INTEGER NOT NULL DEFAULT 0;
`;

/*
 * v7 — room rules (issue 14): the topic lock and who set the topic when; name bans (a name no account
 * held when banned, matched ignoring case against whoever holds it at join time); invitations that let
 * their user join once past the password and the capacity, until they expire.
 */
const V7 = `
ALTER TABLE rooms ADD COLUMN topic_locked INTEGER NOT NULL DEFAULT 1;
ALTER TABLE rooms ADD COLUMN topic_by TEXT;
ALTER TABLE rooms ADD COLUMN topic_at INTEGER;

CREATE TABLE room_name_bans (
  room_id    INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  name_key   TEXT    NOT NULL,                                      -- folded, as users.username_key
  name       TEXT    NOT NULL,
  by_user_id INTEGER NOT NULL REFERENCES users (id),
  at         INTEGER NOT NULL,
  reason     TEXT,
  PRIMARY KEY (room_id, name_key)                                   -- bans by room, isBanned
) STRICT, WITHOUT ROWID;

CREATE TABLE room_invites (
  room_id    INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id)                                    -- count per room, take on join
) STRICT, WITHOUT ROWID;
`;

/*
 * v8 — notices and client-only tags (issue 14). `notice` marks a notice (IRC NOTICE); `client_tags` holds
 * a message's client-only tags (IRCv3 `+name`) as a JSON object, NULL when there are none (the usual
 * case: no bytes spent). Neither is indexed: they are read with the message, never searched by.
 */
const V8 = `
ALTER TABLE messages ADD COLUMN notice INTEGER NOT NULL DEFAULT 0 CHECK (notice IN (0, 1));
ALTER TABLE messages ADD COLUMN client_tags TEXT;
`;

/*
 * v9 — moderated and secret rooms, voice (issue 14): in a moderated room only the owner, admins and
 * voiced members post; a secret room is left out of room lists for non-members.
 */
const V9 = `
ALTER TABLE rooms ADD COLUMN moderated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN secret INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN voiced INTEGER NOT NULL DEFAULT 0;
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "initial schema", sql: V1 },
  { version: 2, name: "shared files", sql: V2 },
  { version: 3, name: "server admins, suspensions, password resets, deleted users, audit log", sql: V3 },
  { version: 4, name: "peer devices and master keys", sql: V4 },
  { version: 5, name: "edits, deletions, replies, reactions, full-text search", sql: V5 },
  { version: 6, name: "end-to-end encrypted rooms", sql: V6 },
  { version: 7, name: "topic lock, name bans, room invitations", sql: V7 },
  { version: 8, name: "notices and client-only tags", sql: V8 },
  { version: 9, name: "moderated and secret rooms, voice", sql: V9 },
];

export function schemaVersion(db: Database): number {
  return db.pragma("user_version", { simple: true }) as number; // the pragma always yields an integer
}

/** Brings the database up to the last step of `migrations`; returns the version it started from. */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  migrations.forEach((step, i) => {
    // Steps are numbered 1, 2, 3… with no gap, so "already applied" is a plain comparison.
    if (step.version !== i + 1)
      throw new Error(`migration "${step.name}" is numbered ${step.version}, expected ${i + 1}`);
  });
  const known = migrations.at(-1)?.version ?? 0;
  const start = schemaVersion(db);
  if (start > known) throw new SchemaTooNewError(start, known);
  for (const step of migrations) {
    if (step.version <= schemaVersion(db)) continue;
    db.transaction(() => {
      db.exec(step.sql);
      // user_version lives in the database header, which is part of the transaction.
      db.pragma(`user_version = ${step.version}`);
    }).immediate();
  }
  return start;
}
