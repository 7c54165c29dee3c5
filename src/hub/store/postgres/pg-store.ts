/**
 * The cluster store: the `Store` contract on PostgreSQL, shared by every hub node. Ordering and
 * idempotency live in the database (row lock on the conversation, unique indexes), never in one node's
 * memory, so they hold with any number of nodes.
 */
import type pg from "pg";
import type { Role } from "../../../protocol/model.js";
import {
  DELETED_USERNAME,
  StoreConflictError,
  StoreGoneError,
  StoreUnavailableError,
  wrapOperations,
} from "../store.js";
import type {
  AddMemberResult,
  AppendResult,
  AuditRecord,
  NewAuditEntry,
  Suspension,
  UserListQuery,
  BanRecord,
  ConvId,
  DmConversationRecord,
  EntryResult,
  HistoryQuery,
  NewEntry,
  ReactionCounts,
  SearchHit,
  SearchQuery,
  Sequenced,
  MemberRecord,
  MessageRecord,
  NewMessage,
  NewRoom,
  NewUser,
  DeviceRecord,
  NewDevice,
  ProfilePatch,
  RoomId,
  RoomPage,
  RoomPatch,
  RoomRecord,
  SessionRecord,
  SettingsRecord,
  Store,
  UserId,
  UserRecord,
} from "../store.js";
import { fold } from "../../ids.js";
import { PgEntries, withReply } from "./entries.js";
import { PgFiles } from "./files.js";
import { migrate } from "./migrations.js";
import { openPool, parsePgUrl, type PgOptions } from "./pool.js";
import {
  DEVICE_COLUMNS,
  FULL_MESSAGE_COLUMNS,
  MESSAGE_JOINS,
  ROOM_COLUMNS,
  USER_COLUMNS,
  deviceFromRow,
  MEMBER_COLUMNS,
  memberFromRow,
  messageFromRow,
  roomFromRow,
  userFromRow,
  type DeviceRow,
  type MemberRow,
  type MessageRow,
  type RoomRow,
  type UserRow,
} from "./rows.js";

type Db = pg.Pool | pg.PoolClient;

interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  detail: string | null;
}

function auditFromRow(row: AuditRow): AuditRecord {
  const entry: AuditRecord = { id: row.id, at: row.at, actor: row.actor, action: row.action };
  if (row.target !== null) entry.target = row.target;
  if (row.detail !== null) entry.detail = row.detail;
  return entry;
}

const UNIQUE_VIOLATION = "23505";

/** Maps a unique-index violation on a name to the contract's typed error; anything else passes through. */
function conflictOf(err: unknown): unknown {
  const e = err as { code?: string; constraint?: string };
  if (e.code !== UNIQUE_VIOLATION) return err;
  if (e.constraint === "users_username_key") return new StoreConflictError("username");
  if (e.constraint === "rooms_name_key") return new StoreConflictError("room");
  return err;
}

