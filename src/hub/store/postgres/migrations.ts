/**
 * Versioned schema migrations. Each step runs in its own transaction and records its version in
 * `schema_version`; a session-level advisory lock makes nodes that start at the same moment migrate once
 * (the others wait, then find nothing left to do). Steps are append-only: never edit a released one.
 */
import type pg from "pg";

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "users, sessions, rooms, conversations, messages, settings, peers",
    sql: `
      CREATE TABLE users (
        id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        username      TEXT NOT NULL,
        display_name  TEXT NOT NULL,
        first_name    TEXT,
        last_name     TEXT,
        password_hash TEXT NOT NULL,
        created_at    BIGINT NOT NULL,
        last_seen     BIGINT
      );
      -- Names are unique ignoring case; the record keeps the spelling given.
      CREATE UNIQUE INDEX users_username_key ON users (lower(username));
      CREATE INDEX users_display_name_idx ON users (lower(display_name) text_pattern_ops);
      CREATE INDEX users_username_prefix_idx ON users (lower(username) text_pattern_ops);

      CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        device     TEXT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX sessions_user_idx ON sessions (user_id);

      -- One row per room or DM; last_seq is bumped in the transaction that stores a message.
      CREATE TABLE conversations (
        id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind     TEXT NOT NULL CHECK (kind IN ('room', 'dm')),
        last_seq BIGINT NOT NULL DEFAULT 0,
        dm_low   BIGINT REFERENCES users (id) ON DELETE CASCADE,
        dm_high  BIGINT REFERENCES users (id) ON DELETE CASCADE,
        CHECK ((kind = 'dm') = (dm_low IS NOT NULL AND dm_high IS NOT NULL)),
        CHECK (dm_low IS NULL OR dm_low <= dm_high)
      );
      CREATE UNIQUE INDEX conversations_dm_key ON conversations (dm_low, dm_high) WHERE kind = 'dm';
      CREATE INDEX conversations_dm_high_idx ON conversations (dm_high) WHERE kind = 'dm';

      CREATE TABLE rooms (
        id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name          TEXT NOT NULL,
        conv_id       BIGINT NOT NULL UNIQUE REFERENCES conversations (id),
        description   TEXT,
        password_hash TEXT,
        capacity      INTEGER,
        created_at    BIGINT NOT NULL
      );
      CREATE UNIQUE INDEX rooms_name_key ON rooms (lower(name));

      CREATE TABLE members (
        room_id    BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
        joined_at  BIGINT NOT NULL,
        -- Breaks ties between members who joined in the same millisecond (succession order).
        join_order BIGINT GENERATED ALWAYS AS IDENTITY,
        PRIMARY KEY (room_id, user_id)
      );
      CREATE INDEX members_user_idx ON members (user_id);

      CREATE TABLE bans (
        room_id    BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        by_user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        at         BIGINT NOT NULL,
        reason     TEXT,
        PRIMARY KEY (room_id, user_id)
      );

      CREATE TABLE messages (
        id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        conv_id      BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        seq          BIGINT NOT NULL,
        ts           BIGINT NOT NULL,
        from_user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        body         TEXT NOT NULL,
        cid          TEXT NOT NULL,
        hidden_for   BIGINT REFERENCES users (id) ON DELETE CASCADE,
        UNIQUE (conv_id, seq),
        -- A retried send (same sender, same client id) is stored once.
        UNIQUE (from_user_id, cid)
      );

      CREATE TABLE read_markers (
        user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        conv_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        seq     BIGINT NOT NULL,
        PRIMARY KEY (user_id, conv_id)
      );

      CREATE TABLE room_mutes (
        user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        room_id BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        PRIMARY KEY (user_id, room_id)
      );

      CREATE TABLE user_mutes (
        user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        muted_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        PRIMARY KEY (user_id, muted_id)
      );

      CREATE TABLE blocks (
        user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        blocked_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        PRIMARY KEY (user_id, blocked_id)
      );

      CREATE TABLE peers (
        user_id    BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        key        TEXT NOT NULL,
        endpoints  JSONB NOT NULL,
        updated_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: "append_message(): seq, cid idempotency and the stored row in one round trip",
    sql: `
      -- One call instead of BEGIN/UPDATE/INSERT/SELECT/COMMIT: fewer round trips under load, and the
      -- append reaches the server as one statement, so writes issued after it cannot overtake it.
      CREATE FUNCTION append_message(p_conv BIGINT, p_from BIGINT, p_body TEXT, p_cid TEXT, p_ts BIGINT,
                                     p_hidden BIGINT)
      RETURNS TABLE (id BIGINT, conv_id BIGINT, seq BIGINT, ts BIGINT, from_user_id BIGINT, from_name TEXT,
                     body TEXT, cid TEXT, duplicate BOOLEAN)
      LANGUAGE plpgsql AS $fn$
      #variable_conflict use_column
      DECLARE
        v_id BIGINT;
        v_seq BIGINT;
        v_duplicate BOOLEAN := FALSE;
      BEGIN
        SELECT m.id INTO v_id FROM messages m WHERE m.from_user_id = p_from AND m.cid = p_cid;
        IF FOUND THEN
          v_duplicate := TRUE;
        ELSE
          BEGIN
            -- The row lock taken here orders concurrent appends to one conversation, on any node.
            UPDATE conversations c SET last_seq = c.last_seq + 1 WHERE c.id = p_conv RETURNING c.last_seq INTO v_seq;
            IF NOT FOUND THEN
              RAISE EXCEPTION 'no conversation with id %', p_conv USING ERRCODE = 'no_data_found';
            END IF;
            INSERT INTO messages AS m (conv_id, seq, ts, from_user_id, body, cid, hidden_for)
            VALUES (p_conv, v_seq, p_ts, p_from, p_body, p_cid, p_hidden) RETURNING m.id INTO v_id;
          EXCEPTION WHEN unique_violation THEN
            -- A concurrent retry of the same send committed first. Leaving this block undoes our
            -- seq bump with the failed insert, so no seq is skipped.
            SELECT m.id INTO v_id FROM messages m WHERE m.from_user_id = p_from AND m.cid = p_cid;
            v_duplicate := TRUE;
          END;
        END IF;
        RETURN QUERY
          SELECT m.id, m.conv_id, m.seq, m.ts, m.from_user_id, u.username, m.body, m.cid, v_duplicate
          FROM messages m JOIN users u ON u.id = m.from_user_id WHERE m.id = v_id;
      END
      $fn$;
    `,
  },
  {
    version: 3,
    description: "append_messages(): several appends to one conversation in one transaction",
    sql: `
      -- A hot room's appends queue behind each other's commits; this stores a queue in one commit.
      -- In order: item i gets its seq before item i + 1. The caller keeps batches small (each
      -- append_message opens a subtransaction, and more than 64 in one transaction cost everyone).
      CREATE FUNCTION append_messages(p_conv BIGINT, p_from BIGINT[], p_body TEXT[], p_cid TEXT[], p_ts BIGINT[],
                                      p_hidden BIGINT[])
      RETURNS TABLE (n INTEGER, id BIGINT, conv_id BIGINT, seq BIGINT, ts BIGINT, from_user_id BIGINT,
                     from_name TEXT, body TEXT, cid TEXT, duplicate BOOLEAN)
      LANGUAGE plpgsql AS $fn$
      #variable_conflict use_column
      BEGIN
        FOR i IN 1 .. coalesce(array_length(p_from, 1), 0) LOOP
          RETURN QUERY SELECT i, a.* FROM append_message(p_conv, p_from[i], p_body[i], p_cid[i], p_ts[i], p_hidden[i]) AS a;
        END LOOP;
      END
      $fn$;
    `,
  },
  {
    version: 4,
    description: "shared files: records, daily usage, secrets, and the blobs of the PostgreSQL FileStore",
    sql: `
      -- One row per upload; (owner_id, cid) links an attached file to its message (see file-records.ts).
      CREATE TABLE files (
        id              TEXT PRIMARY KEY,
        owner_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        conv_id         BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        name            TEXT NOT NULL,
        size            BIGINT NOT NULL,
        declared_type   TEXT,
        state           TEXT NOT NULL CHECK (state IN ('prepared', 'uploading', 'stored', 'attached')),
        created_at      BIGINT NOT NULL,
        slot_expires_at BIGINT NOT NULL,
        started_at      BIGINT,
        blob            TEXT,
        type            TEXT,
        uploaded_at     BIGINT,
        width           INTEGER,
        height          INTEGER,
        thumb_blob      TEXT,
        thumb_width     INTEGER,
        thumb_height    INTEGER,
        thumb_type      TEXT,
        cid             TEXT
      );
      CREATE UNIQUE INDEX files_message ON files (owner_id, cid) WHERE cid IS NOT NULL;
      CREATE INDEX files_conv ON files (conv_id);
      CREATE INDEX files_blob ON files (blob) WHERE blob IS NOT NULL;
      CREATE INDEX files_thumb ON files (thumb_blob) WHERE thumb_blob IS NOT NULL;
      CREATE INDEX files_state ON files (state, slot_expires_at);

      CREATE TABLE file_usage (
        user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        day     INTEGER NOT NULL,
        bytes   BIGINT NOT NULL,
        PRIMARY KEY (user_id, day)
      );

      CREATE TABLE hub_secrets (
        name  TEXT PRIMARY KEY,
        value BYTEA NOT NULL
      );

      -- The PostgreSQL FileStore (src/hub/store/blobs/postgres.ts): committed blobs, their chunks, and
      -- uploads in progress (chunks under 'staging:<id>' until committed).
      CREATE TABLE file_blobs (
        key        TEXT PRIMARY KEY,
        size       BIGINT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE file_chunks (
        blob TEXT NOT NULL,
        n    INTEGER NOT NULL,
        data BYTEA NOT NULL,
        PRIMARY KEY (blob, n)
      );
      -- Chunks are written once and read whole: no compression attempt (file bytes rarely compress).
      ALTER TABLE file_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
      CREATE TABLE file_staging (
        id         TEXT PRIMARY KEY,
        created_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 5,
    description: "server admins, suspensions, password resets, deleted users, audit log",
    sql: `
      ALTER TABLE users
        ADD COLUMN server_admin     BOOLEAN NOT NULL DEFAULT FALSE,
        ADD COLUMN suspended_at     BIGINT,
        ADD COLUMN suspend_reason   TEXT,
        ADD COLUMN reset_hash       TEXT,
        ADD COLUMN reset_expires_at BIGINT,
        ADD COLUMN deleted_at       BIGINT;
      -- A deleted account stays as a tombstone named "deleted user" (kept messages point at it); its
      -- name is free at once, so names are unique among live accounts only. Same index name: the store
      -- maps violations of it to StoreConflictError.
      DROP INDEX users_username_key;
      CREATE UNIQUE INDEX users_username_key ON users (lower(username)) WHERE deleted_at IS NULL;

      -- Actor and target as text: they must outlive renames and deletions.
      CREATE TABLE audit_log (
        id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at     BIGINT NOT NULL,
        actor  TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        detail TEXT
      );
    `,
  },
  {
    version: 6,
    description: "peer devices and master keys (a key per device)",
    sql: `
      -- peers held one key per user (the latest device won). Its rows are not carried over: clients
      -- announce after every login, which fills peer_devices.
      CREATE TABLE peer_masters (
        user_id    BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        key        TEXT NOT NULL,
        updated_at BIGINT NOT NULL
      );

      -- A revoked device keeps its row (revoked_at set), so the same key cannot be announced again.
      CREATE TABLE peer_devices (
        user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        device_id  TEXT NOT NULL,
        key        TEXT NOT NULL,
        sign_key   TEXT,
        enc_key    TEXT,
        name       TEXT,
        signature  TEXT,
        endpoints  JSONB NOT NULL,
        created_at BIGINT NOT NULL,
        last_seen  BIGINT NOT NULL,
        revoked_at BIGINT,
        PRIMARY KEY (user_id, device_id)
      );

      DROP TABLE peers;
    `,
  },
  {
    version: 7,
    description: "edits, deletions, replies, reactions, full-text search (tsvector + GIN)",
    sql: `
      ALTER TABLE messages ADD COLUMN reply_to   BIGINT;
      ALTER TABLE messages ADD COLUMN edited_at  BIGINT;
      ALTER TABLE messages ADD COLUMN deleted_at BIGINT;
      ALTER TABLE messages ADD COLUMN deleted_by BIGINT REFERENCES users (id) ON DELETE SET NULL;
      -- 'simple': no stemming and no stop words, whatever the language, like FTS5's unicode61 on SQLite.
      ALTER TABLE messages ADD COLUMN tsv tsvector
        GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED;
      CREATE INDEX messages_tsv_idx ON messages USING GIN (tsv);
      CREATE INDEX messages_reply_to_idx ON messages (reply_to) WHERE reply_to IS NOT NULL;

      -- Edits, deletions and reactions take the conversation's next seq like messages (resume replays them).
      CREATE TABLE message_entries (
        id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        conv_id    BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        seq        BIGINT NOT NULL,
        ts         BIGINT NOT NULL,
        kind       TEXT NOT NULL CHECK (kind IN ('edit', 'delete', 'react', 'unreact')),
        message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        body       TEXT NOT NULL,
        cid        TEXT,
        hidden_for BIGINT REFERENCES users (id) ON DELETE CASCADE,
        UNIQUE (conv_id, seq)
      );
      CREATE UNIQUE INDEX message_entries_cid ON message_entries (user_id, cid) WHERE cid IS NOT NULL;
      CREATE INDEX message_entries_message_idx ON message_entries (message_id);

      CREATE TABLE reactions (
        message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        emoji      TEXT NOT NULL,
        at         BIGINT NOT NULL,
        PRIMARY KEY (message_id, user_id, emoji)
      );

      -- append_message() gains the reply: dropped and created again with one more parameter.
      DROP FUNCTION append_messages(BIGINT, BIGINT[], TEXT[], TEXT[], BIGINT[], BIGINT[]);
      DROP FUNCTION append_message(BIGINT, BIGINT, TEXT, TEXT, BIGINT, BIGINT);
      CREATE FUNCTION append_message(p_conv BIGINT, p_from BIGINT, p_body TEXT, p_cid TEXT, p_ts BIGINT,
                                     p_hidden BIGINT, p_reply BIGINT)
      RETURNS TABLE (id BIGINT, conv_id BIGINT, seq BIGINT, ts BIGINT, from_user_id BIGINT, from_name TEXT,
                     body TEXT, cid TEXT, duplicate BOOLEAN)
      LANGUAGE plpgsql AS $fn$
      #variable_conflict use_column
      DECLARE
        v_id BIGINT;
        v_seq BIGINT;
        v_duplicate BOOLEAN := FALSE;
      BEGIN
        SELECT m.id INTO v_id FROM messages m WHERE m.from_user_id = p_from AND m.cid = p_cid;
        IF FOUND THEN
          v_duplicate := TRUE;
        ELSE
          BEGIN
            UPDATE conversations c SET last_seq = c.last_seq + 1 WHERE c.id = p_conv RETURNING c.last_seq INTO v_seq;
            IF NOT FOUND THEN
              RAISE EXCEPTION 'no conversation with id %', p_conv USING ERRCODE = 'no_data_found';
            END IF;
            INSERT INTO messages AS m (conv_id, seq, ts, from_user_id, body, cid, hidden_for, reply_to)
            VALUES (p_conv, v_seq, p_ts, p_from, p_body, p_cid, p_hidden, p_reply) RETURNING m.id INTO v_id;
          EXCEPTION WHEN unique_violation THEN
            SELECT m.id INTO v_id FROM messages m WHERE m.from_user_id = p_from AND m.cid = p_cid;
            v_duplicate := TRUE;
          END;
        END IF;
        RETURN QUERY
          SELECT m.id, m.conv_id, m.seq, m.ts, m.from_user_id, u.username, m.body, m.cid, v_duplicate
          FROM messages m JOIN users u ON u.id = m.from_user_id WHERE m.id = v_id;
      END
      $fn$;
      CREATE FUNCTION append_messages(p_conv BIGINT, p_from BIGINT[], p_body TEXT[], p_cid TEXT[], p_ts BIGINT[],
                                      p_hidden BIGINT[], p_reply BIGINT[])
      RETURNS TABLE (n INTEGER, id BIGINT, conv_id BIGINT, seq BIGINT, ts BIGINT, from_user_id BIGINT,
                     from_name TEXT, body TEXT, cid TEXT, duplicate BOOLEAN)
      LANGUAGE plpgsql AS $fn$
      #variable_conflict use_column
      BEGIN
        FOR i IN 1 .. coalesce(array_length(p_from, 1), 0) LOOP
          RETURN QUERY SELECT i, a.* FROM append_message(p_conv, p_from[i], p_body[i], p_cid[i], p_ts[i],
                                                         p_hidden[i], p_reply[i]) AS a;
        END LOOP;
      END
      $fn$;
      `,
  },
  {
    version: 8,
    description: "end-to-end encrypted rooms",
    sql: `
      -- Fixed at creation. Their messages need no column of their own: messages.body holds the sealed
      -- envelope (JSON, ciphertext only) in such a room (docs/e2e-rooms.md).
      ALTER TABLE rooms ADD COLUMN e2e BOOLEAN NOT NULL DEFAULT FALSE;
    `,
  },
  {
    version: 9,
    description: "topic lock, name bans, room invitations",
    sql: `
      -- The topic lock and who set the topic when.
      ALTER TABLE rooms
        ADD COLUMN topic_locked BOOLEAN NOT NULL DEFAULT TRUE,
        ADD COLUMN topic_by     TEXT,
        ADD COLUMN topic_at     BIGINT;

      -- A name no account held when banned: matched, ignoring case, against whoever holds it at join time.
      CREATE TABLE room_name_bans (
        room_id    BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        name_key   TEXT NOT NULL,
        name       TEXT NOT NULL,
        by_user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        at         BIGINT NOT NULL,
        reason     TEXT,
        PRIMARY KEY (room_id, name_key)
      );

      -- One join past the password and the capacity, until expires_at.
      CREATE TABLE room_invites (
        room_id    BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        expires_at BIGINT NOT NULL,
        PRIMARY KEY (room_id, user_id)
      );
    `,
  },
  {
    version: 10,
    description: "notices and client-only tags",
    sql: `
      -- notice: a notice (IRC NOTICE). client_tags: client-only tags (IRCv3 +name) as a JSON object, NULL
      -- when there are none. Neither is indexed: read with the message, never searched by.
      ALTER TABLE messages ADD COLUMN notice BOOLEAN NOT NULL DEFAULT FALSE;
      ALTER TABLE messages ADD COLUMN client_tags JSONB;

      -- append_message() takes and returns both: dropped and created again.
      DROP FUNCTION append_messages(BIGINT, BIGINT[], TEXT[], TEXT[], BIGINT[], BIGINT[], BIGINT[]);
      DROP FUNCTION append_message(BIGINT, BIGINT, TEXT, TEXT, BIGINT, BIGINT, BIGINT);
      CREATE FUNCTION append_message(p_conv BIGINT, p_from BIGINT, p_body TEXT, p_cid TEXT, p_ts BIGINT,
                                     p_hidden BIGINT, p_reply BIGINT, p_notice BOOLEAN, p_tags JSONB)
      RETURNS TABLE (id BIGINT, conv_id BIGINT, seq BIGINT, ts BIGINT, from_user_id BIGINT, from_name TEXT,
                     body TEXT, cid TEXT, notice BOOLEAN, client_tags JSONB, duplicate BOOLEAN)
      LANGUAGE plpgsql AS $fn$
      #variable_conflict use_column
      DECLARE
        v_id BIGINT;
        v_seq BIGINT;
        v_duplicate BOOLEAN := FALSE;
      BEGIN
        SELECT m.id INTO v_id FROM messages m WHERE m.from_user_id = p_from AND m.cid = p_cid;
        IF FOUND THEN
          v_duplicate := TRUE;
        ELSE
          BEGIN
            UPDATE conversations c SET last_seq = c.last_seq + 1 WHERE c.id = p_conv RETURNING c.last_seq INTO v_seq;
            IF NOT FOUND THEN
              RAISE EXCEPTION 'no conversation with id %', p_conv USING ERRCODE = 'no_data_found';
            END IF;
            INSERT INTO messages AS m (conv_id, seq, ts, from_user_id, body, cid, hidden_for, reply_to, notice,
                                       client_tags)
            VALUES (p_conv, v_seq, p_ts, p_from, p_body, p_cid, p_hidden, p_reply, coalesce(p_notice, FALSE),
                    p_tags)
            RETURNING m.id INTO v_id;
          EXCEPTION WHEN unique_violation THEN
            SELECT m.id INTO v_id FROM messages m WHERE m.from_user_id = p_from AND m.cid = p_cid;
            v_duplicate := TRUE;
          END;
        END IF;
        RETURN QUERY
          SELECT m.id, m.conv_id, m.seq, m.ts, m.from_user_id, u.username, m.body, m.cid, m.notice,
                 m.client_tags, v_duplicate
          FROM messages m JOIN users u ON u.id = m.from_user_id WHERE m.id = v_id;
      END
      $fn$;
      CREATE FUNCTION append_messages(p_conv BIGINT, p_from BIGINT[], p_body TEXT[], p_cid TEXT[], p_ts BIGINT[],
                                      p_hidden BIGINT[], p_reply BIGINT[], p_notice BOOLEAN[], p_tags JSONB[])
      RETURNS TABLE (n INTEGER, id BIGINT, conv_id BIGINT, seq BIGINT, ts BIGINT, from_user_id BIGINT,
                     from_name TEXT, body TEXT, cid TEXT, notice BOOLEAN, client_tags JSONB, duplicate BOOLEAN)
      LANGUAGE plpgsql AS $fn$
      #variable_conflict use_column
      BEGIN
        FOR i IN 1 .. coalesce(array_length(p_from, 1), 0) LOOP
          RETURN QUERY SELECT i, a.* FROM append_message(p_conv, p_from[i], p_body[i], p_cid[i], p_ts[i],
                                                         p_hidden[i], p_reply[i], p_notice[i], p_tags[i]) AS a;
        END LOOP;
      END
      $fn$;
    `,
  },
  {
    version: 11,
    description: "moderated and secret rooms, voice",
    sql: `
      -- Moderated: only the owner, admins and voiced members post. Secret: listed only to its members.
      ALTER TABLE rooms
        ADD COLUMN moderated BOOLEAN NOT NULL DEFAULT FALSE,
        ADD COLUMN secret    BOOLEAN NOT NULL DEFAULT FALSE;
      ALTER TABLE members ADD COLUMN voiced BOOLEAN NOT NULL DEFAULT FALSE;
    `,
  },
];