/** LIKE pattern for "starts with", with the pattern characters in the prefix taken literally. */
function prefixPattern(prefix: string): string {
  return `${fold(prefix).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** `SET` clause for the fields present in `patch` (undefined = unchanged, null = cleared). */
function setClause(
  patch: Record<string, unknown>,
  columns: Record<string, string>,
  firstParam: number,
): { sql: string; values: unknown[] } {
  const parts: string[] = [];
  const values: unknown[] = [];
  for (const [field, column] of Object.entries(columns)) {
    const value = patch[field];
    if (value === undefined) continue;
    values.push(value);
    parts.push(`${column} = $${firstParam + values.length - 1}`);
  }
  return { sql: parts.join(", "), values };
}

interface PendingAppend {
  message: NewMessage;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

interface AppendQueue {
  running: boolean;
  waiting: PendingAppend[];
}

/** Each append in a batch is a subtransaction; PostgreSQL handles up to 64 per transaction cheaply. */
const MAX_APPEND_BATCH = 50;

/**
 * PostgreSQL errors that mean the storage refuses to work, not that the request was wrong: class 53
 * (disk full, out of memory, too many connections), class 08 (connection lost), 57P01–57P03 (shutting
 * down, cannot connect now), 25006 (read-only transaction).
 */
function refusal(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== "string") return false;
  return code.startsWith("53") || code.startsWith("08") || /^57P0[123]$/.test(code) || code === "25006";
}

export class PgStoreClosedError extends Error {
  constructor() {
    super("the store is closed");
    this.name = "PgStoreClosedError";
  }
}

export class PgStore implements Store {
  private readonly inflight = new Set<Promise<unknown>>();
  /** Appends waiting, per conversation with an append running. */
  private readonly appendQueues = new Map<ConvId, AppendQueue>();
  private closed = false;
  readonly files: PgFiles;
  private readonly entries: PgEntries;

  private constructor(private readonly pool: pg.Pool) {
    this.files = new PgFiles(pool, (fn) => this.tx(fn));
    this.entries = new PgEntries(pool, (fn) => this.tx(fn));
    // Wrapping each operation once here keeps the bookkeeping out of thirty method bodies: each call
    // (the file records' too) is counted so that close() lets it finish first, and storage refusals
    // get their typed error.
    wrapOperations(this, (operation) => (...args) => {
      if (this.closed) return Promise.reject(new PgStoreClosedError());
      const running = operation(...args).catch((err: unknown) => {
        throw refusal(err) ? new StoreUnavailableError(err) : err;
      });
      this.inflight.add(running);
      const forget = () => this.inflight.delete(running);
      running.then(forget, forget);
      return running;
    });
  }

  async checkWritable(): Promise<void> {
    const { rows } = await this.pool.query<{ standby: boolean }>("SELECT pg_is_in_recovery() AS standby");
    if (rows[0]?.standby) throw new Error("PostgreSQL is a read-only standby");
  }

  /** Connects, creates the schema if named and missing, and migrates it to the newest version. */
  static async open(options: PgOptions): Promise<PgStore> {
    const target = parsePgUrl(options.url, options.schema);
    const pool = openPool(target, options.max);
    try {
      const client = await pool.connect();
      try {
        await migrate(client, target.schema);
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end();
      throw err;
    }
    return new PgStore(pool);
  }

  private async tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      // A failed ROLLBACK means the connection itself is gone; it must not return to the pool.
      await client.query("ROLLBACK").catch(() => (broken = true));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  // users

  async createUser(user: NewUser): Promise<UserRecord> {
    try {
      const { rows } = await this.pool.query<UserRow>(
        `INSERT INTO users AS u (username, display_name, first_name, last_name, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${USER_COLUMNS}`,
        [
          user.username,
          user.displayName,
          user.firstName ?? null,
          user.lastName ?? null,
          user.passwordHash,
          user.createdAt,
        ],
      );
      return userFromRow(rows[0]!);
    } catch (err) {
      throw conflictOf(err);
    }
  }

  async getUserByName(username: string): Promise<UserRecord | undefined> {
    const { rows } = await this.pool.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users u WHERE lower(u.username) = lower($1) AND u.deleted_at IS NULL`,
      [username],
    );
    return rows[0] && userFromRow(rows[0]);
  }

  async getUserById(id: UserId): Promise<UserRecord | undefined> {
    return this.userById(this.pool, id);
  }

  private async userById(db: Db, id: UserId): Promise<UserRecord | undefined> {
    const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = $1`, [id]);
    return rows[0] && userFromRow(rows[0]);
  }

  async getUsersByIds(ids: readonly UserId[]): Promise<UserRecord[]> {
    if (ids.length === 0) return [];
    // Results keep the order asked, each user once (the same as the SQLite store).
    const { rows } = await this.pool.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM unnest($1::bigint[]) WITH ORDINALITY AS asked (id, n)
       JOIN users u ON u.id = asked.id ORDER BY asked.n`,
      [[...new Set(ids)]],
    );
    return rows.map(userFromRow);
  }

  async searchUsers(prefix: string, limit: number): Promise<UserRecord[]> {
    // COLLATE "C": byte order, the same as the SQLite store's, whatever the database's locale.
    const { rows } = await this.pool.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users u
       WHERE (lower(u.username) LIKE $1 OR lower(u.display_name) LIKE $1) AND u.deleted_at IS NULL
       ORDER BY lower(u.username) COLLATE "C" LIMIT $2`,
      [prefixPattern(prefix), limit],
    );
    return rows.map(userFromRow);
  }

  async updateProfile(id: UserId, patch: ProfilePatch): Promise<UserRecord> {
    const set = setClause(
      { ...patch },
      { displayName: "display_name", firstName: "first_name", lastName: "last_name" },
      2,
    );
    if (set.values.length > 0) {
      await this.pool.query(`UPDATE users SET ${set.sql} WHERE id = $1`, [id, ...set.values]);
    }
    return this.requireUser(this.pool, id);
  }

  private async requireUser(db: Db, id: UserId): Promise<UserRecord> {
    const user = await this.userById(db, id);
    if (!user) throw new Error(`no user with id ${id}`);
    return user;
  }

  async renameUser(id: UserId, username: string): Promise<UserRecord> {
    try {
      const { rows } = await this.pool.query<UserRow>(
        `UPDATE users AS u SET username = $2 WHERE u.id = $1 RETURNING ${USER_COLUMNS}`,
        [id, username],
      );
      if (!rows[0]) throw new Error(`no user with id ${id}`);
      return userFromRow(rows[0]);
    } catch (err) {
      throw conflictOf(err);
    }
  }

  async setPasswordHash(id: UserId, hash: string): Promise<void> {
    await this.pool.query("UPDATE users SET password_hash = $2 WHERE id = $1", [id, hash]);
  }

  async setLastSeen(id: UserId, ts: number): Promise<void> {
    await this.pool.query("UPDATE users SET last_seen = $2 WHERE id = $1", [id, ts]);
  }

  async countUsers(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM users WHERE deleted_at IS NULL",
    );
    return rows[0]?.n ?? 0;
  }

  async listUsers(query: UserListQuery): Promise<UserRecord[]> {
    const prefix = query.prefix === undefined || query.prefix === "" ? null : prefixPattern(query.prefix);
    const { rows } = await this.pool.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users u
       WHERE u.deleted_at IS NULL AND lower(u.username) COLLATE "C" > $1
         AND ($2::text IS NULL OR lower(u.username) LIKE $2 OR lower(u.display_name) LIKE $2)
       ORDER BY lower(u.username) COLLATE "C" LIMIT $3`,
      [(query.after ?? "").toLowerCase(), prefix, query.limit],
    );
    return rows.map(userFromRow);
  }

  async setServerAdmin(id: UserId, on: boolean): Promise<void> {
    await this.pool.query("UPDATE users SET server_admin = $2 WHERE id = $1", [id, on]);
  }

  async setSuspension(id: UserId, suspension: Suspension | null): Promise<void> {
    await this.pool.query("UPDATE users SET suspended_at = $2, suspend_reason = $3 WHERE id = $1", [
      id,
      suspension?.at ?? null,
      suspension?.reason ?? null,
    ]);
  }

  async setPasswordReset(id: UserId, reset: { tokenHash: string; expiresAt: number } | null): Promise<void> {
    await this.pool.query("UPDATE users SET reset_hash = $2, reset_expires_at = $3 WHERE id = $1", [
      id,
      reset?.tokenHash ?? null,
      reset?.expiresAt ?? null,
    ]);
  }

  async deleteUser(id: UserId, options: { erase: boolean; at: number }): Promise<void> {
    await this.tx(async (client) => {
      for (const sql of [
        "DELETE FROM sessions WHERE user_id = $1",
        "DELETE FROM members WHERE user_id = $1",
        "DELETE FROM bans WHERE user_id = $1",
        "DELETE FROM room_invites WHERE user_id = $1",
        "DELETE FROM room_mutes WHERE user_id = $1",
        "DELETE FROM user_mutes WHERE user_id = $1 OR muted_id = $1",
        "DELETE FROM blocks WHERE user_id = $1 OR blocked_id = $1",
        "DELETE FROM read_markers WHERE user_id = $1",
        "DELETE FROM peer_devices WHERE user_id = $1",
        "DELETE FROM peer_masters WHERE user_id = $1",
        ...(options.erase ? ["DELETE FROM messages WHERE from_user_id = $1"] : []),
      ]) {
        await client.query(sql, [id]);
      }
      await client.query(
        `UPDATE users SET username = $2, display_name = $2, first_name = NULL, last_name = NULL,
           password_hash = '', server_admin = FALSE, suspended_at = NULL, suspend_reason = NULL,
           reset_hash = NULL, reset_expires_at = NULL, deleted_at = $3
         WHERE id = $1 AND deleted_at IS NULL`,
        [id, DELETED_USERNAME, options.at],
      );
    });
  }

  // audit log

  async appendAudit(entry: NewAuditEntry): Promise<AuditRecord> {
    const { rows } = await this.pool.query<AuditRow>(
      `INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, at, actor, action, target, detail`,
      [entry.at, entry.actor, entry.action, entry.target ?? null, entry.detail ?? null],
    );
    return auditFromRow(rows[0]!);
  }

  async listAudit(query: { before?: number; limit: number }): Promise<AuditRecord[]> {
    const { rows } = await this.pool.query<AuditRow>(
      `SELECT id, at, actor, action, target, detail FROM audit_log
       WHERE $1::bigint IS NULL OR id < $1 ORDER BY id DESC LIMIT $2`,
      [query.before ?? null, query.limit],
    );
    return rows.map(auditFromRow);
  }

  // sessions

  async createSession(session: SessionRecord): Promise<void> {
    await this.pool.query(
      "INSERT INTO sessions (token_hash, user_id, device, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
      [session.tokenHash, session.userId, session.device ?? null, session.createdAt, session.expiresAt],
    );
  }

  async getSession(tokenHash: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.pool.query<{
      token_hash: string;
      user_id: number;
      device: string | null;
      created_at: number;
      expires_at: number;
    }>("SELECT token_hash, user_id, device, created_at, expires_at FROM sessions WHERE token_hash = $1", [
      tokenHash,
    ]);
    const row = rows[0];
    if (!row) return undefined;
    const session: SessionRecord = {
      tokenHash: row.token_hash,
      userId: row.user_id,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    };
    if (row.device !== null) session.device = row.device;
    return session;
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.pool.query("DELETE FROM sessions WHERE token_hash = $1", [tokenHash]);
  }

  async deleteUserSessions(id: UserId, keepTokenHash?: string): Promise<void> {
    await this.pool.query("DELETE FROM sessions WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2", [
      id,
      keepTokenHash ?? null,
    ]);
  }

  // rooms and membership

  async createRoom(room: NewRoom): Promise<RoomRecord> {
    try {
      return await this.tx(async (client) => {
        const conv = await client.query<{ id: number }>(
          "INSERT INTO conversations (kind) VALUES ('room') RETURNING id",
        );
        const { rows } = await client.query<{ id: number }>(
          `INSERT INTO rooms (name, conv_id, description, password_hash, capacity, created_at, e2e, topic_by,
             topic_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
          [
            room.name,
            conv.rows[0]!.id,
            room.description ?? null,
            room.passwordHash ?? null,
            room.capacity ?? null,
            room.createdAt,
            room.e2e === true,
            room.topicBy ?? null,
            room.topicAt ?? null,
          ],
        );
        const id = rows[0]!.id;
        await client.query(
          "INSERT INTO members (room_id, user_id, role, joined_at) VALUES ($1, $2, 'owner', $3)",
          [id, room.ownerId, room.createdAt],
        );
        return this.requireRoom(client, id);
      });
    } catch (err) {
      throw conflictOf(err);
    }
  }

  private async roomWhere(db: Db, where: string, value: unknown): Promise<RoomRecord | undefined> {
    const { rows } = await db.query<RoomRow>(
      `SELECT ${ROOM_COLUMNS} FROM rooms r JOIN conversations c ON c.id = r.conv_id WHERE ${where}`,
      [value],
    );
    return rows[0] && roomFromRow(rows[0]);
  }

  private async requireRoom(db: Db, id: RoomId): Promise<RoomRecord> {
    const room = await this.roomWhere(db, "r.id = $1", id);
    if (!room) throw new Error(`no room with id ${id}`);
    return room;
  }

  async getRoom(name: string): Promise<RoomRecord | undefined> {
    return this.roomWhere(this.pool, "lower(r.name) = lower($1)", name);
  }

  async listRooms(prefix?: string, page: RoomPage = {}): Promise<RoomRecord[]> {
    const { rows } = await this.pool.query<RoomRow>(
      `SELECT ${ROOM_COLUMNS} FROM rooms r JOIN conversations c ON c.id = r.conv_id
       WHERE ($1::text IS NULL OR lower(r.name) LIKE $1)
         AND ($2::text IS NULL OR lower(r.name) COLLATE "C" > $2)
         AND ($4::bigint IS NULL OR NOT r.secret
              OR EXISTS (SELECT 1 FROM members v WHERE v.room_id = r.id AND v.user_id = $4))
       ORDER BY lower(r.name) COLLATE "C" LIMIT $3`,
      [
        prefix === undefined ? null : prefixPattern(prefix),
        page.after ?? null,
        page.limit ?? null,
        page.visibleTo ?? null,
      ],
    );
    return rows.map(roomFromRow);
  }

  async updateRoom(id: RoomId, patch: RoomPatch): Promise<RoomRecord> {
    const set = setClause(
      { ...patch },
      {
        description: "description",
        passwordHash: "password_hash",
        capacity: "capacity",
        topicLocked: "topic_locked",
        moderated: "moderated",
        secret: "secret",
        topicBy: "topic_by",
        topicAt: "topic_at",
      },
      2,
    );
    if (set.values.length > 0) {
      await this.pool.query(`UPDATE rooms SET ${set.sql} WHERE id = $1`, [id, ...set.values]);
    }
    return this.requireRoom(this.pool, id);
  }

  async deleteRoom(id: RoomId): Promise<void> {
    // One statement: members, bans and mutes go with the room; messages and read markers with its
    // conversation. Foreign keys are checked at the end of the statement, so both deletes fit in it.
    await this.pool.query(
      `WITH room AS (DELETE FROM rooms WHERE id = $1 RETURNING conv_id)
       DELETE FROM conversations WHERE id IN (SELECT conv_id FROM room)`,
      [id],
    );
  }

  async getMembers(id: RoomId): Promise<MemberRecord[]> {
    const { rows } = await this.pool.query<MemberRow>(
      `SELECT ${MEMBER_COLUMNS} FROM members m JOIN users u ON u.id = m.user_id
       WHERE m.room_id = $1 ORDER BY m.joined_at, m.join_order`,
      [id],
    );
    return rows.map(memberFromRow);
  }

  async getMember(id: RoomId, userId: UserId): Promise<MemberRecord | undefined> {
    const { rows } = await this.pool.query<MemberRow>(
      `SELECT ${MEMBER_COLUMNS} FROM members m JOIN users u ON u.id = m.user_id
       WHERE m.room_id = $1 AND m.user_id = $2`,
      [id, userId],
    );
    return rows[0] && memberFromRow(rows[0]);
  }

  async addMember(
    id: RoomId,
    userId: UserId,
    role: Role,
    joinedAt: number,
    capacity?: number,
  ): Promise<AddMemberResult> {
    return this.tx(async (client) => {
      // The room row lock serialises joins to one room across nodes, so the capacity check cannot race.
      const locked = await client.query("SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE", [id]);
      if (locked.rowCount === 0) throw new Error(`no room with id ${id}`);
      const { rows } = await client.query<{ members: number; present: boolean }>(
        "SELECT count(*) AS members, bool_or(user_id = $2) AS present FROM members WHERE room_id = $1",
        [id, userId],
      );
      const { members, present } = rows[0]!;
      if (present) return "exists";
      if (capacity !== undefined && members >= capacity) return "full";
      await client.query("INSERT INTO members (room_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4)", [
        id,
        userId,
        role,
        joinedAt,
      ]);
      return "added";
    });
  }

  async removeMember(id: RoomId, userId: UserId, successor?: UserId): Promise<number> {
    return this.tx(async (client) => {
      await client.query("DELETE FROM members WHERE room_id = $1 AND user_id = $2", [id, userId]);
      if (successor !== undefined) {
        await client.query("UPDATE members SET role = 'owner' WHERE room_id = $1 AND user_id = $2", [
          id,
          successor,
        ]);
      }
      const { rows } = await client.query<{ n: number }>(
        "SELECT count(*) AS n FROM members WHERE room_id = $1",
        [id],
      );
      return rows[0]!.n;
    });
  }

  async setRole(id: RoomId, userId: UserId, role: Role): Promise<void> {
    await this.pool.query("UPDATE members SET role = $3 WHERE room_id = $1 AND user_id = $2", [
      id,
      userId,
      role,
    ]);
  }

  async setVoice(id: RoomId, userId: UserId, voiced: boolean): Promise<boolean> {
    const result = await this.pool.query(
      "UPDATE members SET voiced = $3 WHERE room_id = $1 AND user_id = $2",
      [id, userId, voiced],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async roomsOfUser(userId: UserId): Promise<Array<{ room: RoomRecord; role: Role }>> {
    const { rows } = await this.pool.query<RoomRow & { role: Role }>(
      `SELECT ${ROOM_COLUMNS}, mine.role FROM members mine
       JOIN rooms r ON r.id = mine.room_id JOIN conversations c ON c.id = r.conv_id
       WHERE mine.user_id = $1 ORDER BY lower(r.name) COLLATE "C"`,
      [userId],
    );
    return rows.map((row) => ({ room: roomFromRow(row), role: row.role }));
  }

  async addBan(id: RoomId, userId: UserId, byUserId: UserId, at: number, reason?: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO bans (room_id, user_id, by_user_id, at, reason) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (room_id, user_id) DO UPDATE SET by_user_id = excluded.by_user_id, at = excluded.at,
         reason = excluded.reason`,
      [id, userId, byUserId, at, reason ?? null],
    );
  }

  async removeBan(id: RoomId, userId: UserId): Promise<boolean> {
    const result = await this.pool.query("DELETE FROM bans WHERE room_id = $1 AND user_id = $2", [
      id,
      userId,
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  async getBans(id: RoomId): Promise<BanRecord[]> {
    const { rows } = await this.pool.query<{
      user_id: number | null;
      username: string;
      by_username: string;
      at: number;
      reason: string | null;
    }>(
      `SELECT * FROM (
         SELECT b.user_id, u.username, lower(u.username) AS name_key, banner.username AS by_username, b.at,
           b.reason
         FROM bans b JOIN users u ON u.id = b.user_id JOIN users banner ON banner.id = b.by_user_id
         WHERE b.room_id = $1
         UNION ALL
         SELECT NULL, nb.name, nb.name_key, banner.username, nb.at, nb.reason
         FROM room_name_bans nb JOIN users banner ON banner.id = nb.by_user_id
         WHERE nb.room_id = $1) AS all_bans
       ORDER BY at, name_key COLLATE "C"`,
      [id],
    );
    return rows.map((row) => {
      const ban: BanRecord = { username: row.username, byUsername: row.by_username, at: row.at };
      if (row.user_id !== null) ban.userId = row.user_id;
      else ban.byName = true;
      if (row.reason !== null) ban.reason = row.reason;
      return ban;
    });
  }

  async isBanned(id: RoomId, userId: UserId): Promise<boolean> {
    const result = await this.pool.query(
      `SELECT 1 FROM bans WHERE room_id = $1 AND user_id = $2
       UNION ALL
       SELECT 1 FROM room_name_bans nb JOIN users u ON lower(u.username) = nb.name_key
       WHERE nb.room_id = $1 AND u.id = $2 AND u.deleted_at IS NULL
       LIMIT 1`,
      [id, userId],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async addNameBan(id: RoomId, name: string, byUserId: UserId, at: number, reason?: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO room_name_bans (room_id, name_key, name, by_user_id, at, reason)
       VALUES ($1, lower($2), $2, $3, $4, $5)
       ON CONFLICT (room_id, name_key) DO UPDATE SET name = excluded.name, by_user_id = excluded.by_user_id,
         at = excluded.at, reason = excluded.reason`,
      [id, name, byUserId, at, reason ?? null],
    );
  }

  async removeNameBan(id: RoomId, name: string): Promise<boolean> {
    const result = await this.pool.query(
      "DELETE FROM room_name_bans WHERE room_id = $1 AND name_key = lower($2)",
      [id, name],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async addInvite(id: RoomId, userId: UserId, expiresAt: number, now: number, max: number): Promise<boolean> {
    return this.tx(async (client) => {
      // The room row lock serialises invitations to one room across nodes, so the cap cannot race.
      const locked = await client.query("SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE", [id]);
      if (locked.rowCount === 0) throw new Error(`no room with id ${id}`);
      await client.query("DELETE FROM room_invites WHERE room_id = $1 AND expires_at <= $2", [id, now]);
      const { rows } = await client.query<{ n: number; renewal: boolean | null }>(
        "SELECT count(*) AS n, bool_or(user_id = $2) AS renewal FROM room_invites WHERE room_id = $1",
        [id, userId],
      );
      const { n, renewal } = rows[0]!;
      if (renewal !== true && n >= max) return false;
      await client.query(
        `INSERT INTO room_invites (room_id, user_id, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (room_id, user_id) DO UPDATE SET expires_at = excluded.expires_at`,
        [id, userId, expiresAt],
      );
      return true;
    });
  }

  async takeInvite(id: RoomId, userId: UserId, now: number): Promise<boolean> {
    const { rows } = await this.pool.query<{ expires_at: number }>(
      "DELETE FROM room_invites WHERE room_id = $1 AND user_id = $2 RETURNING expires_at",
      [id, userId],
    );
    return rows.length > 0 && rows[0]!.expires_at > now;
  }

  // conversations and messages

  async getDmConversation(a: UserId, b: UserId, create: boolean): Promise<ConvId | undefined> {
    const [low, high] = a <= b ? [a, b] : [b, a];
    const select = "SELECT id FROM conversations WHERE kind = 'dm' AND dm_low = $1 AND dm_high = $2";
    const found = await this.pool.query<{ id: number }>(select, [low, high]);
    if (found.rows[0] || !create) return found.rows[0]?.id;
    // Two nodes may create the same conversation at once: the partial unique index keeps one.
    await this.pool.query(
      "INSERT INTO conversations (kind, dm_low, dm_high) VALUES ('dm', $1, $2) ON CONFLICT DO NOTHING",
      [low, high],
    );
    const created = await this.pool.query<{ id: number }>(select, [low, high]);
    return created.rows[0]?.id;
  }

  /**
   * Appends to one conversation go to PostgreSQL in call order, so a client's messages keep the order
   * it sent them: the first at once, and those called while it runs together in one transaction
   * after it (a hot room is then bounded by batches per commit, not messages per commit). Appends to
   * different conversations run in parallel on the pool.
   */
  appendMessage(message: NewMessage): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      let queue = this.appendQueues.get(message.convId);
      if (!queue) this.appendQueues.set(message.convId, (queue = { running: false, waiting: [] }));
      queue.waiting.push({ message, resolve, reject });
      // Nothing running: send now, in this same turn, so a write called right after cannot overtake it.
      if (!queue.running) this.runAppends(message.convId, queue);
    });
  }

  private runAppends(convId: ConvId, queue: AppendQueue): void {
    queue.running = true;
    const batch = queue.waiting.splice(0, MAX_APPEND_BATCH);
    const done = batch.length === 1 ? this.appendOne(batch[0]!) : this.appendBatch(convId, batch);
    void done.then(() => {
      if (queue.waiting.length > 0) return this.runAppends(convId, queue);
      queue.running = false;
      this.appendQueues.delete(convId);
    });
  }

  private async appendOne(item: PendingAppend): Promise<void> {
    const { message } = item;
    try {
      const { rows } = await this.pool.query<MessageRow & { duplicate: boolean }>(
        "SELECT * FROM append_message($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [
          message.convId,
          message.fromUserId,
          message.body,
          message.cid,
          message.ts,
          message.hiddenFor ?? null,
          message.replyTo ?? null,
          message.notice === true,
          message.clientTags ? JSON.stringify(message.clientTags) : null,
        ],
      );
      const row = rows[0];
      if (!row) throw new Error(`append to conversation ${message.convId} returned no row`);
      item.resolve({ message: withReply(messageFromRow(row), message), duplicate: row.duplicate });
    } catch (err) {
      // append_message raises no_data_found when the conversation is gone (its room deleted meanwhile).
      const gone = (err as { code?: string }).code === "P0002";
      item.reject(gone ? new StoreGoneError("conversation", message.convId) : err);
    }
  }

  private async appendBatch(convId: ConvId, batch: PendingAppend[]): Promise<void> {
    let rows: Array<MessageRow & { n: number; duplicate: boolean }>;
    try {
      const m = batch.map((item) => item.message);
      ({ rows } = await this.pool.query<MessageRow & { n: number; duplicate: boolean }>(
        "SELECT * FROM append_messages($1, $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::boolean[], $9::jsonb[])",
        [
          convId,
          m.map((x) => x.fromUserId),
          m.map((x) => x.body),
          m.map((x) => x.cid),
          m.map((x) => x.ts),
          m.map((x) => x.hiddenFor ?? null),
          m.map((x) => x.replyTo ?? null),
          m.map((x) => x.notice === true),
          m.map((x) => (x.clientTags ? JSON.stringify(x.clientTags) : null)),
        ],
      ));
    } catch {
      // One bad append fails the whole transaction: redo them one by one, so only it fails.
      for (const item of batch) await this.appendOne(item);
      return;
    }
    batch.forEach((item, i) => {
      const row = rows.find((r) => r.n === i + 1);
      if (row)
        item.resolve({ message: withReply(messageFromRow(row), item.message), duplicate: row.duplicate });
      else item.reject(new Error(`append to conversation ${convId} returned no row`));
    });
  }

  async history(convId: ConvId, query: HistoryQuery, viewerId: UserId): Promise<MessageRecord[]> {
    // Forward from `after` when given; otherwise backward from `before` (or the end) and reversed.
    const forward = query.after !== undefined;
    const { rows } = await this.pool.query<MessageRow>(
      `SELECT ${FULL_MESSAGE_COLUMNS} FROM messages msg ${MESSAGE_JOINS}
       WHERE msg.conv_id = $1 AND msg.hidden_for IS DISTINCT FROM $2
         AND ($3::bigint IS NULL OR msg.seq < $3) AND ($4::bigint IS NULL OR msg.seq > $4)
       ORDER BY msg.seq ${forward ? "ASC" : "DESC"} LIMIT $5`,
      [convId, viewerId, query.before ?? null, query.after ?? null, query.limit],
    );
    const messages = rows.map(messageFromRow);
    return forward ? messages : messages.reverse();
  }

  async getMessage(id: number): Promise<MessageRecord | undefined> {
    return this.entries.getMessage(id);
  }

  async appendEntry(entry: NewEntry): Promise<EntryResult> {
    return this.entries.append(entry);
  }

  async sequenced(convId: ConvId, after: number, limit: number, viewerId: UserId): Promise<Sequenced[]> {
    return this.entries.sequenced(convId, after, limit, viewerId);
  }

  async reactions(messageIds: readonly number[], viewerId: UserId): Promise<Map<number, ReactionCounts>> {
    return this.entries.reactions(messageIds, viewerId);
  }

  async search(query: SearchQuery): Promise<SearchHit[]> {
    return this.entries.search(query);
  }

  async lastSeq(convId: ConvId): Promise<number> {
    const { rows } = await this.pool.query<{ last_seq: number }>(
      "SELECT last_seq FROM conversations WHERE id = $1",
      [convId],
    );
    return rows[0]?.last_seq ?? 0;
  }

  async dmConversations(userId: UserId): Promise<DmConversationRecord[]> {
    const { rows } = await this.pool.query<{
      conv_id: number;
      other_id: number;
      other_name: string;
      last_seq: number;
      read_seq: number;
      unread: number;
      has_visible: boolean;
    }>(
      `SELECT c.id AS conv_id, other.id AS other_id, other.username AS other_name, c.last_seq,
         coalesce(rm.seq, 0) AS read_seq,
         (SELECT count(*) FROM messages msg
           WHERE msg.conv_id = c.id AND msg.seq > coalesce(rm.seq, 0) AND msg.from_user_id <> $1
             AND msg.hidden_for IS DISTINCT FROM $1) AS unread,
         EXISTS (SELECT 1 FROM messages seen
                 WHERE seen.conv_id = c.id AND seen.hidden_for IS DISTINCT FROM $1) AS has_visible
       FROM conversations c
       JOIN users other ON other.id = CASE WHEN c.dm_low = $1 THEN c.dm_high ELSE c.dm_low END
       LEFT JOIN read_markers rm ON rm.user_id = $1 AND rm.conv_id = c.id
       WHERE c.kind = 'dm' AND (c.dm_low = $1 OR c.dm_high = $1)
       ORDER BY lower(other.username) COLLATE "C"`,
      [userId],
    );
    return rows.map((row) => ({
      convId: row.conv_id,
      otherUserId: row.other_id,
      otherUsername: row.other_name,
      lastSeq: row.last_seq,
      readSeq: row.read_seq,
      unread: row.unread,
      hasVisible: row.has_visible,
    }));
  }

  async setRead(userId: UserId, convId: ConvId, seq: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO read_markers (user_id, conv_id, seq) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, conv_id) DO UPDATE SET seq = greatest(read_markers.seq, excluded.seq)`,
      [userId, convId, seq],
    );
  }

  async getRead(userId: UserId, convId: ConvId): Promise<number> {
    const { rows } = await this.pool.query<{ seq: number }>(
      "SELECT seq FROM read_markers WHERE user_id = $1 AND conv_id = $2",
      [userId, convId],
    );
    return rows[0]?.seq ?? 0;
  }

  // settings that follow the user

  async setMute(userId: UserId, target: { roomId: RoomId } | { userId: UserId }, on: boolean): Promise<void> {
    const [table, column, id] =
      "roomId" in target
        ? ["room_mutes", "room_id", target.roomId]
        : ["user_mutes", "muted_id", target.userId];
    await this.pool.query(
      on
        ? `INSERT INTO ${table} (user_id, ${column}) VALUES ($1, $2) ON CONFLICT DO NOTHING`
        : `DELETE FROM ${table} WHERE user_id = $1 AND ${column} = $2`,
      [userId, id],
    );
  }

  async setBlock(userId: UserId, blockedId: UserId, on: boolean): Promise<void> {
    await this.pool.query(
      on
        ? "INSERT INTO blocks (user_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        : "DELETE FROM blocks WHERE user_id = $1 AND blocked_id = $2",
      [userId, blockedId],
    );
  }

  async getSettings(userId: UserId): Promise<SettingsRecord> {
    const { rows } = await this.pool.query<{ kind: "room" | "user" | "block"; name: string }>(
      `SELECT kind, name FROM (
         SELECT 'room' AS kind, r.name FROM room_mutes x JOIN rooms r ON r.id = x.room_id WHERE x.user_id = $1
         UNION ALL
         SELECT 'user', u.username FROM user_mutes x JOIN users u ON u.id = x.muted_id WHERE x.user_id = $1
         UNION ALL
         SELECT 'block', u.username FROM blocks x JOIN users u ON u.id = x.blocked_id WHERE x.user_id = $1
       ) AS s ORDER BY lower(name) COLLATE "C"`,
      [userId],
    );
    const pick = (kind: string) => rows.filter((row) => row.kind === kind).map((row) => row.name);
    return { mutedRooms: pick("room"), mutedUsers: pick("user"), blocked: pick("block") };
  }

  async isBlocked(userId: UserId, byUserId: UserId): Promise<boolean> {
    const result = await this.pool.query("SELECT 1 FROM blocks WHERE user_id = $1 AND blocked_id = $2", [
      byUserId,
      userId,
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  // peer-to-peer identity

  async getMasterKey(userId: UserId): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ key: string }>(
      "SELECT key FROM peer_masters WHERE user_id = $1",
      [userId],
    );
    return rows[0]?.key;
  }

  async setMasterKey(userId: UserId, key: string, at: number): Promise<void> {
    await this.tx(async (client) => {
      // The row lock orders concurrent replacements; signatures of the old key go with it.
      const { rows } = await client.query<{ key: string }>(
        "SELECT key FROM peer_masters WHERE user_id = $1 FOR UPDATE",
        [userId],
      );
      const previous = rows[0]?.key;
      if (previous !== undefined && previous !== key)
        await client.query("UPDATE peer_devices SET signature = NULL WHERE user_id = $1", [userId]);
      await client.query(
        `INSERT INTO peer_masters (user_id, key, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE SET key = excluded.key, updated_at = excluded.updated_at`,
        [userId, key, at],
      );
    });
  }

  async putDevice(userId: UserId, device: NewDevice): Promise<void> {
    await this.pool.query(
      `INSERT INTO peer_devices (user_id, device_id, key, sign_key, enc_key, name, signature, endpoints,
         created_at, last_seen)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (user_id, device_id) DO UPDATE SET key = excluded.key, sign_key = excluded.sign_key,
         enc_key = excluded.enc_key, name = excluded.name, signature = excluded.signature,
         endpoints = excluded.endpoints, last_seen = excluded.last_seen`,
      [
        userId,
        device.id,
        device.key,
        device.signKey ?? null,
        device.encKey ?? null,
        device.name ?? null,
        device.signature ?? null,
        JSON.stringify(device.endpoints),
        device.createdAt,
        device.lastSeen,
      ],
    );
  }

  async getDevice(userId: UserId, id: string): Promise<DeviceRecord | undefined> {
    const { rows } = await this.pool.query<DeviceRow>(
      `SELECT ${DEVICE_COLUMNS} FROM peer_devices WHERE user_id = $1 AND device_id = $2`,
      [userId, id],
    );
    const row = rows[0];
    return row && deviceFromRow(row);
  }

  async listDevices(userId: UserId): Promise<DeviceRecord[]> {
    const { rows } = await this.pool.query<DeviceRow>(
      `SELECT ${DEVICE_COLUMNS} FROM peer_devices WHERE user_id = $1 AND revoked_at IS NULL
       ORDER BY created_at, device_id`,
      [userId],
    );
    return rows.map(deviceFromRow);
  }

  async setDeviceSignature(userId: UserId, id: string, signature: string): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE peer_devices SET signature = $3
       WHERE user_id = $1 AND device_id = $2 AND revoked_at IS NULL`,
      [userId, id, signature],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async revokeDevice(userId: UserId, id: string, at: number, keepRevoked: number): Promise<boolean> {
    return this.tx(async (client) => {
      const result = await client.query(
        `UPDATE peer_devices SET revoked_at = $3, endpoints = '[]'
         WHERE user_id = $1 AND device_id = $2 AND revoked_at IS NULL`,
        [userId, id, at],
      );
      if ((result.rowCount ?? 0) === 0) return false;
      await client.query(
        `DELETE FROM peer_devices WHERE user_id = $1 AND device_id IN (
           SELECT device_id FROM peer_devices WHERE user_id = $1 AND revoked_at IS NOT NULL
           ORDER BY revoked_at DESC, device_id OFFSET $2)`,
        [userId, keepRevoked],
      );
      return true;
    });
  }

  /** Lets operations already called finish (their promises resolve as usual), then closes the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Bounded: nothing new can start once closed, so each round waits only for fewer calls.
    for (let round = 0; this.inflight.size > 0 && round < 1000; round++) {
      await Promise.allSettled([...this.inflight]);
    }
    await this.pool.end();
  }
}