/**
 * Brings `schema` (already first in `client`'s search_path; the default schema when absent) up to the
 * newest version, creating it if needed. Returns the versions applied. `client` must be a dedicated
 * connection: the advisory lock belongs to the session. `schema` must be a validated identifier.
 */
export async function migrate(
  client: pg.ClientBase,
  schema?: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  // Keyed by schema, so separate schemas (tests, tenants) do not wait for each other. The name comes
  // from the caller because current_schema() is NULL until the schema exists.
  const lockKey = "SELECT hashtext('parley.migrate.' || coalesce($1::text, current_schema(), ''))";
  await client.query(`SELECT pg_advisory_lock((${lockKey}))`, [schema ?? null]);
  try {
    // Inside the lock: CREATE SCHEMA IF NOT EXISTS is not safe against a concurrent twin.
    if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    );
    const { rows } = await client.query<{ v: number | null }>("SELECT max(version) AS v FROM schema_version");
    const current = rows[0]?.v ?? 0;
    const newest = migrations.at(-1)?.version ?? 0;
    if (current > newest) {
      throw new Error(
        `database schema version ${current} is newer than this hub knows (${newest}); upgrade the hub`,
      );
    }
    const applied: number[] = [];
    for (const step of migrations) {
      if (step.version <= current) continue;
      await client.query("BEGIN");
      try {
        await client.query(step.sql);
        await client.query("INSERT INTO schema_version (version, description) VALUES ($1, $2)", [
          step.version,
          step.description,
        ]);
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK");
        throw new Error(`migration ${step.version} (${step.description}) failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      applied.push(step.version);
    }
    return applied;
  } finally {
    await client.query(`SELECT pg_advisory_unlock((${lockKey}))`, [schema ?? null]);
  }
}
